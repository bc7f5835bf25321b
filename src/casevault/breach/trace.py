"""Download tracing: who requested the leaked file, from web server access logs.

Reads Common and Combined Log Format (nginx's ``combined``, Apache's ``common``
and ``combined``), plain or gzip-compressed rotations, and lists every request
for the leaked path(s) in the exposure window (posted → removed): client
address, time, status, bytes, user agent.

Fast by not parsing what cannot matter: a file is read in large blocks of raw
bytes; lines are counted and checked for the log format with one compiled
pattern over the whole block (in C); only lines that contain the leaked file's
name as raw bytes (or its percent-encoded form) are parsed one by one. A
request counts when its path, without query string and percent-decoded, is a
leaked path — the name in a referrer or in another file's name does not.
Malformed lines (not in the format) are counted and skipped, never fatal.

Client addresses are personal data: the database keeps each one sealed
(AES-GCM under ``<key_dir>/breach-ip.key``) beside a keyed hash to group by
address; only a privacy officer's command opens them, and it is ledgered.
"""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import hmac
import ipaddress
import os
import re
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Final
from urllib.parse import quote, unquote, urlsplit

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from casevault.audit.keys import load_or_create_hmac_key
from casevault.errors import InputError, InvalidValue

BLOCK: Final = 8 << 20
"""Bytes read at a time: large enough that per-block work vanishes, small enough for memory."""
KEY_FILE_NAME: Final = "breach-ip.key"
_WELL_FORMED: Final = re.compile(rb'^[^ \n]+ [^ \n]+ [^ \n]+ \[[^\]\n]+\] "[^"\n]*" \d{3} [\d-]+',
                                 re.MULTILINE)
_LINE: Final = re.compile(
    rb'^(?P<client>[^ ]+) [^ ]+ [^ ]+ \[(?P<time>[^\]]+)\] "(?P<request>[^"]*)" '
    rb'(?P<status>\d{3}) (?P<bytes>\d+|-)(?: "(?P<referer>[^"]*)" "(?P<agent>[^"]*)")?')


@dataclass(frozen=True, slots=True)
class Request:
    """One request for a leaked path, as the log line gave it."""

    client: str
    at: datetime
    path: str
    status: int
    bytes: int
    user_agent: str


@dataclass(slots=True)
class TraceResult:
    """What one trace read: counts, the requests in the window, and how fast."""

    files: int = 0
    lines: int = 0
    malformed: int = 0
    candidates: int = 0
    outside_window: int = 0
    requests: list[Request] = field(default_factory=list)
    bytes_read: int = 0
    seconds: float = 0.0

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds if self.seconds else 0.0


@dataclass(frozen=True, slots=True)
class Window:
    """The exposure window (either end open when unknown)."""

    start: datetime | None
    end: datetime | None

    def holds(self, moment: datetime) -> bool:
        return (self.start is None or moment >= self.start) and \
            (self.end is None or moment <= self.end)


