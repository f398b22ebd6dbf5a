"""Webhook delivery per the Standard Webhooks spec, with httpx.

Headers: ``webhook-id`` (the event's id, the same on every retry), ``webhook-timestamp`` (Unix seconds of
this attempt) and ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` for every
configured secret, space-separated (rotation: receivers accept any they know). Only 2xx is success.
Redirects are not followed (a 3xx is a failed attempt). 410 Gone disables the subscription. 429, 502,
503 and 504 honour ``Retry-After`` (seconds or an HTTP date). Each attempt has its own timeout.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import logging
import time
from typing import Any

import httpx

from wawai.config.schema import WebhookSubscription
from wawai.integrations.channel import EventFilter, Outcome, RetryPolicy
from wawai.logs import mask_text

log = logging.getLogger(__name__)

SLOW_DOWN = frozenset({429, 502, 503, 504})
USER_AGENT = "Wawai-Webhooks/1"


def sign(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<signature>`` entry; ``secret`` is ``whsec_`` + base64 key."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{event_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signature_header(secrets: list[str], event_id: str, timestamp: int, body: bytes) -> str:
    return " ".join(sign(secret, event_id, timestamp, body) for secret in secrets)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; None when absent or bad."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


class WebhookChannel:
    def __init__(self, config: WebhookSubscription, retry: RetryPolicy) -> None:
        self.config = config
        self.name = f"webhook:{config.name}"
        self.filter = EventFilter(frozenset(config.events), frozenset(config.groups), config.min_severity)
        self.retry = retry
        self._client: httpx.Client | None = None

    def start(self) -> None:
        self._client = httpx.Client(
            follow_redirects=False, timeout=httpx.Timeout(self.config.timeout_seconds),
            headers={"user-agent": USER_AGENT}, trust_env=False,
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def deliver(self, event_id: str, event_type: str, body: bytes, data: dict[str, Any]) -> Outcome:
        if self._client is None:
            self.start()
        assert self._client is not None
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(self.config.secrets, event_id, timestamp, body),
        }
        started = time.monotonic()
        try:
            # A hung receiver: httpx's timeouts bound each phase; the deadline bounds the whole attempt.
            with self._client.stream("POST", self.config.url, content=body, headers=headers) as response:
                for _ in response.iter_raw():
                    if time.monotonic() - started > self.config.timeout_seconds:
                        raise httpx.ReadTimeout("receiver too slow")
                status = response.status_code
                retry_after = response.headers.get("retry-after")
        except httpx.TimeoutException:
            return Outcome(False, "timeout", f"no answer within {self.config.timeout_seconds:g} s")
        except httpx.HTTPError as exc:
            # mask_text: a receiver URL may hold user:pass@, and httpx may quote it.
            return Outcome(False, "error", mask_text(f"{type(exc).__name__}: {exc}")[:300])
        if 200 <= status < 300:
            return Outcome(True, str(status))
        if status == 410:
            return Outcome(False, "410", "receiver answered 410 Gone: subscription disabled", disable=True)
        if 300 <= status < 400:
            return Outcome(False, str(status), "receiver redirected; redirects are not followed")
        if status in SLOW_DOWN:
            return Outcome(False, str(status), f"receiver answered {status}",
                           retry_after=retry_after_seconds(retry_after))
        return Outcome(False, str(status), f"receiver answered {status}")
