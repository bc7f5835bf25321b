"""The console's statistics page (issue 9, item 2): an analyst's noisy answers, nobody's record.

An analyst of the court asks under their own budget and sees cells with the noise
scale and intervals; a judge (no analytic role, no agreement) is refused with a
deny disclosure event; neither page shows a person's name or A-number.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from access.share_helpers import cleared
from casevault.access.setup import Door

from .console_helpers import calendared, csrf_of, one, record_events, sign_in, user_of


@pytest.fixture(autouse=True)
def share_clean(guard_engine: Engine) -> Iterator[None]:
    yield from cleared(guard_engine)


FORM = {"measure": "count", "by": "custody", "first_month": "2026-01", "last_month": "2026-10",
        "epsilon": "0.5", "agreement_id": ""}


def test_an_analyst_asks_and_sees_noisy_cells_with_scale_and_intervals(
        client: TestClient, door: Door, guard_engine: Engine) -> None:
    sign_in(client, door, user_of(guard_engine, "analyst"))
    page = client.get("/console/stats")
    assert page.status_code == 200 and "epsilon 10 in all" in page.text
    answer = client.post("/console/stats", data={"csrf": csrf_of(page.text), **FORM})
    assert answer.status_code == 200, answer.text
    assert "Integer Laplace" in answer.text and "never_detained" in answer.text
    assert "9.5 left" in answer.text
    assert record_events(guard_engine, "permit") == 1  # the disclosure event, nothing else
    assert calendared(guard_engine).a_number not in answer.text


def test_a_judge_is_refused_statistics_and_sees_no_record(
        client: TestClient, door: Door, guard_engine: Engine) -> None:
    found = calendared(guard_engine)
    csrf = sign_in(client, door, found.judge_id)
    denies, permits = record_events(guard_engine, "deny"), record_events(guard_engine, "permit")
    refused = client.post("/console/stats", data={"csrf": csrf, **FORM})
    assert refused.status_code == 403
    family_name = one(guard_engine, "SELECT family_name FROM persons WHERE person_id = :p",
                      p=found.person_id)
    assert family_name not in refused.text and found.a_number not in refused.text
    assert (record_events(guard_engine, "deny"), record_events(guard_engine, "permit")) == (
        denies + 1, permits)


def test_a_forged_form_reaches_nothing(client: TestClient, door: Door,
                                       guard_engine: Engine) -> None:
    sign_in(client, door, user_of(guard_engine, "analyst"))
    forged = client.post("/console/stats", data={"csrf": "0" * 64, **FORM})
    assert forged.status_code in {400, 403}
    assert record_events(guard_engine) == 0
