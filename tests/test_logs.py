"""Operational logs: JSON lines naming operations by id only, and the leak scan that guards them."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

from casevault.logs import get_logger, hashed_address
from casevault.shield.scan import Scanner


def test_log_lines_are_json_with_the_fields_given() -> None:
    """The suite configured logging as production does (``suite_logs``); listen in on it."""
    stream = io.StringIO()
    listener = logging.StreamHandler(stream)
    logging.getLogger().addHandler(listener)
    try:
        get_logger("casevault.test").info("access.refused", user_id="U00007", reason="no_permit")
    finally:
        logging.getLogger().removeHandler(listener)
    record = json.loads(stream.getvalue().splitlines()[-1])
    assert record["event"] == "access.refused" and record["user_id"] == "U00007"
    assert "timestamp" in record and record["level"] == "info"


def test_addresses_are_hashed_not_kept() -> None:
    digest = hashed_address("192.0.2.17")
    assert digest is not None and "192.0.2.17" not in digest and len(digest) == 16
    assert hashed_address("192.0.2.17") == digest != hashed_address("192.0.2.18")
    assert hashed_address(None) is None


def test_the_log_scan_would_catch_personal_data(tmp_path: Path) -> None:
    """`make test` scans the suite's logs; a planted identifier must make that scan fail."""
    clean = tmp_path / "clean.log"
    clean.write_text(json.dumps({"event": "request", "route": "/api/v1/persons/{person_id}",
                                 "status": 200, "ms": 3.2}) + "\n", encoding="utf-8")
    leaked = tmp_path / "leaked.log"
    leaked.write_text(json.dumps({"event": "debug", "detail": "A-201-555-019 not found",
                                  "ssn": "219-09-9999"}) + "\n", encoding="utf-8")
    scanner = Scanner(None)
    assert scanner.scan(clean).verdict == "pass"
    assert scanner.scan(leaked).verdict == "block"
