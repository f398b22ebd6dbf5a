"""``wawai integration key create|list|revoke``: the city's apps' Open311 API keys.

A key is printed once at creation; only its hash is stored. ``--services`` limits a key to some
service codes of ``complaints.services`` (none: every service).
"""

from __future__ import annotations

import argparse

from wawai import integration_keys
from wawai.audit import record
from wawai.commands.common import config_from, database, fail, operator_name


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("integration", help="API keys for the city's apps (Open311)")
    groups = parser.add_subparsers(dest="integration_command", metavar="THING", required=True)
    key = groups.add_parser("key", help="create, list or revoke an app's API key")
    actions = key.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a key for an app and print it once")
    create.add_argument("name", help="the calling app, e.g. lapor-metro")
    create.add_argument("--services", default="", metavar="CODES",
                        help="comma-separated service codes the key may post to (default: all)")
    create.set_defaults(func=run_create)
    listing = actions.add_parser("list", help="list keys (name, services, dates), never the key")
    listing.set_defaults(func=run_list)
    revoke = actions.add_parser("revoke", help="revoke an app's key at once")
    revoke.add_argument("name")
    revoke.set_defaults(func=run_revoke)


def run_create(args: argparse.Namespace) -> int:
    config = config_from(args)
    services = [code.strip() for code in args.services.split(",") if code.strip()]
    known = [service.code for service in config.site.complaints.services]
    with database(config)() as db:
        key = integration_keys.create_key(db, args.name, services, known)
        record(db, operator_name(), "integration_key.created", key=args.name, services=services)
        db.commit()
    print(key)
    return 0


def run_list(args: argparse.Namespace) -> int:
    config = config_from(args)
    with database(config)() as db:
        for row in integration_keys.list_keys(db):
            services = ",".join(row.services) or "all"
            state = f"revoked {row.revoked_at.isoformat(timespec='seconds')}" if row.revoked_at else "active"
            used = row.last_used_at.isoformat(timespec="seconds") if row.last_used_at else "never"
            created = row.created_at.isoformat(timespec="seconds")
            print(f"{row.name}\tservices {services}\tcreated {created}\tused {used}\t{state}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    config = config_from(args)
    with database(config)() as db:
        row = integration_keys.revoke_key(db, args.name)
        if row is None:
            return fail(f"no key named {args.name!r} (see `wawai integration key list`)")
        record(db, operator_name(), "integration_key.revoked", key=args.name)
        db.commit()
    print(f"revoked key {args.name}")
    return 0
