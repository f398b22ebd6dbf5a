"""``wawai user add NAME --role operator|supervisor|admin [--groups G1,G2]`` and ``wawai user list``."""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import select

from wawai import accounts
from wawai.audit import record
from wawai.commands.common import CommandError, config_from, database, existing_user, operator_name
from wawai.db.users import Role, User


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("user", help="add and list users")
    commands = parser.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = commands.add_parser("add", help="add a user (password from stdin, or asked for)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument("--groups", default="", help="camera groups, comma-separated (default: all cameras)")
    add.set_defaults(func=run_add)
    listing = commands.add_parser("list", help="list users")
    listing.set_defaults(func=run_list)
    passwd = commands.add_parser("passwd", help="set a new password (stdin or asked); ends their sessions")
    passwd.add_argument("name")
    passwd.set_defaults(func=run_passwd)
    for action, disabled in (("disable", True), ("enable", False)):
        toggle = commands.add_parser(action, help=f"{action} a user (disabling ends sessions and tokens)")
        toggle.add_argument("name")
        toggle.set_defaults(func=run_toggle, disabled=disabled)


def read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise CommandError("the passwords differ")
    return first


def run_add(args: argparse.Namespace) -> int:
    config = config_from(args)
    password = read_password()
    groups = [group.strip() for group in args.groups.split(",") if group.strip()]
    with database(config)() as db:
        user = accounts.create_user(db, args.name, password, args.role, groups)
        record(db, operator_name(), "user.added", user=user.name, role=user.role, groups=user.groups)
        db.commit()
    scope = f"groups {', '.join(user.groups)}" if user.groups else "all cameras"
    print(f"added {user.role} {user.name!r} ({scope})")
    return 0


def run_list(args: argparse.Namespace) -> int:
    config = config_from(args)
    with database(config)() as db:
        for user in db.scalars(select(User).order_by(User.name)):
            fields = [user.name, user.role, ",".join(user.groups) or "*"]
            if user.disabled:
                fields.append("disabled")
            print("\t".join(fields))
    return 0


def run_passwd(args: argparse.Namespace) -> int:
    config = config_from(args)
    with database(config)() as db:
        user = existing_user(db, args.name)
        accounts.set_password(db, user, read_password())
        record(db, operator_name(), "user.password_set", user=user.name)
        db.commit()
    print(f"new password set for {args.name!r}; their browser sessions ended")
    return 0


def run_toggle(args: argparse.Namespace) -> int:
    config = config_from(args)
    with database(config)() as db:
        user = existing_user(db, args.name)
        accounts.set_disabled(db, user, args.disabled)
        record(db, operator_name(), "user.disabled" if args.disabled else "user.enabled", user=user.name)
        db.commit()
    print(f"{'disabled' if args.disabled else 'enabled'} {args.name!r}")
    return 0
