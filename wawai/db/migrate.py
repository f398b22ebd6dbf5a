"""Applying the Alembic migrations: ``upgrade(url)`` runs ``upgrade heads`` (every stage's branch)."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from wawai.db.base import create_db_engine
from wawai.logs import mask_url

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def alembic_config() -> Config:
    config = Config(str(PACKAGE_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    return config


def heads() -> list[str]:
    return sorted(ScriptDirectory.from_config(alembic_config()).get_heads())


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to every head revision (creates it from empty)."""
    config = alembic_config()
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")
    finally:
        engine.dispose()
    log.info("database %s is at %s", mask_url(url), ", ".join(heads()))
