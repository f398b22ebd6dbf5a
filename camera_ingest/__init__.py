"""Camera ingest: one connection per stream URL, packets and frames fanned out to the other stages."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from camera_ingest.hub import Hub
    from wawai.bus import EventBus
    from wawai.config.model import WawaiConfig


def create_hub(config: WawaiConfig, bus: EventBus) -> Hub:
    """The runtime's entry point: a hub with one session per stream URL; call ``start()`` to connect."""
    from camera_ingest.hub import Hub

    return Hub(config, bus)


__all__ = ["create_hub"]
