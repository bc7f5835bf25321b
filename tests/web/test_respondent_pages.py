"""The respondent's console (both databases): their own record only, a sealed change of
address, and the verifiable report of who looked at their record."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from casevault.access.setup import Door
from casevault.store import tables
from clear_values import clear_person
from respondent_accounts import person_with_hearings, respondent_account

from .console_helpers import csrf_of, one, record_events, sign_in


@pytest.fixture
def respondent(guard_engine: Engine) -> Iterator[str]:
    with respondent_account(guard_engine, person_with_hearings(guard_engine)) as person_id:
        yield person_id


def test_a_respondent_opens_their_own_record_and_hearings(
        client: TestClient, door: Door, respondent: str) -> None:
    token = sign_in(client, door, respondent)
    home = client.get("/console/home")
    assert "Who looked at my record" in home.text and "Find a person" not in home.text
    person = client.post(f"/console/persons/{respondent}", data={
        "csrf": token, "purpose": "self_service"})
    assert person.status_code == 200, person.text
    case_id = one(door.engine, "SELECT case_id FROM cases WHERE person_id = :p "
                  "AND EXISTS (SELECT 1 FROM hearings h WHERE h.case_id = cases.case_id)",
                  p=respondent)
    case = client.post(f"/console/cases/{case_id}", data={"csrf": token,
                                                          "purpose": "self_service"})
    assert case.status_code == 200 and "Hearings" in case.text


def test_a_respondent_cannot_open_anyone_else(client: TestClient, door: Door,
                                              respondent: str) -> None:
    other = one(door.engine, "SELECT person_id FROM persons WHERE person_id <> :p "
                "ORDER BY person_id", p=respondent)
    token = sign_in(client, door, respondent)
    refused = client.post(f"/console/persons/{other}", data={"csrf": token,
                                                             "purpose": "self_service"})
    assert refused.status_code == 403
    assert str(clear_person(door.engine, other).family_name) not in refused.text
    assert record_events(door.engine, "deny") == 1


def test_a_change_of_address_is_sealed_and_ledgered(client: TestClient, door: Door,
                                                    respondent: str) -> None:
    token = sign_in(client, door, respondent)
    response = client.post("/console/me/address", data={
        "csrf": token, "address": "4417 Quietwater Lane", "city": "El Paso", "state": "TX",
        "postal_code": "79901"})
    assert response.status_code == 200, response.text
    assert "Your new address is recorded" in response.text
    assert clear_person(door.engine, respondent).address == "4417 Quietwater Lane"
    with door.engine.connect() as connection:
        stored = connection.execute(text("SELECT address FROM persons WHERE person_id = :p"),
                                    {"p": respondent}).scalar_one()
        periods = connection.execute(tables.person_addresses.select().where(
            tables.person_addresses.c.person_id == respondent,
            tables.person_addresses.c.valid_to.is_(None))).all()
    assert b"Quietwater" not in bytes(stored)
    assert len(periods) == 1
    assert one(door.engine, "SELECT detail FROM ledger_events WHERE action = 'update' AND "
               "person_id = :p", p=respondent).count("change_of_address") == 1


def test_a_bad_address_changes_nothing(client: TestClient, door: Door, respondent: str) -> None:
    before = clear_person(door.engine, respondent).address
    token = sign_in(client, door, respondent)
    response = client.post("/console/me/address", data={
        "csrf": token, "address": "1 Main St", "state": "Texas"})
    assert response.status_code == 422 and "state" in response.text
    assert clear_person(door.engine, respondent).address == before
    assert record_events(door.engine) == 0


def test_a_respondent_reads_who_looked_at_their_record(client: TestClient, door: Door,
                                                       respondent: str) -> None:
    token = sign_in(client, door, respondent)
    client.post(f"/console/persons/{respondent}", data={"csrf": token,
                                                       "purpose": "self_service"})
    report = client.post("/console/me/access-report", data={"csrf": token})
    assert report.status_code == 200, report.text
    assert f"Who accessed person {respondent}" in report.text
    assert "Signed checkpoint" in report.text and "self_service" in report.text
    forged = client.post("/console/me/access-report", data={"csrf": csrf_of(
        '<input name="csrf" value="00">')})
    assert forged.status_code == 403