def leaked_paths(where: str | None, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The URL paths to look for: the incident's URL's path and any given."""
    paths = [urlsplit(where).path for where in ([where] if where else [])]
    paths += list(extra)
    found = tuple(sorted({p for p in paths if p and p != "/"}))
    if not found:
        msg = ("no leaked path to look for: open the incident with --where URL, or give "
               "--path /the/leaked/file.csv")
        raise InvalidValue(msg)
    return found


def _needles(paths: Iterable[str]) -> tuple[bytes, ...]:
    """Raw bytes whose presence makes a line a candidate: each file name, plain and encoded."""
    names = set()
    for path in paths:
        name = path.rstrip("/").rsplit("/", 1)[-1]
        names.update({name.encode(), quote(name).encode()})
    return tuple(sorted(names))


def trace_logs(logs: Iterable[Path], paths: Iterable[str], window: Window) -> TraceResult:
    """Every request for ``paths`` in ``window`` across the logs, with line counts."""
    started = time.perf_counter()
    wanted = frozenset(paths)
    needles = _needles(wanted)
    result = TraceResult()
    for log in logs:
        result.files += 1
        with _open(log) as handle:
            for block in _blocks(handle):
                result.bytes_read += len(block)
                _scan_block(block, needles, wanted, window, result)
    result.seconds = time.perf_counter() - started
    return result


def _open(path: Path) -> BinaryIO:
    try:
        handle = path.open("rb")
        if handle.read(2) == b"\x1f\x8b":
            handle.close()
            return gzip.open(path, "rb")  # type: ignore[return-value]
        handle.seek(0)
        return handle
    except OSError as exc:
        msg = f"{path}: cannot read the access log ({exc.strerror or type(exc).__name__})"
        raise InputError(msg) from None


def _blocks(handle: BinaryIO) -> Iterator[bytes]:
    """Blocks of whole lines (the last one completed with a newline if the file lacks it)."""
    rest = b""
    try:
        while chunk := handle.read(BLOCK):
            cut = chunk.rfind(b"\n")
            if cut == -1:
                rest += chunk
                continue
            yield rest + chunk[:cut + 1]
            rest = chunk[cut + 1:]
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        msg = f"an access log is truncated or corrupt ({type(exc).__name__}); lines before it count"
        raise InputError(msg) from None
    if rest:
        yield rest + b"\n"


def _scan_block(block: bytes, needles: tuple[bytes, ...], wanted: frozenset[str],
                window: Window, result: TraceResult) -> None:
    lines = block.count(b"\n")
    result.lines += lines
    result.malformed += lines - sum(1 for _ in _WELL_FORMED.finditer(block))
    seen: set[int] = set()
    for needle in needles:
        position = block.find(needle)
        while position != -1:
            start = block.rfind(b"\n", 0, position) + 1
            end = block.find(b"\n", position)
            if start not in seen:
                seen.add(start)
                _candidate(block[start:end], wanted, window, result)
            position = block.find(needle, end)


def _candidate(line: bytes, wanted: frozenset[str], window: Window, result: TraceResult) -> None:
    found = _LINE.match(line)
    if found is None:
        return  # counted as malformed by the block's pattern already
    parts = found["request"].split(b" ")
    if len(parts) < 2:
        return
    path = unquote(parts[1].decode("utf-8", "replace").split("?", 1)[0])
    if path not in wanted:
        return
    result.candidates += 1
    try:
        at = datetime.strptime(found["time"].decode("ascii", "replace"), "%d/%b/%Y:%H:%M:%S %z")
    except ValueError:
        result.malformed += 1
        return
    if not window.holds(at):
        result.outside_window += 1
        return
    size = found["bytes"]
    result.requests.append(Request(
        client=found["client"].decode("ascii", "replace"), at=at, path=path,
        status=int(found["status"]), bytes=0 if size == b"-" else int(size),
        user_agent=(found["agent"] or b"").decode("utf-8", "replace")))


# --- client addresses: sealed at rest, grouped by keyed hash -------------------------------

class AddressSeal:
    """Seals client addresses (AES-GCM) and keys them for grouping (HMAC-SHA-256)."""

    def __init__(self, secret: bytes) -> None:
        self._cipher = AESGCM(hmac.new(secret, b"casevault breach ip seal", "sha256").digest())
        self._group = hmac.new(secret, b"casevault breach ip group", "sha256").digest()

    @classmethod
    def from_key_dir(cls, key_dir: Path) -> AddressSeal:
        return cls(load_or_create_hmac_key(key_dir / KEY_FILE_NAME))

    def seal(self, address: str) -> bytes:
        nonce = secrets.token_bytes(12)
        return nonce + self._cipher.encrypt(nonce, address.encode(), b"breach-ip/1")

    def open(self, sealed: bytes) -> str:
        return self._cipher.decrypt(sealed[:12], sealed[12:], b"breach-ip/1").decode()

    def key(self, address: str) -> str:
        return hmac.new(self._group, address.encode(), hashlib.sha256).hexdigest()[:32]


# --- networks and destruction requests ---------------------------------------------------

@dataclass(frozen=True, slots=True)
class Network:
    """A requesting network with whom to ask for destruction (from the networks file)."""

    cidr: ipaddress.IPv4Network | ipaddress.IPv6Network
    name: str
    contact: str


def read_networks(path: Path) -> list[Network]:
    """``network,name,contact`` rows (CIDR; a contact address or e-mail); bad rows named."""
    networks = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"network", "name", "contact"} - set(reader.fieldnames or ())
        if missing:
            msg = f"{path}: the networks file needs columns network,name,contact"
            raise InputError(msg)
        for line, row in enumerate(reader, start=2):
            try:
                cidr = ipaddress.ip_network((row["network"] or "").strip(), strict=False)
            except ValueError:
                msg = f"{path} line {line}: network is not an address range like 192.0.2.0/24"
                raise InputError(msg) from None
            networks.append(Network(cidr, (row["name"] or "").strip(),
                                    (row["contact"] or "").strip()))
    return sorted(networks, key=lambda n: n.cidr.prefixlen, reverse=True)


def network_of(address: str, networks: list[Network]) -> Network | None:
    """The most specific network holding ``address`` (None for none or an unparsable one)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    return next((n for n in networks if ip.version == n.cidr.version and ip in n.cidr), None)


def write_destruction_drafts(requests: Iterable[Request], networks: list[Network], out: Path,
                             *, incident_id: str, contact: str) -> tuple[list[Path], int]:
    """One draft per network with a contact; returns the drafts and requests left uncovered."""
    grouped: dict[str, tuple[Network, list[Request]]] = {}
    uncovered = 0
    for request in requests:
        network = network_of(request.client, networks)
        if network is None or not network.contact:
            uncovered += 1
            continue
        grouped.setdefault(str(network.cidr), (network, []))[1].append(request)
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    written = []
    for cidr, (network, found) in sorted(grouped.items()):
        name = base64.b32encode(hashlib.sha256(cidr.encode()).digest()[:5]).decode().lower()
        path = out / f"destruction-request-{name}.txt"
        lines = [f"To: {network.name} <{network.contact}>",
                 f"Subject: request to destroy a file downloaded from our website "
                 f"(incident {incident_id})", "",
                 f"Between the times listed below, computers on your network {cidr} "
                 "downloaded a file that our agency published by mistake. It contains "
                 "personal information of people in immigration proceedings, including "
                 "information protected by 8 CFR 208.6.", "",
                 "We ask you to identify the users of these addresses, to have every copy of "
                 "the file destroyed, and to confirm to us in writing that you did.", "",
                 "client address, time (UTC), status, bytes"]
        lines += [f"{r.client}, {r.at:%Y-%m-%d %H:%M:%S}, {r.status}, {r.bytes}" for r in found]
        lines += ["", f"Contact: {contact}", ""]
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines))
        written.append(path)
    return written, uncovered


__all__ = ["AddressSeal", "Network", "Request", "TraceResult", "Window", "leaked_paths",
           "network_of", "read_networks", "trace_logs", "write_destruction_drafts"]
