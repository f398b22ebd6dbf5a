"""``wawai audit verify``: walk the audit log's hash chain; OK with the head hash, or the row that broke."""

from __future__ import annotations

import argparse

from wawai import audit
from wawai.commands.common import CommandError, config_from, database


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="check the tamper-evident audit log")
    commands = parser.add_subparsers(dest="audit_command", metavar="COMMAND", required=True)
    verify = commands.add_parser("verify", help="check every audit row's hash chain (exit 1 naming the row)")
    verify.add_argument("--head", default=None,
                        help="a head hash noted earlier: also fails if the newest rows were removed since")
    verify.set_defaults(func=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    sessions = database(config_from(args))
    try:
        with sessions() as session:
            report = audit.verify(session)
            if report.ok and args.head:
                from sqlalchemy import select

                from wawai.db.audit import AuditEntry

                if session.scalar(select(AuditEntry.id).where(AuditEntry.hash == args.head)) is None:
                    raise CommandError(f"audit log: no row has the head {args.head[:16]}...: rows from "
                                       "that one on were removed")
    finally:
        sessions.kw["bind"].dispose()
    if not report.ok:
        raise CommandError(f"audit log is NOT intact: {report.problem}")
    print(f"audit log OK: {report.rows} rows, head {report.head or '-'}")
    return 0
