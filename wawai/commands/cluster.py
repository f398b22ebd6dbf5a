"""``wawai cluster status [--json]``: the cluster's nodes and which node owns each camera, read from the
shared database (no node needs to be running here)."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from wawai.cluster.status import cluster_status
from wawai.commands.common import CommandError, config_from, database


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("cluster", help="see the nodes of a cluster")
    commands = parser.add_subparsers(dest="cluster_command", metavar="ACTION", required=True)
    status = commands.add_parser("status", help="nodes (alive, last seen, roles, cameras) and camera owners")
    status.add_argument("--json", action="store_true", help="print JSON instead of tables")
    status.set_defaults(func=run_status)


def run_status(args: argparse.Namespace) -> int:
    config = config_from(args)
    if config.site.cluster is None:
        raise CommandError("this site is not a cluster (wawai.yaml has no cluster section)")
    sessions = database(config)
    try:
        with sessions() as session:
            status = cluster_status(session)
    finally:
        sessions.kw["bind"].dispose()
    if args.json:
        print(json.dumps(status, indent=2))
        return 0
    zone = ZoneInfo(config.site.site.timezone)
    for node in status["nodes"]:
        seen = datetime.fromisoformat(node["last_seen"]).astimezone(zone).isoformat(timespec="seconds")
        state = "alive" if node["alive"] else "down"
        cpu = "cpu -" if node["cpu_percent"] is None else f"cpu {node['cpu_percent']:.0f}%"
        print(f"{node['name']}\t{state}\tlast seen {seen}\t{','.join(node['roles'])}\t"
              f"{node['cameras']}/{node['capacity']} cameras\t{cpu}")
    for camera in status["cameras"]:
        print(f"{camera['camera']}\t{camera['node'] or '(no owner)'}\tepoch {camera['epoch']}")
    return 0
