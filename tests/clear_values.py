"""A person's clear values for tests that need a true value to search for or to look for.

Personal fields are sealed in the database (issue 10), so a test cannot select them
with SQL; it reads them through the store, as the guard does after its decision.
"""

from __future__ import annotations

from sqlalchemy import Engine

from casevault.domain.records import Person
from casevault.store import reads


def clear_person(engine: Engine, person_id: str) -> Person:
    with engine.connect() as connection:
        return reads.person(connection, person_id)
