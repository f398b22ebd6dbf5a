"""kill -9 of the Wawai node between incidents and their delivery: after a restart every event arrives,
each id once after de-duplication, in order per incident, at the webhook and at the MQTT broker (whose
last will says ``offline`` the moment the node dies). The node is the real one
(``python -m wawai.node``) in a child process; incidents are written by the analytics IncidentStore in
this process into the same SQLite file (the outbox is the only link between the two)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.integrations.conftest import SECRET, Incidents, Mosquitto, make_site, outbox_ids
from tests.integrations.receiver import Receiver
from tests.integrations.test_mqtt import Subscriber
from tests.integrations.test_webhooks import assert_in_order_per_key
from tests.support.app_fixtures import free_port
from tests.support.processes import stop_processes
from tests.support.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]


def start_node(config_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "wawai.node", "--config", str(config_dir)],
                                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO)


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_kill_9_between_incident_and_delivery(tmp_path: Path, mosquitto: Mosquitto):
    subscriber = Subscriber(mosquitto.port, "wawai/#")
    wait_for(lambda: subscriber.client.is_connected(), 10, "the test subscriber connected")
    receiver = Receiver(secret=SECRET, mode="500")
    receiver.start()
    port = free_port()
    config, sessions = make_site(tmp_path, f"""\
        retry_schedule: [{", ".join(["0.3"] * 300)}]
        poll_seconds: 0.2
        mqtt: {{url: "{mosquitto.url}", retry_seconds: 0.5}}
        webhooks:
          - {{name: dinas, url: "{receiver.url}", secret: "{SECRET}", timeout_seconds: 2}}
        """, cameras={}, web_port=port)
    log = tmp_path / "node.log"
    node = start_node(config.directory, log)
    try:
        wait_for(lambda: healthy(port) or node.poll() is not None, 60, "the node's web server")
        assert node.poll() is None, log.read_text()[-2000:]
        incidents = Incidents(config, sessions)
        for _ in range(3):
            incidents.raise_one()
        wait_for(lambda: len(receiver.all()) >= 3, 15, "attempts against the failing receiver")
        wait_for(lambda: subscriber.payloads("wawai/available")[-1:] == [b"online"], 15, "MQTT online")
        node.send_signal(signal.SIGKILL)  # mid-retry: nothing delivered to the webhook yet
        node.wait(timeout=10)
        assert receiver.accepted() == []
        wait_for(lambda: subscriber.payloads("wawai/available")[-1:] == [b"offline"], 15, "the last will")
        incidents.raise_one()  # while Wawai is down: written, not yet sent
        receiver.mode = "ok"
        node = start_node(config.directory, log)
        expected = outbox_ids(sessions)
        assert len(expected) == 8
        wait_for(lambda: len(receiver.accepted()) == len(expected), 60, "every event after the restart")
        wait_for(lambda: len(subscriber.unique_events()) == len(expected), 30, "every event over MQTT")
    finally:
        subscriber.close()
        stop_processes([node], timeout=20)
        receiver.stop()

    assert receiver.bad_signatures == 0
    assert sorted(a.id for a in receiver.accepted()) == sorted(e[0] for e in expected)
    assert_in_order_per_key(receiver.all(), expected)
    over_mqtt = subscriber.unique_events()
    assert sorted(e["id"] for e in over_mqtt) == sorted(e[0] for e in expected)
    for key in {e[2] for e in expected}:
        assert [e["id"] for e in over_mqtt if e["data"]["incident"]["id"] == int(key.split(":")[1])] == \
            [e[0] for e in expected if e[2] == key]
