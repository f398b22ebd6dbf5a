"""Ingest test fixtures: hubs that are always stopped (a reader left blocked can abort the interpreter)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from camera_ingest import create_hub
from camera_ingest.hub import Hub
from tests.ingest.helpers import make_config
from wawai.bus import EventBus

HubFactory = Callable[..., tuple[Hub, EventBus]]


@pytest.fixture
def make_hub(tmp_path: Path) -> Iterator[HubFactory]:
    """``hub, bus = make_hub(cam={"main": url, "stall_seconds": 2}, start=True)``."""
    hubs: list[Hub] = []

    def factory(start: bool = True, **cameras: dict[str, Any]) -> tuple[Hub, EventBus]:
        bus = EventBus()
        hub = create_hub(make_config(tmp_path, **cameras), bus)
        hubs.append(hub)
        if start:
            hub.start()
        return hub, bus

    yield factory
    for hub in hubs:
        hub.stop()
