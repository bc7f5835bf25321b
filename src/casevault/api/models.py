"""Request and response models, split by direction (a response model is an allow-list)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

DEVICE_ID = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
ID_PATTERN = r"^[A-Za-z0-9._:-]+$"
"""A record or user id (docs/formats.md)."""
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
"""Free text: no control characters but tab and line breaks (PostgreSQL refuses NUL in text)."""


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=40, pattern=ID_PATTERN)
    password: str = Field(min_length=1, max_length=256)
    code: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    device_id: str = DEVICE_ID


class SessionOut(BaseModel):
    token: str
    session_id: str
    expires_at: datetime
    mfa_verified: bool


class RecordOut(BaseModel):
    """One redacted record: only permitted fields are present (absent, not null)."""

    kind: str
    fields: dict[str, Any]


class Decided(BaseModel):
    """How the answer was decided and where it was recorded."""

    categories: list[str]
    policy_ids: list[str]
    event_id: str
    break_glass: bool


class PersonFileOut(Decided):
    person: RecordOut
    addresses: list[RecordOut]
    relatives: list[RecordOut]
    encounters: list[RecordOut]
    cases: list[RecordOut]


class CaseFileOut(Decided):
    case: RecordOut
    hearings: list[RecordOut]
    applications: list[RecordOut]
    representations: list[RecordOut]
    charges: list[RecordOut]
    documents: list[RecordOut]


class SearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    family_name: str | None = Field(default=None, max_length=100, pattern=TEXT_PATTERN)
    given_name: str | None = Field(default=None, max_length=100, pattern=TEXT_PATTERN)
    born_on: date | None = None
    a_number: str | None = Field(default=None, max_length=20, pattern=TEXT_PATTERN)


class SearchOut(BaseModel):
    persons: list[RecordOut]
    truncated: bool
    message: str | None
    event_id: str


class BreakGlassIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    record_kind: str = Field(pattern=r"^(case|person)$")
    record_id: str = Field(min_length=1, max_length=40, pattern=ID_PATTERN)
    reason: str = Field(min_length=1, max_length=1000, pattern=TEXT_PATTERN)


class BreakGlassOut(BaseModel):
    grant_id: str
    expires_at: datetime
    event_id: str
