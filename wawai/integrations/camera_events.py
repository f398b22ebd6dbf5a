"""camera.online / camera.offline outbox events from the bus's ``camera.status`` messages.

Ingest publishes a status message on every change; this turns the changes between online and not online
(offline, error) into events, each written in a transaction of its own. ``connecting`` is no change.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from wawai.bus import EventBus, consume
from wawai.config.model import WawaiConfig
from wawai.integrations.event_data import camera_status_data
from wawai.logs import mask_text
from wawai.outbox import enqueue

log = logging.getLogger(__name__)

EVENT_FOR_STATE = {"online": "camera.online", "offline": "camera.offline", "error": "camera.offline"}


class CameraEvents:
    def __init__(self, config: WawaiConfig, bus: EventBus, sessions: sessionmaker[Session]) -> None:
        self.config = config
        self.bus = bus
        self.sessions = sessions
        self._last: dict[str, str] = {}  # camera -> the last event type written
        self._queue = bus.subscribe(maxsize=1000)
        self._thread = threading.Thread(target=self._run, name="camera-events", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.bus.unsubscribe(self._queue)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        consume(self._queue, self._note)

    def _note(self, message: dict[str, Any]) -> None:
        if message.get("type") != "camera.status":
            return
        try:
            self.handle(message)
        except Exception:  # a database hiccup: this transition is lost, the next one is not
            log.exception("camera event for %s not stored", message.get("camera"))

    def handle(self, message: dict[str, Any]) -> str | None:
        """Write the event for one status message when it is a transition; returns its type."""
        camera_id = str(message.get("camera") or message.get("camera_id") or "")
        event_type = EVENT_FOR_STATE.get(str(message.get("state")))
        if not camera_id or event_type is None or self._last.get(camera_id) == event_type:
            return None
        streams = message.get("streams") or {}
        main = streams.get("main") if isinstance(streams, dict) else None
        reason = main.get("last_error") if isinstance(main, dict) else None
        state = "online" if event_type == "camera.online" else "offline"
        data = camera_status_data(self.config.cameras.get(camera_id), camera_id, state,
                                  mask_text(reason) if reason else None)
        with self.sessions() as session:
            enqueue(session, event_type, data, key=f"camera:{camera_id}")
            session.commit()
        self._last[camera_id] = event_type
        return event_type
