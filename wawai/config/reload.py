"""Hot reload: read the config directory, plan against what runs, apply the plan, report it.

One reload at a time, whatever asked for it (the directory watch, SIGHUP, ``POST /api/config/reload``).
Everything is validated before anything is applied; a broken camera file keeps its camera running as
it was; a broken wawai.yaml keeps everything. Each reload's plan is logged, audited, pushed on the bus as
``config.reloaded`` (and ``config.error`` when the set of errors changes) and kept for
``GET /api/config/status``. After every reload the node writes what it runs, secrets fingerprinted, to
``<storage>/config-state.json`` for ``wawai config check DIR --against-running``.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wawai import audit
from wawai.config.diff import ReloadPlan, Snapshot, format_error, new_salt, plan_reload, running_after
from wawai.config.loader import load_config_and_errors
from wawai.config.model import WawaiConfig
from wawai.stage import StageContext

log = logging.getLogger(__name__)

CONFIG_SERVICE = "config"  # ctx.services[CONFIG_SERVICE]: the node's ConfigReloader
STATE_FILE = "config-state.json"
Apply = Callable[[WawaiConfig, ReloadPlan], list[str]]  # returns what failed to apply, one line each


def state_path(config: WawaiConfig) -> Path:
    return config.storage_path / STATE_FILE


def read_state(path: Path) -> Snapshot:
    """The running node's snapshot; raises OSError or ValueError with a one-line reason."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not a config state file ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a config state file")
    try:
        return Snapshot.from_json(data)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a config state file (missing {exc})") from exc


def write_state(path: Path, snapshot: Snapshot) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    # 0600: fingerprints are not secrets, but nobody else needs to read what runs.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({**snapshot.to_json(), "written_at": time.time()}, handle)
    tmp.replace(path)


class ConfigReloader:
    def __init__(self, ctx: StageContext, directory: Path, apply: Apply) -> None:
        self.ctx = ctx
        self.directory = directory
        self.apply = apply
        self.salt = new_salt()
        self.last: dict[str, Any] | None = None
        self.errors: list[str] = [format_error(e, directory) for e in ctx.config.errors]
        self._lock = threading.Lock()
        self._requests: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    # --- lifecycle: a worker thread for reloads asked for by the watch and by signals --------------

    def start(self) -> None:
        self.write_state()
        self._thread = threading.Thread(target=self._run, name="config-reload", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._requests.put(None)
        if self._thread is not None:
            self._thread.join(timeout=30)

    def request(self, trigger: str) -> None:
        """Ask for a reload without waiting (safe from a signal handler)."""
        self._requests.put(trigger)

    def _run(self) -> None:
        while True:
            pending = [self._requests.get()]
            # Requests that piled up while a reload ran are answered by one more reload.
            while True:
                try:
                    pending.append(self._requests.get_nowait())
                except queue.Empty:
                    break
            if None in pending:  # stop()
                return
            trigger = str(pending[-1])
            try:
                self.reload(trigger, f"system:{trigger}")
            except Exception:
                log.exception("config reload (%s) failed", trigger)

    # --- a reload -------------------------------------------------------------------------------

    def running_snapshot(self) -> Snapshot:
        return Snapshot.of(self.ctx.config, self.salt)

    def plan(self) -> tuple[ReloadPlan, WawaiConfig | None]:
        """What a reload would do now, without doing it."""
        loaded, errors = load_config_and_errors(self.directory)
        return plan_reload(self.running_snapshot(), loaded, errors, self.directory), loaded

    def reload(self, trigger: str, user: str) -> dict[str, Any]:
        """Reload now (blocking; one at a time) and return the record of it: at, trigger, user, plan."""
        with self._lock:
            plan, loaded = self.plan()
            if loaded is not None:
                failures = self.apply(running_after(self.ctx.config, loaded, plan), plan)
                plan.errors.extend(failures)
            record = {"at": time.time(), "trigger": trigger, "user": user, "plan": plan.to_json()}
            quiet = trigger == "watch" and not _changes(plan) and plan.errors == self.errors
            self._report(record, plan, quiet)
            self.write_state()
            return record

    def _report(self, record: dict[str, Any], plan: ReloadPlan, quiet: bool) -> None:
        errors_changed = plan.errors != self.errors
        cleared = [error for error in self.errors if error not in plan.errors]
        self.errors = list(plan.errors)
        if quiet:
            return
        self.last = record
        for line in plan.lines():
            log.log(logging.ERROR if line.startswith("error:") else logging.INFO, "config reload (%s): %s",
                    record["trigger"], line)
        with self.ctx.sessions() as db:
            audit.record(db, record["user"], "config.reloaded", trigger=record["trigger"],
                         plan=record["plan"])
            db.commit()
        self.ctx.bus.publish({"type": "config.reloaded", "audience": "admin", **record})
        if errors_changed:
            self.ctx.bus.publish({"type": "config.error", "audience": "admin", "errors": list(plan.errors),
                                  "cleared": cleared})

    def write_state(self) -> None:
        try:
            write_state(state_path(self.ctx.config), self.running_snapshot())
        except OSError as exc:
            log.warning("cannot write the config state file: %s", exc)

    def status(self) -> dict[str, Any]:
        return {"directory": str(self.directory), "errors": list(self.errors), "last_reload": self.last}


def _changes(plan: ReloadPlan) -> bool:
    return bool(plan.applied or plan.restarted or plan.needs_restart)
