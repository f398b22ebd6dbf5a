"""``wawai run``: runs the node as a child process and restarts it when it dies.

Restarts back off 1, 2, 5, 10, 30 s (reset after a node ran a minute). SIGINT/SIGTERM stop the node
(SIGTERM, then SIGKILL after 4 s) so everything is gone within 5 s.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from wawai import accounts
from wawai.config.loader import load_config_and_errors
from wawai.db.base import make_sessionmaker
from wawai.db.migrate import upgrade

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (1, 2, 5, 10, 30)
STABLE_AFTER_SECONDS = 60  # a node that ran this long resets the backoff
STOP_GRACE_SECONDS = 4.0


class Supervisor:
    def __init__(self, config_dir: Path, log_level: str = "INFO") -> None:
        self.config_dir = config_dir
        self.log_level = log_level
        self.stopping = threading.Event()
        self.child: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def node_command(self) -> list[str]:
        # Only the config dir: camera URLs never appear in a process title or command line.
        return [sys.executable, "-m", "wawai.node", "--config", str(self.config_dir),
                "--log-level", self.log_level]

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("supervisor: got %s, stopping", signal.Signals(signum).name)
        self.stopping.set()

    def _forward_hup(self, _signum: int, _frame: FrameType | None) -> None:
        """SIGHUP to ``wawai run`` reloads the node's config (the node handles it)."""
        child = self.child
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGHUP)

    def prepare(self) -> bool:
        """Check the site config and the database once; say how to create the first user."""
        # Bad camera files are the node's to report (once, as it leaves them out); here only whether
        # the site can run at all.
        config, errors = load_config_and_errors(self.config_dir)
        if config is None:
            for error in errors:
                log.error("config: %s", error)
            log.error("fix the config (`wawai config check %s`) and start again", self.config_dir)
            return False
        upgrade(config.database_url)
        sessions = make_sessionmaker(config.database_url)
        try:
            with sessions() as db:
                if accounts.count_users(db) == 0:
                    log.warning(
                        "no users yet: create one with `wawai user add NAME --role admin --config %s` "
                        "(there is no default password)", self.config_dir,
                    )
        finally:
            sessions.kw["bind"].dispose()
        return True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGHUP, self._forward_hup)
        if not self.prepare():
            return 1
        failures = 0
        while not self.stopping.is_set():
            started = time.monotonic()
            self.child = subprocess.Popen(self.node_command())
            log.info("node started (pid %d)", self.child.pid)
            while self.child.poll() is None and not self.stopping.is_set():
                self.stopping.wait(0.2)
            if self.stopping.is_set():
                break
            ran = time.monotonic() - started
            failures = 0 if ran >= STABLE_AFTER_SECONDS else failures
            delay = BACKOFF_SECONDS[min(failures, len(BACKOFF_SECONDS) - 1)]
            failures += 1
            self.restarts += 1
            log.warning("node exited with status %s after %.1f s; restart %d in %d s",
                        self.child.returncode, ran, self.restarts, delay)
            self.stopping.wait(delay)
        self._stop_child()
        log.info("supervisor stopped")
        return 0

    def _stop_child(self) -> None:
        child = self.child
        if child is None or child.poll() is not None:
            return
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            log.warning("node did not stop within %.0f s; killing it", STOP_GRACE_SECONDS)
            child.kill()
            child.wait(timeout=5)
