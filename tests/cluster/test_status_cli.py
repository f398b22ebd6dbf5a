"""``wawai cluster status``: nodes and camera owners read from the shared PostgreSQL."""

from __future__ import annotations

import json

from tests.cluster.helpers import CAMERAS, make_node
from tests.support.app_fixtures import write_config
from wawai.cli import main
from wawai.db.migrate import upgrade


def test_status_shows_nodes_and_owners_and_a_node_that_left(tmp_path, postgres_url, capsys):
    upgrade(postgres_url)
    nodes = [make_node(postgres_url, name) for name in ("node-a", "node-b")]
    try:
        for _ in range(3):
            for node in nodes:
                node.coordinator.step()
        nodes[1].coordinator.leave()  # releases its cameras and ends its lease
        nodes[0].coordinator.step()  # node-a takes them
        site = (f'site: {{timezone: Asia/Jakarta}}\ndatabase: {{url: "{postgres_url}"}}\n'
                "cluster: {node: node-a}\n")
        directory = write_config(tmp_path, cameras={}, site=site)
        assert main(["--config", str(directory), "cluster", "status", "--json"]) == 0
        status = json.loads(capsys.readouterr().out)
        assert [(n["name"], n["alive"], n["cameras"]) for n in status["nodes"]] == [
            ("node-a", True, len(CAMERAS)), ("node-b", False, 0)]
        assert {c["camera"]: c["node"] for c in status["cameras"]} == dict.fromkeys(CAMERAS, "node-a")
        assert main(["--config", str(directory), "cluster", "status"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].startswith("node-a\talive\tlast seen ") and "+07:00" in lines[0]
        assert f"record,web\t{len(CAMERAS)}/100 cameras\tcpu " in lines[0]
        # Each renewal wrote the node's CPU figure (percent of one core since the previous renewal).
        cpu = status["nodes"][0]["cpu_percent"]
        assert cpu is not None and cpu >= 0 and lines[0].endswith(f"\tcpu {cpu:.0f}%")
        assert lines[1].startswith("node-b\tdown\t")
        assert lines[2] == f"{CAMERAS[0]}\tnode-a\tepoch {status['cameras'][0]['epoch']}"
    finally:
        for node in nodes:
            node.sessions.kw["bind"].dispose()


def test_a_single_node_site_is_told_so_in_one_line(tmp_path, capsys):
    directory = write_config(tmp_path, cameras={}, site="")
    assert main(["--config", str(directory), "cluster", "status"]) == 1
    message = "wawai: this site is not a cluster (wawai.yaml has no cluster section)\n"
    assert capsys.readouterr().err == message
