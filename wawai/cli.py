"""The ``wawai`` command. Each command group is a module in wawai/commands with ``register(subparsers)``;
it is found automatically. Every command takes ``--config DIR`` (default $WAWAI_CONFIG, else ./config).

A command's handler is ``args.func(args) -> int`` (the exit status).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence

import wawai.commands
from wawai.accounts import AccountError
from wawai.commands.common import CommandError, fail
from wawai.config.loader import default_config_dir
from wawai.logs import setup_logging

log = logging.getLogger(__name__)

LONG_RUNNING = frozenset({"run", "demo"})


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    """Give every parser --config (SUPPRESS: a leaf's absent option keeps the root's value)."""
    if not any("--config" in action.option_strings for action in parser._actions):
        parser.add_argument("--config", metavar="DIR", default=argparse.SUPPRESS,
                            help="config directory (default: $WAWAI_CONFIG, else ./config)")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _add_config_option(child)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wawai", description="Wawai video management system")
    parser.add_argument("--config", metavar="DIR", default=None,
                        help="config directory (default: $WAWAI_CONFIG, else ./config)")
    parser.add_argument("--log-level", default=os.environ.get("WAWAI_LOG_LEVEL"),
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                        help="default: INFO for long-running commands (run, demo), else WARNING")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in sorted(pkgutil.iter_modules(wawai.commands.__path__), key=lambda m: m.name):
        imported = importlib.import_module(f"wawai.commands.{module.name}")
        register = getattr(imported, "register", None)
        if register is not None:
            register(subparsers)
    for child in subparsers.choices.values():
        _add_config_option(child)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.log_level = args.log_level or ("INFO" if args.command in LONG_RUNNING else "WARNING")
    setup_logging(args.log_level)
    args.config = args.config or str(default_config_dir())
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        code: int = func(args)
    except (CommandError, AccountError) as exc:  # a user's mistake: one line, exit 1
        return fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `wawai config schema | head`
        sys.stderr.close()
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
