"""Synthetic web server access logs with planted downloads of a leaked file (labelled).

``write_access_log`` writes a Combined Log Format file (nginx's and Apache's
default) of ordinary traffic to a court's public site, with requests for the
leaked path planted inside and outside the exposure window, near misses that
must not count (another file whose name contains it, a path only in the
referrer), and a share of malformed lines. It returns the labels a test or
benchmark scores a trace against. Addresses come from documentation and
private ranges only (RFC 5737, RFC 1918); everything is drawn from the seed.
"""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

PAGES: Final = ("/", "/index.html", "/about", "/contact", "/forms/eoir-28.pdf",
                "/forms/eoir-42b.pdf", "/calendar", "/news/2026-11-01", "/static/site.css",
                "/static/site.js", "/images/seal.png", "/robots.txt", "/favicon.ico",
                "/files/annual-statistics-2025.csv", "/files/hearing-calendar.csv")
AGENTS: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "curl/8.5.0", "Wget/1.21.4", "python-requests/2.32.3",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
)
NETWORKS: Final = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "10.20.0.0/16")
"""Where the planted downloads come from (documentation and private ranges)."""
_MONTHS: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                  "Dec")


@dataclass(frozen=True, slots=True)
class PlantedDownload:
    client: str
    at: datetime
    status: int
    bytes: int
    user_agent: str


@dataclass(frozen=True, slots=True)
class PlantedLog:
    paths: tuple[Path, ...]
    lines: int
    malformed: int
    downloads: tuple[PlantedDownload, ...]
    """Requests for the leaked path inside the window: what a trace must find, exactly."""
    outside_window: int


def clf_time(moment: datetime) -> str:
    """``20/Nov/2026:14:05:00 +0000``, as access logs write it."""
    moment = moment.astimezone(UTC)
    return (f"{moment.day:02d}/{_MONTHS[moment.month - 1]}/{moment.year}:"
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} +0000")


def _client(draw: random.Random) -> str:
    return f"172.{draw.randrange(16, 32)}.{draw.randrange(256)}.{draw.randrange(1, 255)}"


def _planted_client(draw: random.Random) -> str:
    network = draw.choice(NETWORKS)
    base = network.split("/")[0].split(".")
    if network.endswith("/16"):
        return f"{base[0]}.{base[1]}.{draw.randrange(256)}.{draw.randrange(1, 255)}"
    return f"{base[0]}.{base[1]}.{base[2]}.{draw.randrange(1, 255)}"


def _line(client: str, at: datetime, path: str, status: int, size: int, agent: str,
          referer: str = "-") -> str:
    return (f'{client} - - [{clf_time(at)}] "GET {path} HTTP/1.1" {status} {size} '
            f'"{referer}" "{agent}"\n')


def write_access_log(out: Path, *, lines: int, leaked_path: str, posted_at: datetime,
                     removed_at: datetime, downloads: int = 40, seed: int = 1,
                     malformed_share: float = 0.001, files: int = 1,
                     gzip_rotations: bool = False) -> PlantedLog:
    """Write ``lines`` lines over ``files`` files (rotations, oldest last, optionally .gz)."""
    draw = random.Random(seed)
    span = removed_at - posted_at
    start, stop = posted_at - span, removed_at + span
    seconds = (stop - start).total_seconds()
    planted: dict[int, tuple[str, PlantedDownload | None]] = {}
    inside: list[PlantedDownload] = []
    outside = 0
    spots = draw.sample(range(lines), min(lines, downloads * 2 + 20))
    for number, spot in enumerate(spots):
        agent = draw.choice(AGENTS)
        client = _planted_client(draw)
        if number < downloads:  # inside the window: a download to find
            at = posted_at + timedelta(seconds=draw.uniform(0, span.total_seconds()))
            status = draw.choice((200, 200, 200, 206, 304))
            size = draw.randrange(200_000, 900_000) if status != 304 else 0
            query = "?download=1" if number % 7 == 0 else ""
            found = PlantedDownload(client, at.replace(microsecond=0), status, size, agent)
            planted[spot] = (_line(client, at, leaked_path + query, status, size, agent), found)
            inside.append(found)
        elif number < downloads * 2:  # the same file, before it was posted or after removal
            at = (start + timedelta(seconds=draw.uniform(0, (posted_at - start).total_seconds()
                                                         - 1))
                  if number % 2 else removed_at + timedelta(seconds=draw.uniform(
                      1, (stop - removed_at).total_seconds())))
            planted[spot] = (_line(client, at, leaked_path, 404, 153, agent), None)
            outside += 1
        else:  # near misses: another file, or the path only in the referrer
            at = posted_at + timedelta(seconds=draw.uniform(0, span.total_seconds()))
            miss = (_line(client, at, leaked_path + ".bak", 404, 153, agent) if number % 2 else
                    _line(client, at, "/contact", 200, 5123, agent,
                          referer=f"https://court.example{leaked_path}"))
            planted[spot] = (miss, None)
    malformed = 0
    per_file = -(-lines // files)
    paths = []
    for index in range(files):
        name = "access.log" if index == 0 else f"access.log.{index}"
        path = out / (f"{name}.gz" if gzip_rotations and index else name)
        first, last = index * per_file, min(lines, (index + 1) * per_file)
        chunk: list[str] = []
        for number in range(first, last):
            if number in planted:
                chunk.append(planted[number][0])
                continue
            if draw.random() < malformed_share:
                chunk.append(draw.choice(("\x00\x01garbage\n", "- - [not a time] \"GET\n",
                                          "::1 - - [20/Nov/2026:10:00:00 +0000] truncated\n")))
                malformed += 1
                continue
            at = start + timedelta(seconds=seconds * number / lines)
            chunk.append(_line(_client(draw), at, draw.choice(PAGES),
                               draw.choice((200, 200, 200, 200, 304, 404)),
                               draw.randrange(300, 60_000), draw.choice(AGENTS)))
        data = "".join(chunk).encode()
        out.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".gz":
            path.write_bytes(gzip.compress(data, compresslevel=1))
        else:
            path.write_bytes(data)
        paths.append(path)
    return PlantedLog(tuple(paths), lines, malformed, tuple(sorted(inside, key=lambda d: d.at)),
                      outside)


__all__ = ["NETWORKS", "PlantedDownload", "PlantedLog", "clf_time", "write_access_log"]
