"""A respondent's own record over the API (both databases): the change of address and the
verifiable report of who looked at their record; nobody else's record, and nobody else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from casevault.access.setup import Door
from clear_values import clear_person
from respondent_accounts import person_with_hearings, respondent_account

from .api_helpers import events, one, signed_in

ADDRESS = {"address": "4417 Quietwater Lane", "city": "El Paso", "state": "TX",
           "postal_code": "79901"}


@pytest.fixture
def respondent(guard_engine: Engine) -> Iterator[str]:
    with respondent_account(guard_engine, person_with_hearings(guard_engine)) as person_id:
        yield person_id


def test_a_respondent_changes_their_address_and_reads_the_report(
        client: TestClient, door: Door, respondent: str) -> None:
    headers = signed_in(client, door, respondent)
    changed = client.put("/api/v1/me/address", headers=headers, json=ADDRESS)
    assert changed.status_code == 200, changed.text
    assert clear_person(door.engine, respondent).postal_code == "79901"
    own = client.get(f"/api/v1/persons/{respondent}",
                     headers={**headers, "X-Purpose": "self_service"})
    assert own.status_code == 200 and own.json()["person"]["fields"]["city"] == "El Paso"
    assert "asylum" not in own.json()["categories"]
    report = client.get("/api/v1/me/access-report", headers=headers)
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["person_id"] == respondent
    leaves = " ".join(entry["leaf"] for entry in body["events"])
    assert changed.json()["event_id"] in leaves and own.json()["event_id"] in leaves
    assert body["signature"] and body["checkpoint"]


def test_a_respondent_reads_no_one_else(client: TestClient, door: Door,
                                        respondent: str) -> None:
    other = one(door.engine, "SELECT person_id FROM persons WHERE person_id <> :p "
                "ORDER BY person_id", p=respondent)
    headers = {**signed_in(client, door, respondent), "X-Purpose": "self_service"}
    refused = client.get(f"/api/v1/persons/{other}", headers=headers)
    assert refused.status_code == 403
    assert events(door.engine, "deny") == 1


def test_staff_have_no_self_service_record(client: TestClient, door: Door) -> None:
    clerk = one(door.engine, "SELECT user_id FROM users WHERE role = 'clerk' ORDER BY user_id")
    headers = signed_in(client, door, clerk)
    assert client.put("/api/v1/me/address", headers=headers, json=ADDRESS).status_code == 403
    assert client.get("/api/v1/me/access-report", headers=headers).status_code == 403
    assert events(door.engine, "deny") == 2


@pytest.mark.parametrize(("change", "field"), [
    ({"state": "Texas"}, "state"), ({"postal_code": "7990"}, "postal_code"),
    ({"address": ""}, "address"), ({"address": "x" * 201}, "address"), ({"note": "hi"}, "note"),
])
def test_a_bad_address_is_refused_and_changes_nothing(
        client: TestClient, door: Door, respondent: str, change: dict[str, str],
        field: str) -> None:
    before = clear_person(door.engine, respondent)
    headers = signed_in(client, door, respondent)
    response = client.put("/api/v1/me/address", headers=headers, json={**ADDRESS, **change})
    assert response.status_code == 422 and field in response.json()["detail"]
    assert clear_person(door.engine, respondent) == before
    assert events(door.engine, "permit") == 0
