"""What several commands share: loading the config and opening the (migrated) database."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from wawai import accounts
from wawai.config.errors import ConfigInvalid
from wawai.config.loader import load_config
from wawai.config.model import WawaiConfig
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade
from wawai.db.users import User


class CommandError(Exception):
    """A one-line reason a command cannot go on; printed to stderr, exit status 1."""


def config_from(args: argparse.Namespace) -> WawaiConfig:
    try:
        return load_config(Path(args.config))
    except ConfigInvalid as exc:
        raise CommandError(f"config is not valid (run `wawai config check {args.config}`):\n{exc}") from exc


def database(config: WawaiConfig) -> sessionmaker[Session]:
    upgrade(config.database_url)
    return make_sessionmaker(config.database_url)


def existing_user(db: Session, name: str) -> User:
    user = accounts.find_user(db, name)
    if user is None:
        raise CommandError(f"no user {name!r} (add one with `wawai user add NAME --role ...`)")
    return user


def operator_name() -> str:
    """Who runs a CLI command, for the audit log: the OS user."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def fail(message: str) -> int:
    print(f"wawai: {message}", file=sys.stderr)
    return 1
