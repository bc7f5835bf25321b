"""A respondent's account on the committed court, made and removed around one test
(the API, console and browser tests share it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import Engine, select, text

from casevault.store import tables
from casevault.store.respondents import add_respondent_user
from casevault.store.sealed import update_person
from clear_values import clear_person


def person_with_hearings(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text(
            "SELECT c.person_id FROM cases c JOIN hearings h ON h.case_id = c.case_id "
            "ORDER BY c.person_id")).scalars().first())


@contextmanager
def respondent_account(engine: Engine, person_id: str) -> Iterator[str]:
    """The person's own directory entry for the test; their address is restored afterwards."""
    before = clear_person(engine, person_id)
    history = tables.person_addresses
    with engine.connect() as connection:
        periods = connection.execute(select(history.c.valid_from, history.c.valid_to).where(
            history.c.person_id == person_id)).all()
    with engine.begin() as connection:
        add_respondent_user(connection, person_id, date(2020, 1, 1))
    try:
        yield person_id
    finally:
        with engine.begin() as connection:
            for table in ("sessions", "account_approvals", "accounts"):
                connection.execute(text(f"DELETE FROM {table} WHERE user_id = :u"),
                                   {"u": person_id})
            connection.execute(tables.users.delete().where(tables.users.c.user_id == person_id))
            update_person(connection, person_id, {
                "address": before.address, "city": before.city, "state": before.state,
                "postal_code": before.postal_code})
            kept = {valid_from for valid_from, _ in periods}
            for valid_from, valid_to in periods:
                connection.execute(history.update().where(
                    history.c.person_id == person_id, history.c.valid_from == valid_from
                ).values(valid_to=valid_to))
            connection.execute(history.delete().where(
                history.c.person_id == person_id, history.c.valid_from.not_in(kept)))
