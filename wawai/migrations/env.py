"""Alembic environment: imports every wawai.db module so the metadata is complete.

Called by ``wawai.db.migrate``, which hands over an open connection in ``config.attributes``. Logging is
left alone on purpose (alembic's fileConfig would disable the program's loggers).
"""

from __future__ import annotations

import importlib
import pkgutil

from alembic import context
from sqlalchemy import Connection

import wawai.db
from wawai.db.base import Base, create_db_engine

for module in pkgutil.iter_modules(wawai.db.__path__):
    importlib.import_module(f"wawai.db.{module.name}")

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite can only ALTER by copying tables
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: run migrations through wawai.db.migrate.upgrade(url)")
    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=context.config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
