"""``wawai token create NAME``: a new API token for user NAME, printed once (only its hash is kept)."""

from __future__ import annotations

import argparse

from wawai import accounts
from wawai.audit import record
from wawai.commands.common import CommandError, config_from, database, fail, operator_name


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("token", help="create API tokens")
    commands = parser.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = commands.add_parser("create", help="create a token for a user and print it once")
    create.add_argument("name", help="the user the token acts as")
    create.add_argument("--label", default="", help="what the token is for (shown in listings)")
    create.set_defaults(func=run_create)


def run_create(args: argparse.Namespace) -> int:
    try:
        config = config_from(args)
    except CommandError as exc:
        return fail(str(exc))
    with database(config)() as db:
        user = accounts.find_user(db, args.name)
        if user is None:
            return fail(f"no user {args.name!r} (add one with `wawai user add {args.name} --role ...`)")
        token = accounts.create_token(db, user, args.label)
        record(db, operator_name(), "token.created", user=user.name, label=args.label)
        db.commit()
    print(token)
    return 0
