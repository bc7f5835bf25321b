"""Download tracing: which log lines are requests for the leaked file, and what is malformed."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from casevault.breach.trace import (
    AddressSeal,
    Window,
    leaked_paths,
    network_of,
    read_networks,
    trace_logs,
    write_destruction_drafts,
)
from casevault.errors import InputError, InvalidValue

LEAKED = "/files/detained asylum.csv"
WINDOW = Window(datetime(2026, 11, 1, 8, tzinfo=UTC), datetime(2026, 11, 20, 15, tzinfo=UTC))
AGENT = '"-" "curl/8.5.0"'

# (line, is a download in the window, counts as malformed, is outside the window)
VECTORS = [
    (f'192.0.2.7 - - [05/Nov/2026:10:00:00 +0000] "GET /files/detained%20asylum.csv HTTP/1.1" '
     f'200 812345 {AGENT}', True, False, False),
    ('198.51.100.9 - bob [05/Nov/2026:10:00:00 -0500] "GET /files/detained%20asylum.csv?x=1 '
     'HTTP/1.0" 206 1000', True, False, False),  # Common Log Format, query string, offset zone
    (f'203.0.113.5 - - [31/Oct/2026:23:59:59 +0000] "GET /files/detained%20asylum.csv '
     f'HTTP/1.1" 404 153 {AGENT}', False, False, True),  # before it was posted
    (f'203.0.113.5 - - [21/Nov/2026:00:00:00 +0000] "GET /files/detained%20asylum.csv '
     f'HTTP/1.1" 404 153 {AGENT}', False, False, True),  # after removal
    (f'192.0.2.8 - - [05/Nov/2026:10:00:00 +0000] "GET /files/detained%20asylum.csv.bak '
     f'HTTP/1.1" 404 153 {AGENT}', False, False, False),  # another file
    ('192.0.2.8 - - [05/Nov/2026:10:00:00 +0000] "GET /contact HTTP/1.1" 200 99 '
     '"https://court.example/files/detained%20asylum.csv" "curl/8.5.0"', False, False, False),
    (f'192.0.2.9 - - [05/Nov/2026:10:00:00 +0000] "GET /index.html HTTP/1.1" 200 - {AGENT}',
     False, False, False),
    ('garbage /files/detained%20asylum.csv', False, True, False),
    ('192.0.2.9 - - [not a time] "GET /files/detained%20asylum.csv HTTP/1.1" 200 5',
     False, True, False),
    ('\x00\x01\x02', False, True, False),
]


@pytest.mark.parametrize(("line", "download", "malformed", "outside"), VECTORS)
def test_each_line_is_judged_on_its_own(tmp_path: Path, line: str, download: bool,
                                        malformed: bool, outside: bool) -> None:
    log = tmp_path / "access.log"
    log.write_text(line + "\n", encoding="utf-8")
    result = trace_logs([log], [LEAKED], WINDOW)
    assert (len(result.requests), result.malformed, result.outside_window, result.lines) == (
        int(download), int(malformed), int(outside), 1)


def test_rotations_gzip_and_a_last_line_without_newline_all_count(tmp_path: Path) -> None:
    lines = [v[0] for v in VECTORS]
    (tmp_path / "access.log").write_text("\n".join(lines), encoding="utf-8")
    (tmp_path / "access.log.1.gz").write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    result = trace_logs([tmp_path / "access.log", tmp_path / "access.log.1.gz"], [LEAKED],
                        WINDOW)
    assert result.lines == 2 * len(VECTORS) and result.files == 2
    assert len(result.requests) == 2 * sum(v[1] for v in VECTORS)
    assert result.malformed == 2 * sum(v[2] for v in VECTORS)
    first = result.requests[0]
    assert (first.client, first.status, first.bytes, first.user_agent) == (
        "192.0.2.7", 200, 812345, "curl/8.5.0")


def test_a_corrupt_gzip_rotation_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "access.log.2.gz"
    whole = gzip.compress("\n".join(v[0] for v in VECTORS).encode() * 50)
    broken.write_bytes(whole[:len(whole) // 2])
    with pytest.raises(InputError, match="truncated or corrupt"):
        trace_logs([broken], [LEAKED], WINDOW)
    with pytest.raises(InputError, match="cannot read"):
        trace_logs([tmp_path / "missing.log"], [LEAKED], WINDOW)


def test_the_leaked_path_comes_from_the_url_or_is_asked_for() -> None:
    assert leaked_paths("https://court.example/files/a.csv?x=1", ["/b.xlsx"]) == (
        "/b.xlsx", "/files/a.csv")
    with pytest.raises(InvalidValue, match="--where"):
        leaked_paths(None)


def test_addresses_are_sealed_and_keyed_not_kept_in_clear(tmp_path: Path) -> None:
    seal = AddressSeal.from_key_dir(tmp_path)
    sealed = seal.seal("192.0.2.7")
    assert b"192.0.2.7" not in sealed and seal.open(sealed) == "192.0.2.7"
    assert seal.seal("192.0.2.7") != sealed and seal.key("192.0.2.7") == seal.key("192.0.2.7")
    assert AddressSeal.from_key_dir(tmp_path).open(sealed) == "192.0.2.7"


def test_networks_file_and_destruction_drafts(tmp_path: Path) -> None:
    networks = tmp_path / "networks.csv"
    networks.write_text("network,name,contact\n192.0.2.0/24,Example,abuse@example.net\n"
                        "192.0.2.0/28,Example branch,branch@example.net\n10.0.0.0/8,Private,\n",
                        encoding="utf-8")
    known = read_networks(networks)
    assert network_of("192.0.2.3", known).name == "Example branch"  # type: ignore[union-attr]
    assert network_of("192.0.2.200", known).name == "Example"  # type: ignore[union-attr]
    assert network_of("not-an-ip", known) is None
    log = tmp_path / "access.log"
    log.write_text("\n".join(v[0] for v in VECTORS) + "\n", encoding="utf-8")
    found = trace_logs([log], [LEAKED], WINDOW).requests
    drafts, uncovered = write_destruction_drafts(found, known, tmp_path / "drafts",
                                                 incident_id="inc-1", contact="Privacy Office")
    assert len(drafts) == 1 and uncovered == 1
    assert "192.0.2.7" in drafts[0].read_text(encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("network,name,contact\nnot a network,x,y\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2"):
        read_networks(bad)
