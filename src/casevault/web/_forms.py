"""The console's forms: read with a byte cap, validated into small Pydantic models.

Forms are URL-encoded (no uploads yet), so a few lines of the standard library
read them; no multipart parser is exposed to the network. A body past
``MAX_FORM_BYTES``, a repeated field or more than ``MAX_FIELDS`` fields is
refused before any of it is looked at.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final, TypeAlias, TypeVar
from urllib.parse import parse_qsl

from fastapi import Request
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from casevault.domain import Purpose
from casevault.errors import InvalidValue

MAX_FORM_BYTES: Final = 16 * 1024
MAX_FIELDS: Final = 16
URLENCODED: Final = "application/x-www-form-urlencoded"
RECORD_ID_PATTERN: Final = r"^[A-Za-z0-9._-]+$"

F = TypeVar("F", bound="Form")


def _blank_is_none(value: Any) -> Any:
    """An empty text box means "not given", not the empty string."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


_Blank = BeforeValidator(_blank_is_none)
"""An empty text box may be left empty (then ``None``); filled in, it is capped."""

Code: TypeAlias = Annotated[
    Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")] | None, _Blank]
Name: TypeAlias = Annotated[Annotated[str, StringConstraints(max_length=100)] | None, _Blank]
ANumber: TypeAlias = Annotated[Annotated[str, StringConstraints(max_length=20)] | None, _Blank]
Justification: TypeAlias = Annotated[
    Annotated[str, StringConstraints(max_length=1000)] | None, _Blank]


class Form(BaseModel):
    """Every console form: the CSRF token is checked by the route, before anything else."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    csrf: str = Field(min_length=1, max_length=128)


class SignInForm(Form):
    user_id: str = Field(min_length=1, max_length=40)
    password: str = Field(min_length=1, max_length=256)
    code: Code = None


class OpenForm(Form):
    """The purpose prompt before a record opens."""

    purpose: Purpose
    justification: Justification = None


class SearchForm(OpenForm):
    family_name: Name = None
    given_name: Name = None
    born_on: Annotated[date | None, BeforeValidator(_blank_is_none)] = None
    a_number: ANumber = None


class OversightForm(Form):
    """A look at the audit trail as a whole: always justified."""

    justification: Justification = None


class SubjectReportForm(OversightForm):
    person_id: str = Field(min_length=1, max_length=40, pattern=RECORD_ID_PATTERN)
    purpose: Purpose = Purpose.COMPLIANCE_AUDIT


class SignOutForm(Form):
    pass


async def read_form(request: Request) -> dict[str, str]:
    """The URL-encoded fields of a POST body, each at most once, under the byte cap."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not kind and request.headers.get("content-length", "0") == "0":
        return {}
    if kind != URLENCODED:
        msg = "send the form as the console's page sends it (URL-encoded)"
        raise InvalidValue(msg)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            msg = f"a form is at most {MAX_FORM_BYTES // 1024} KB"
            raise InvalidValue(msg)
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                          max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        msg = f"a form has at most {MAX_FIELDS} fields, in UTF-8"
        raise InvalidValue(msg) from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        msg = "a form field was sent twice"
        raise InvalidValue(msg)
    return fields


def validated(model: type[F], fields: dict[str, str]) -> F:
    """The form as ``model``; a refusal names the fields to fix, never what was typed."""
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        names = sorted({".".join(str(p) for p in e.get("loc", ())) or "form"
                        for e in error.errors()})
        msg = f"check these fields: {', '.join(names)}"
        raise InvalidValue(msg) from None


__all__ = ["MAX_FIELDS", "MAX_FORM_BYTES", "RECORD_ID_PATTERN", "Form", "OpenForm",
           "OversightForm", "SearchForm", "SignInForm", "SignOutForm", "SubjectReportForm",
           "read_form", "validated"]
