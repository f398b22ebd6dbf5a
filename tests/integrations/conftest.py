"""Fixtures for the integrations tests: a site config with integrations, incidents raised through the
analytics IncidentStore (the real producer), the relay, and a private mosquitto broker."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from analytics.incident_store import IncidentStore
from analytics.rules import RuleEvent
from tests.support.app_fixtures import free_port, write_config
from wawai.bus import EventBus
from wawai.config.loader import load_config
from wawai.config.model import WawaiConfig
from wawai.config.schema import Rule
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade
from wawai.db.outbox import OutboxEvent
from wawai.integrations.relay import Relay, RelaySettings
from wawai.integrations.service import build_channels

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # test-only: base64 of 24 bytes
OLD_SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"  # a second key, as while rotating


def site_yaml(root: Path, integrations: str, web_port: int = 8080) -> str:
    return textwrap.dedent(f"""\
        site: {{name: Test Site, timezone: Asia/Jakarta}}
        storage: {{path: {root / 'data'}}}
        web: {{host: 127.0.0.1, port: {web_port}}}
        """) + "integrations:\n" + textwrap.indent(textwrap.dedent(integrations), "  ")


def make_site(root: Path, integrations: str, *, cameras: dict[str, str] | None = None,
              web_port: int = 8080) -> tuple[WawaiConfig, sessionmaker[Session]]:
    directory = write_config(root, cameras=cameras, site=site_yaml(root, integrations, web_port))
    config = load_config(directory)
    upgrade(config.database_url)
    return config, make_sessionmaker(config.database_url)


class Incidents:
    """Raises incidents the way analytics does: IncidentStore.open (incident.created), then .close
    (incident.updated), each in the transaction that writes the row."""

    def __init__(self, config: WawaiConfig, sessions: sessionmaker[Session]) -> None:
        self.store = IncidentStore(sessions, config.storage_path, EventBus(), pre_seconds=5, post_seconds=10,
                                   cameras=config.cameras)
        self.rule = Rule(name="gate-intrusion", type="intrusion", zone="gate", severity="high")
        self.picture = np.zeros((48, 64, 3), dtype=np.uint8)
        self.track = 0

    def raise_one(self, camera: str = "north-gate", close: bool = True) -> int:
        self.track += 1
        at = time.time()
        event = RuleEvent("start", self.rule, ("gate-intrusion", self.track), at, "gate", ("person",))
        incident_id = self.store.open(camera, event, self.picture)
        if close:
            self.store.close(incident_id, at + 1)
        return incident_id


def outbox_ids(sessions: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    """(event id, type, key) of every outbox event, in commit order."""
    with sessions() as db:
        return [(r.event_id, r.type, r.key) for r in db.scalars(select(OutboxEvent).order_by(OutboxEvent.pk))]


def start_relay(config: WawaiConfig, sessions: sessionmaker[Session]) -> Relay:
    section = config.site.integrations
    relay = Relay(build_channels(config), sessions, RelaySettings(section.poll_seconds, section.public_url))
    relay.start()
    return relay


class Mosquitto:
    """Debian's mosquitto on a free loopback port with a temp config; persistent, so a stop (SIGTERM)
    and start keeps the subscribers' sessions and their queued QoS 1 messages."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            pytest.skip("mosquitto is not installed (apt-get install mosquitto)")
        self.binary = binary
        self.port = free_port()
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.conf = directory / "mosquitto.conf"
        self.conf.write_text(textwrap.dedent(f"""\
            listener {self.port} 127.0.0.1
            allow_anonymous true
            persistence true
            persistence_location {directory}/
            log_dest file {directory}/mosquitto.log
            """))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen([self.binary, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"mosquitto exited: see {self.directory}/mosquitto.log") from None
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not listen within 10 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # saves the persistence file
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    broker = Mosquitto(tmp_path / "mosquitto")
    broker.start()
    yield broker
    broker.stop()
