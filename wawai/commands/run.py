"""``wawai run``: the supervisor, which runs the node (ingest, stages, web server) and restarts it."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="run Wawai (web server and stages, restarted when they die)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from wawai.supervisor import Supervisor

    return Supervisor(Path(args.config), log_level=args.log_level).run()
