"""``wawai token create NAME``: a new API token for user NAME, printed once (only its hash is kept)."""

from __future__ import annotations

import argparse

from wawai import accounts
from wawai.audit import record
from wawai.commands.common import config_from, database, existing_user, fail, operator_name


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("token", help="create API tokens")
    commands = parser.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = commands.add_parser("create", help="create a token for a user and print it once")
    create.add_argument("name", help="the user the token acts as")
    create.add_argument("--label", default="", help="what the token is for (shown in listings)")
    create.set_defaults(func=run_create)
    listing = commands.add_parser("list", help="list tokens (id, user, label, dates), never the secret")
    listing.add_argument("name", nargs="?", help="only this user's tokens")
    listing.set_defaults(func=run_list)
    revoke = commands.add_parser("revoke", help="revoke a token by the id `wawai token list` shows")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(func=run_revoke)


def run_create(args: argparse.Namespace) -> int:
    config = config_from(args)
    with database(config)() as db:
        user = existing_user(db, args.name)
        token = accounts.create_token(db, user, args.label)
        record(db, operator_name(), "token.created", user=user.name, label=args.label)
        db.commit()
    print(token)
    return 0


def run_list(args: argparse.Namespace) -> int:
    config = config_from(args)
    with database(config)() as db:
        for row in accounts.list_tokens(db, args.name):
            used = row.last_used_at.isoformat(timespec="seconds") if row.last_used_at else "never"
            created = row.created_at.isoformat(timespec="seconds")
            print(f"{row.id}\t{row.user.name}\t{row.name or '-'}\tcreated {created}\tused {used}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    config = config_from(args)
    with database(config)() as db:
        owner = accounts.revoke_token(db, args.id)
        if owner is None:
            return fail(f"no token with id {args.id} (see `wawai token list`)")
        record(db, operator_name(), "token.revoked", user=owner, token_id=args.id)
        db.commit()
    print(f"revoked token {args.id}")
    return 0
