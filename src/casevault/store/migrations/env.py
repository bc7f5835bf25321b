"""Alembic environment: migrations run on the engine casevault hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from casevault.store.tables import metadata

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):  # pragma: no cover -- only casevault.store calls alembic
    msg = "casevault migrations run through `casevault init`, not the alembic command"
    raise RuntimeError(msg)

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=engine.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
