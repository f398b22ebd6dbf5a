"""What the web app runs beside its requests, for as long as it serves: the escalation check, and the
site's evidence key made on first start (so its public key can be noted before any export)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from wawai.evidence import fingerprint, site_key
from wawai.incident_escalation import Escalator
from wawai.stage import StageContext

log = logging.getLogger(__name__)


def lifespan_for(ctx: StageContext) -> Any:
    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        try:
            log.info("evidence signing key %s", fingerprint(site_key(ctx.storage))[:16])
        except OSError as exc:  # a read-only storage folder must not keep the pages down
            log.error("evidence signing key not available: %s", exc)
        within = ctx.config.site.incidents.acknowledge_within
        limits = {str(level): seconds for level, seconds in within.items()}
        escalator = Escalator(ctx.sessions, ctx.bus, limits)
        escalator.start()
        try:
            yield
        finally:
            escalator.stop()

    return lifespan
