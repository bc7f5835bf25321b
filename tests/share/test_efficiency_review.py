"""The efficiency-review account type (issue 9, item 5): statistics and extracts, never a record.

Every route to a record is tried as an efficiency reviewer with an agreement in
force and an approval for its purposes: every public guard method, every API
record route, the console's record pages (the CLI's are in ``tests/cli``). Each
refuses, with a deny event and no permit; the same account's statistics work.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from access.guard_helpers import SignIn, context_for, ledger_rows
from access.identities import PASSWORD, totp_code
from access.share_helpers import add_efficiency_reviewer, in_force, parties, remove_user
from access.test_one_door import (
    GUARD_METHODS,
    NEEDS_A_GRANT,
    _case_with_document,
    _open_a_grant,
)
from casevault.access.agreements import DisclosureKind
from casevault.access.guard import Guard
from casevault.access.setup import Door
from casevault.api.app import create_app
from casevault.domain import DataCategory, Purpose
from casevault.errors import AccessDenied, DisclosureRefused, InvalidValue
from casevault.share.stats import Measure, StatisticsService, StatsQuery
from clear_values import clear_person

MONTHS = ("2026-01", "2026-10")
RECORD_PURPOSES = (Purpose.STATISTICS, Purpose.COMPLIANCE_AUDIT)


@pytest.fixture
def reviewer(share_clean: None, guard_engine: Engine) -> Iterator[str]:
    user_id = add_efficiency_reviewer(guard_engine)
    yield user_id
    remove_user(guard_engine, user_id)


@pytest.fixture
def reviewer_with_agreement(reviewer: str, sign_in: SignIn, guard_engine: Engine
                            ) -> tuple[str, str]:
    found = parties(sign_in, guard_engine, recipient=reviewer)
    agreement_id = in_force(found, purposes=frozenset(RECORD_PURPOSES), max_rows=100_000,
                            categories=frozenset({DataCategory.CASE, DataCategory.IDENTITY}))
    return reviewer, agreement_id


@pytest.mark.parametrize("method", sorted(GUARD_METHODS))
def test_no_guard_method_gives_the_reviewer_anything(
        guard: Guard, guard_engine: Engine, sign_in: SignIn, method: str,
        reviewer_with_agreement: tuple[str, str]) -> None:
    reviewer, _ = reviewer_with_agreement
    found = _case_with_document(guard_engine)
    if method in NEEDS_A_GRANT:
        _open_a_grant(guard, sign_in, guard_engine, found)
    who = context_for(sign_in, reviewer)
    before = len(ledger_rows(guard_engine))
    with pytest.raises(AccessDenied):  # each call states the purpose its usual caller would
        GUARD_METHODS[method][1](guard, who, found.person_id, found.case_id)
    events = ledger_rows(guard_engine)[before:]
    assert [(e["result"], e["user_id"]) for e in events] == [("deny", reviewer)]


def test_the_reviewer_cannot_be_sent_records_under_an_agreement(
        guard: Guard, sign_in: SignIn, guard_engine: Engine, reviewer: str) -> None:
    found = parties(sign_in, guard_engine, recipient=reviewer)
    with pytest.raises(InvalidValue, match="never records"):
        in_force(found, kinds=frozenset({DisclosureKind.RECORDS}))


@pytest.fixture
def client(guard: Guard, sign_in: SignIn, guard_engine: Engine) -> Iterator[TestClient]:
    door = Door(guard_engine, guard.sharing.ledger, sign_in.accounts, sign_in.sessions, guard)
    with TestClient(create_app(door), base_url="http://localhost") as test_client:
        yield test_client


def _api_headers(client: TestClient, sign_in: SignIn, user_id: str) -> dict[str, str]:
    context_for(sign_in, user_id)  # enrolled, approved and trained like any account
    sign_in.clock.advance(timedelta(seconds=30))
    response = client.post("/api/v1/sessions", json={
        "user_id": user_id, "password": PASSWORD, "device_id": "api-device",
        "code": totp_code(sign_in.accounts, user_id)})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}", "X-Device-Id": "api-device"}


def _record_ids(engine: Engine) -> dict[str, str]:
    found = _case_with_document(engine)
    with engine.connect() as connection:
        document = connection.execute(text(
            "SELECT document_id FROM documents WHERE case_id = :c ORDER BY document_id"),
            {"c": found.case_id}).scalars().first()
    return {"person": found.person_id, "case": found.case_id, "document": str(document),
            "a_number": clear_person(engine, found.person_id).a_number}


def test_no_api_route_gives_the_reviewer_a_record_but_statistics_work(
        client: TestClient, sign_in: SignIn, guard_engine: Engine,
        reviewer_with_agreement: tuple[str, str]) -> None:
    reviewer, agreement_id = reviewer_with_agreement
    headers = _api_headers(client, sign_in, reviewer)
    ids = _record_ids(guard_engine)
    why = {"X-Justification": "Efficiency review of case processing times, ticket EFF-2026-3"}
    for purpose in RECORD_PURPOSES:
        asked = {**headers, "X-Purpose": purpose.value, **why}
        before = len(ledger_rows(guard_engine))
        responses = [
            client.get(f"/api/v1/persons/{ids['person']}", headers=asked),
            client.get(f"/api/v1/cases/{ids['case']}", headers=asked),
            client.get(f"/api/v1/documents/{ids['document']}", headers=asked),
            client.post("/api/v1/persons/search", headers=asked,
                        json={"a_number": ids["a_number"]}),
            client.post("/api/v1/break-glass", headers=asked, json={
                "record_kind": "case", "record_id": ids["case"], "reason": why[
                    "X-Justification"]}),
        ]
        assert [r.status_code for r in responses] == [403] * 5
        assert all(ids["a_number"] not in r.text for r in responses)
        events = ledger_rows(guard_engine)[before:]
        assert {e["result"] for e in events} == {"deny"} and len(events) == 5
    answer = client.post("/api/v1/stats", headers=headers, json={
        "measure": "count", "by": ["custody"], "first_month": MONTHS[0],
        "last_month": MONTHS[1], "epsilon": 0.5, "agreement_id": agreement_id})
    assert answer.status_code == 200, answer.text
    assert answer.json()["noise_scales"]["value"] > 0
    budget = client.get("/api/v1/stats/budget", headers=headers,
                        params={"agreement_id": agreement_id})
    assert [b["spent"] for b in budget.json()] == [0.5, 0.5]


def test_the_console_shows_the_reviewer_no_record(
        client: TestClient, sign_in: SignIn, guard_engine: Engine,
        reviewer_with_agreement: tuple[str, str]) -> None:
    reviewer, _ = reviewer_with_agreement
    context_for(sign_in, reviewer)
    sign_in.clock.advance(timedelta(seconds=30))
    form = client.get("/console/sign-in")
    csrf = _csrf(form.text)
    response = client.post("/console/sign-in", data={
        "csrf": csrf, "user_id": reviewer, "password": PASSWORD,
        "code": totp_code(sign_in.accounts, reviewer)})
    assert response.status_code == 200, response.text
    assert "No record-level access" in response.text
    ids = _record_ids(guard_engine)
    csrf = _csrf(response.text)
    before = len(ledger_rows(guard_engine))
    for path in (f"/console/persons/{ids['person']}", f"/console/cases/{ids['case']}"):
        refused = client.post(path, data={"csrf": csrf, "purpose": "statistics"})
        assert refused.status_code == 403, refused.text
        assert ids["a_number"] not in refused.text
    events = ledger_rows(guard_engine)[before:]
    assert [e["result"] for e in events] == ["deny", "deny"]


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


def test_statistics_without_an_agreement_are_refused_to_the_reviewer(
        guard: Guard, sign_in: SignIn, reviewer: str, tmp_path: Path) -> None:
    who = context_for(sign_in, reviewer)
    service = StatisticsService(guard.sharing.engine, guard.sharing, tmp_path)
    with pytest.raises(DisclosureRefused, match="agreement"):
        service.ask(who, StatsQuery(Measure.COUNT, ("custody",), 0.5, *MONTHS),
                    purpose=Purpose.STATISTICS)
