"""What a change to each config field takes at run time: the table hot reload classifies changes by.

Kept beside ``schema.py``: a field added there needs a row here (tests/reload/test_fields.py walks the
models and fails on a field without one). A row names a dotted key or a prefix of one; the longest row
that is a prefix of a changed key decides.

- ``LIVE``: applied to the running camera or site without touching its stream.
- ``RESTART_STREAM``: that camera's streams are closed and opened again (its recording gets a gap of
  the reconnect; no other camera is touched).
- ``PROCESS``: only a process restart applies it; a reload reports it and keeps the running value.
"""

from __future__ import annotations

from typing import Literal

FieldClass = Literal["live", "restart-stream", "needs-process-restart"]

LIVE: FieldClass = "live"
RESTART_STREAM: FieldClass = "restart-stream"
PROCESS: FieldClass = "needs-process-restart"

CAMERA_FIELDS: dict[str, FieldClass] = {
    "name": LIVE,
    "group": LIVE,
    "zones": LIVE,
    "rules": LIVE,
    "detect": LIVE,  # the camera's analytics pipeline is rebuilt; its stream is untouched
    "record": LIVE,  # retention reads it each pass; a new mode or segment length starts a new segment
    "streams": RESTART_STREAM,  # main, sub (added or removed), loop, stall_seconds
    "location": LIVE,  # read per request (map, nearest cameras) and per outbox event
}

SITE_FIELDS: dict[str, FieldClass] = {
    "site.name": LIVE,
    "site.timezone": PROCESS,  # rule schedules are compiled with it
    "storage.path": PROCESS,
    "storage.max_bytes": LIVE,
    "storage.min_free_bytes": LIVE,
    "database": PROCESS,
    "web": PROCESS,  # host, port, ICE and sign-in settings are read when the web server starts
    "detector": PROCESS,  # one detector (model, threads, providers) serves every camera
    "defaults": LIVE,  # reaches each camera as a change of its own detect or record settings
    "incidents": PROCESS,  # read by the incident store and its retention at start
    "reload": PROCESS,  # the watch itself starts with the node
    "health": PROCESS,  # the health sampler reads its period at start
    "site.map": PROCESS,  # the page's CSP names the tile server's origin when the app is built
    "complaints": PROCESS,  # Open311 services and limits are read when the app is built
    "integrations": PROCESS,  # webhook, MQTT and CAP channels start with the node
    "cluster": PROCESS,  # a node's identity and roles
}

# The site sections a reload never half-applies: their running values stay until a restart.
PROCESS_SITE_KEYS: tuple[str, ...] = tuple(key for key, kind in SITE_FIELDS.items() if kind == PROCESS)


def classify(table: dict[str, FieldClass], key: str) -> FieldClass:
    """The class of a dotted key ("streams.main", "web.port"); raises KeyError when no row covers it."""
    parts = key.split(".")
    for end in range(len(parts), 0, -1):
        found = table.get(".".join(parts[:end]))
        if found is not None:
            return found
    raise KeyError(f"no hot-reload class for config key {key!r} (add it to wawai/config/fields.py)")
