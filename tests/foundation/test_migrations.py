"""Migrations from an empty SQLite database: every head applied, schema equal to the models."""

from __future__ import annotations

import importlib
import pkgutil
import sqlite3

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

import wawai.db
from wawai.db.base import Base, create_db_engine
from wawai.db.migrate import alembic_config, heads, upgrade


def all_models() -> None:
    for module in pkgutil.iter_modules(wawai.db.__path__):
        importlib.import_module(f"wawai.db.{module.name}")


def test_upgrade_heads_from_empty_database(tmp_path):
    path = tmp_path / "sub" / "wawai.db"  # the folder does not exist yet
    upgrade(f"sqlite:///{path}")
    connection = sqlite3.connect(path)
    applied = sorted(row[0] for row in connection.execute("SELECT version_num FROM alembic_version"))
    assert applied == heads()
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    all_models()
    assert set(Base.metadata.tables) <= tables
    assert {"users", "api_tokens", "web_sessions", "login_attempts", "audit_log"} <= tables
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_every_revision_descends_from_the_foundation():
    # Each stage branches off the foundation; a later revision may build on the stage revision whose tables
    # it changes (0010_incident_workflow on 0003_incidents). `upgrade heads` applies every branch.
    script = ScriptDirectory.from_config(alembic_config())
    revisions = {rev.revision: rev for rev in script.walk_revisions()}
    assert revisions["0001_foundation"].down_revision is None
    for name, rev in revisions.items():
        seen = rev
        while seen.down_revision is not None:
            down = seen.down_revision
            parents = [down] if isinstance(down, str) else list(down)
            assert all(parent in revisions for parent in parents), name
            seen = revisions[parents[0]]
        assert seen.revision == "0001_foundation", name
    assert set(heads()) == set(script.get_heads())


def test_upgrade_is_idempotent_and_schema_matches_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'wawai.db'}"
    upgrade(url)
    upgrade(url)  # second start: nothing to do, nothing fails
    all_models()
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_foreign_keys_are_enforced(tmp_path):
    url = f"sqlite:///{tmp_path / 'wawai.db'}"
    upgrade(url)
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_the_same_migrations_run_on_postgresql():
    from tests.support.postgres import postgres_server

    with postgres_server() as url:
        upgrade(url)
        upgrade(url)
        all_models()
        engine = create_db_engine(url)
        try:
            with engine.connect() as connection:
                rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
                applied = sorted(row[0] for row in rows)
                diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        finally:
            engine.dispose()
        assert applied == heads()
        assert diff == [], f"models and migrations differ on PostgreSQL: {diff}"
