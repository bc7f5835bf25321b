"""Affected people and unresolved identifiers from a scan report; the timeline's rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from casevault.breach.incidents import Timeline, resolve
from casevault.errors import InvalidValue
from casevault.shield.model import Finding, Kind, Location
from casevault.shield.scan import ScanReport

AT = Location("leak.csv", row=2, column="A-NUMBER")


def test_kinds_accumulate_per_person_and_unresolved_keep_only_what_blocks() -> None:
    report = ScanReport(file="leak.csv")
    report.add(Finding(Kind.A_NUMBER, AT, 0.99, "A1********", matched_person_id="p1",
                       detail={"identifiers": "a_number,date_of_birth"}))
    report.add(Finding(Kind.PERSON_NAME, AT, 0.96, "Ga****", matched_person_id="p1",
                       detail={"identifiers": "person_name,phone"}))
    report.add(Finding(Kind.A_NUMBER, AT, 0.9, "A9********"))
    report.add(Finding(Kind.PHONE, AT, 0.3, "55******"))
    report.count(0.98, "p2")  # past the listing limit: only counted
    affected, unresolved = resolve(report)
    first, second = affected
    assert (first.person_id, first.kinds, first.confidence, first.rows) == (
        "p1", ("a_number", "date_of_birth", "person_name", "phone"), 0.99, 2)
    assert second.person_id == "p2" and second.kinds == first.kinds
    assert [(u.kind, u.masked_preview) for u in unresolved] == [("a_number", "A9********")]


def test_a_report_naming_nobody_resolves_to_nobody() -> None:
    assert resolve(ScanReport(file="clean.csv")) == ([], [])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"detected_at": datetime(2026, 11, 20)}, "time zone"),  # noqa: DTZ001 -- the point
    ({"detected_at": datetime(2026, 11, 20, tzinfo=UTC),
      "posted_at": datetime(2026, 11, 21, tzinfo=UTC)}, "posted after"),
    ({"detected_at": datetime(2026, 11, 20, tzinfo=UTC),
      "posted_at": datetime(2026, 11, 10, tzinfo=UTC),
      "removed_at": datetime(2026, 11, 9, tzinfo=UTC)}, "removed before"),
])
def test_an_impossible_timeline_is_refused(kwargs: dict[str, datetime], message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        Timeline(**kwargs)
