"""The API against its own OpenAPI schema, with Schemathesis, signed in with a valid session:
whatever the generated requests, no 5xx and no response that violates the schema.

Every operation of ``/openapi.json`` is generated from (path ids, purposes, bodies,
headers) and called in-process over ASGI with a judge's bearer token and device
id. Ids are random, so most calls end in a refusal or a 404 — and each must still
be a well-formed answer, never a server error.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from casevault.access.setup import Door
from casevault.api.app import create_app

from .api_helpers import one, signed_in


@pytest.fixture
def contract_app(door: Door) -> FastAPI:
    return create_app(door)


@pytest.fixture
def session_headers(contract_app: FastAPI, door: Door) -> dict[str, str]:
    judge = one(door.engine, "SELECT judge_user_id FROM hearings WHERE judge_user_id IS NOT "
                "NULL ORDER BY hearing_id")
    with TestClient(contract_app) as client:
        return signed_in(client, door, judge)


SETTINGS = settings(max_examples=6, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


def test_no_operation_errors_or_breaks_its_schema(contract_app: FastAPI,
                                                  session_headers: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", contract_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 23  # every route of the API, the writes included

    for operation in operations:
        @SETTINGS
        @given(case=operation.as_strategy())
        def call(case: Any) -> None:
            headers = {**(case.headers or {}), **session_headers}
            case.call_and_validate(headers=headers,
                                   checks=[not_a_server_error, response_schema_conformance])

        call()
