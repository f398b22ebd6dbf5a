"""The node's integrations: the relay's channels from ``integrations`` config, and camera events.

The runtime creates it with ``create_integrations(ctx)`` and starts it after the stages, so events that
the stages write are delivered from the start; it stops first.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from wawai.config.model import WawaiConfig
from wawai.db.base import utcnow
from wawai.integrations.camera_events import CameraEvents
from wawai.integrations.channel import Channel, RetryPolicy
from wawai.integrations.deliveries import purge_events
from wawai.integrations.relay import Relay, RelaySettings
from wawai.integrations.webhooks import WebhookChannel
from wawai.stage import StageContext

log = logging.getLogger(__name__)

INTEGRATIONS_SERVICE = "integrations"
PURGE_PERIOD = 3600.0  # seconds between outbox clean-ups


def build_channels(config: WawaiConfig) -> list[Channel]:
    section = config.site.integrations
    retry = RetryPolicy(tuple(section.retry_schedule), jitter=section.retry_jitter,
                        retry_after_max=section.retry_after_max_seconds)
    channels: list[Channel] = [WebhookChannel(hook, retry) for hook in section.webhooks]
    if section.mqtt.url:
        from wawai.integrations.mqtt import MqttChannel

        channels.append(MqttChannel(section.mqtt))
    return channels


def subscription_names(config: WawaiConfig) -> list[str]:
    section = config.site.integrations
    names = [f"webhook:{hook.name}" for hook in section.webhooks]
    return [*names, "mqtt"] if section.mqtt.url else names


class Integrations:
    def __init__(self, ctx: StageContext) -> None:
        section = ctx.config.site.integrations
        self.channels = build_channels(ctx.config)
        self.relay = Relay(self.channels, ctx.sessions,
                           RelaySettings(poll_seconds=section.poll_seconds, public_url=section.public_url))
        self.camera_events = CameraEvents(ctx.config, ctx.bus, ctx.sessions)
        self.sessions = ctx.sessions
        self.retain = timedelta(days=section.retain_days)
        self._stop = threading.Event()
        self._purger = threading.Thread(target=self._purge_loop, name="outbox-purge", daemon=True)

    def start(self) -> None:
        self.camera_events.start()
        self.relay.start()
        self._purger.start()
        log.info("integrations: %s", ", ".join(c.name for c in self.channels) or "no subscriptions")

    def stop(self) -> None:
        self._stop.set()
        self.relay.stop()
        self.camera_events.stop()

    def purge(self) -> int:
        with self.sessions() as session:
            removed = purge_events(session, utcnow() - self.retain)
            session.commit()
        if removed:
            log.info("outbox: removed %d events older than %s", removed, self.retain)
        return removed

    def _purge_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.purge()
            except Exception:  # a busy database: try again next period
                log.exception("outbox clean-up failed")
            self._stop.wait(PURGE_PERIOD)


def create_integrations(ctx: StageContext) -> Integrations:
    service = Integrations(ctx)
    ctx.services[INTEGRATIONS_SERVICE] = service
    return service
