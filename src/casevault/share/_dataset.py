"""The analysis table behind statistics and extracts: one row per case, no direct identifier.

Built in bulk from the store (analyses read the store directly; they hand
nothing personal to a caller except through the guard's sharing gate) and
written as Parquet, which OpenDP then reads lazily with ``scan_parquet``: a
plan, not an in-memory frame (OpenDP serialises what it is given).

The privacy unit is the **person**: a person may have several cases, so each
person contributes at most ``MAX_CASES_PER_PERSON`` rows (their earliest
cases); OpenDP is told so (``contributions``) and scales its noise to it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Final

import polars as pl
from sqlalchemy import Connection, Engine, select

from casevault.store import tables
from casevault.store.sealed import SEALED, Opener, sealed_select

MAX_CASES_PER_PERSON: Final = 3
"""The bound on one person's rows (persons with more cases keep their earliest ones)."""
MAX_WAIT_DAYS: Final = 3650
"""Waits are clamped to ten years for sums, means and quantiles (the sensitivity bound)."""
COLUMNS: Final = ("person_id", "court_code", "state", "month", "year", "nationality",
                  "case_type", "custody", "status", "decision", "sex", "birth_year",
                  "wait_days")


def build_cases_frame(engine: Engine, *, today: date) -> pl.DataFrame:
    """Every case with its court, person's nationality, sex and birth year, decision and wait."""
    cases, persons, courts = tables.cases, tables.persons, tables.courts
    with engine.connect() as connection:
        rows = connection.execute(
            select(cases.c.case_id, cases.c.person_id, cases.c.court_code, courts.c.state,
                   cases.c.opened_on, cases.c.closed_on, cases.c.case_type, cases.c.custody,
                   cases.c.status, persons.c.nationality, persons.c.sex)
            .join(persons, persons.c.person_id == cases.c.person_id)
            .join(courts, courts.c.court_code == cases.c.court_code)).all()
        born = _birth_years(connection)
        latest = _latest_decisions(connection)
    frame = pl.DataFrame({
        "case_id": [r.case_id for r in rows],
        "person_id": [r.person_id for r in rows],
        "court_code": [r.court_code for r in rows],
        "state": [r.state or "??" for r in rows],
        "opened_on": [r.opened_on for r in rows],
        "nationality": [r.nationality or "??" for r in rows],
        "case_type": [r.case_type for r in rows],
        "custody": [r.custody for r in rows],
        "status": [r.status for r in rows],
        "decision": [latest.get(r.case_id, "none") for r in rows],
        "sex": [r.sex or "U" for r in rows],
        "birth_year": [born.get(r.person_id) for r in rows],
        "wait_days": [min(MAX_WAIT_DAYS, max(0, ((r.closed_on or today) - r.opened_on).days))
                      for r in rows],
    }, schema_overrides={"opened_on": pl.Date, "birth_year": pl.Int32, "wait_days": pl.Int64})
    return (frame.sort("person_id", "opened_on", "case_id")
            .with_columns(pl.col("opened_on").dt.strftime("%Y-%m").alias("month"),
                          pl.col("opened_on").dt.year().cast(pl.Int32).alias("year"))
            .filter(pl.int_range(pl.len()).over("person_id") < MAX_CASES_PER_PERSON)
            .select(COLUMNS))


_BIRTH_COLUMNS: Final = (tables.persons.c.person_id, tables.persons.c.date_of_birth)
_DECISION_COLUMNS: Final = (tables.applications.c.application_id, tables.applications.c.case_id,
                            tables.applications.c.decision, tables.applications.c.filed_on)


def _birth_years(connection: Connection) -> dict[str, int]:
    """Each person's year of birth, opened from its sealed date; erased persons have none."""
    opener = Opener.of(tables.persons, _BIRTH_COLUMNS)
    years: dict[str, int] = {}
    for row in connection.execute(sealed_select(SEALED["persons"], _BIRTH_COLUMNS)):
        values = opener.open_or_none(connection, row)
        if values is not None and values[1]:
            years[values[0]] = date.fromisoformat(str(values[1])[:10]).year
    return years


def _latest_decisions(connection: Connection) -> dict[str, str]:
    """Each case's decision on its latest-filed application ("pending" while undecided).

    Applications are sealed (their kind and decision reveal a protection claim); an erased
    person's are skipped, so their cases count as having no application.
    """
    opener = Opener.of(tables.applications, _DECISION_COLUMNS)
    opened = (opener.open_or_none(connection, row) for row in connection.execute(
        sealed_select(SEALED["applications"], _DECISION_COLUMNS)))
    ordered = sorted((values[1], str(values[3] or ""), values[2])
                     for values in opened if values is not None)
    return {case_id: decision or "pending" for case_id, _, decision in ordered}


def write_private(frame: pl.DataFrame, path: Path) -> Path:
    """Write Parquet readable by its owner only (pseudonymous rows are still personal data)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    frame.write_parquet(path)
    path.chmod(0o600)
    return path


def cases_parquet(engine: Engine, folder: Path, *, today: date) -> Path:
    """Build the analysis table now and write it under ``folder``; returns its path."""
    frame = build_cases_frame(engine, today=today).drop("person_id")
    return write_private(frame, folder / "cases.parquet")
