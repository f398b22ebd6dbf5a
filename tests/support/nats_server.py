"""A throwaway ``nats-server -js`` for tests (Debian's nats-server), on a free loopback port with its
JetStream store in a temp folder; ``restart()`` keeps the port and the store, as a real restart would.

Fixture: ``nats_server`` (one per test module; tests that restart it leave it running again).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.app_fixtures import free_port


class NatsServer:
    def __init__(self, monitor: bool = False) -> None:
        binary = shutil.which("nats-server") or (
            "/usr/sbin/nats-server" if Path("/usr/sbin/nats-server").exists() else None)
        if binary is None:
            raise RuntimeError("nats-server not found: run ./scripts/setup.sh "
                               "(or apt-get install nats-server)")
        self.binary = binary
        self.base = Path(tempfile.mkdtemp(prefix="wawai-nats-"))
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        # The HTTP monitoring port (/varz: message counts), for benchmarks.
        self.monitor_port = free_port() if monitor else None
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        monitor = ["-m", str(self.monitor_port)] if self.monitor_port else []
        self._process = subprocess.Popen(
            [self.binary, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.base / "store"),
             *monitor],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(4096).startswith(b"INFO"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline or self._process.poll() is not None:
                raise RuntimeError("nats-server did not start")
            time.sleep(0.1)

    def kill(self) -> None:
        """As kill -9: no goodbye to the clients, the store left as it was."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
            self._process = None
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="module")
def nats_server() -> Iterator[NatsServer]:
    try:
        server = NatsServer()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    server.start()
    yield server
    server.stop()
