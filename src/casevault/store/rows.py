"""Turning database rows into domain records, whatever the driver returned.

SQLite's driver returns dates and instants as text, psycopg as ``date`` and
``datetime``; enum columns arrive as plain strings and name lists as one
``;``-joined string. One converter per record type, built once from the record's
type hints, smooths all of that over so every read path yields the same records.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, Generic, TypeVar

from casevault.store.tables import LIST_SEPARATOR

R = TypeVar("R")
FieldConverter = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _to_date(value: Any) -> date | None:
    if value is None or type(value) is date:
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(value)


SQLITE_INSTANT_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
"""How instants are stored on SQLite: naive UTC text that sorts in time order."""


def instant_for_sqlite(moment: datetime) -> str:
    """The stored SQLite text of an instant; a naive ``moment`` is taken as UTC."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.strftime(SQLITE_INSTANT_FORMAT)


def instant_from_store(value: Any) -> datetime:
    """An aware UTC instant from what either driver returns (SQLite text, psycopg datetime)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def list_from_store(value: Any) -> tuple[str, ...]:
    """A ``;``-joined stored list as a tuple (empty for NULL or "")."""
    if not value:
        return ()
    return tuple(value.split(LIST_SEPARATOR))


def _to_instant(value: Any) -> datetime | None:
    return None if value is None else instant_from_store(value)


def _to_bytes(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


def _enum_converter(enum_type: type[Enum]) -> FieldConverter:
    members: dict[Any, Enum] = {member.value: member for member in enum_type}
    members_get = members.get

    def convert(value: Any) -> Any:
        if value is None:
            return None
        member = members_get(value)
        return enum_type(value) if member is None else member  # unknown values still raise

    return convert


def _base_type(hint: Any) -> Any:
    """``X`` from ``Annotated[X | None, ...]``."""
    if typing.get_origin(hint) is typing.Annotated:
        hint = typing.get_args(hint)[0]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        members = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        hint = members[0]
    return hint


def _converter_for_hint(hint: Any) -> FieldConverter:
    base = _base_type(hint)
    if base is date:
        return _to_date
    if base is datetime:
        return _to_instant
    if base is bytes:
        return _to_bytes
    if typing.get_origin(base) is tuple:
        return list_from_store
    if isinstance(base, type) and issubclass(base, Enum):
        return _enum_converter(base)
    return _identity


class RecordBuilder(Generic[R]):
    """Builds records of one type from rows whose columns follow the record's fields."""

    def __init__(self, record_type: type[R]) -> None:
        self.record_type = record_type
        hints = typing.get_type_hints(record_type, include_extras=True)
        self.fields = tuple(f.name for f in dataclasses.fields(record_type))  # type: ignore[arg-type]
        converters = [_converter_for_hint(hints[name]) for name in self.fields]
        # Only fields that need converting are touched on the hot read path.
        self._conversions = tuple((position, convert) for position, convert
                                  in enumerate(converters) if convert is not _identity)

    def build(self, row: Sequence[Any]) -> R:
        if len(row) != len(self.fields):
            msg = f"a {self.record_type.__name__} row has {len(row)} values, not {len(self.fields)}"
            raise ValueError(msg)
        values = list(row)
        for position, convert in self._conversions:
            values[position] = convert(values[position])
        return self.record_type(*values)


_BUILDERS: dict[type, RecordBuilder[Any]] = {}


def builder_for(record_type: type[R]) -> RecordBuilder[R]:
    builder = _BUILDERS.get(record_type)
    if builder is None:
        builder = _BUILDERS[record_type] = RecordBuilder(record_type)
    return builder
