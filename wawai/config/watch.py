"""Watching the config directory: inotify through ``watchfiles``, polling where inotify is not available.

The watcher only says "something changed"; the reloader reads and compares everything itself, so a
burst of events (an editor writing a temp file, then renaming it) costs one reload.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import watchfiles

log = logging.getLogger(__name__)

DEBOUNCE_MS = 300  # events closer than this make one change
POLL_MS = 500
RETRY_SECONDS = 2.0


def is_config_file(_change: watchfiles.Change, path: str) -> bool:
    return path.endswith((".yaml", ".yml"))


class ConfigWatcher:
    def __init__(self, directory: Path, on_change: Callable[[], None], *,
                 force_polling: bool | None = None) -> None:
        self.directory = directory
        self.on_change = on_change
        self.force_polling = force_polling
        self.polling = bool(force_polling)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="config-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._watch()
                self._stop.wait(RETRY_SECONDS)  # the watch ended without a stop (directory gone?)
            except Exception as exc:  # inotify unavailable or out of watches: poll instead
                if self.polling:
                    log.exception("config watch failed; trying again in %g s", RETRY_SECONDS)
                    self._stop.wait(RETRY_SECONDS)
                else:
                    log.warning("config watch: inotify failed (%s); polling every %d ms instead",
                                exc, POLL_MS)
                    self.polling = True

    def _watch(self) -> None:
        changes = watchfiles.watch(
            self.directory, watch_filter=is_config_file, debounce=DEBOUNCE_MS, step=50,
            stop_event=self._stop, rust_timeout=1000, force_polling=True if self.polling else None,
            poll_delay_ms=POLL_MS, raise_interrupt=False,
        )
        log.info("watching %s for config changes (%s)", self.directory,
                 "polling" if self.polling else "inotify")
        for _batch in changes:
            try:
                self.on_change()
            except Exception:
                log.exception("config watch: reload failed")
