"""Escalation: incidents not acknowledged within ``incidents.acknowledge_within[priority]`` seconds.

Each is marked once (``escalated_at``, a history and an audit row) and announced as
``incident.escalated``; the pages show it red with a sound while it stays unacknowledged (``overdue``).
``Escalator`` checks every second in a thread of its own; the web app starts it (every node serves pages,
and the conditional ``escalated_at IS NULL`` makes a second node's pass find nothing).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from wawai import incident_workflow
from wawai.bus import EventBus
from wawai.db.base import utcnow
from wawai.db.incidents import Incident, IncidentStatus
from wawai.incident_events import ESCALATED, publish_incident

log = logging.getLogger(__name__)

CHECK_SECONDS = 1.0


def overdue_incidents(session: Session, limits: Mapping[str, float], now: datetime) -> list[Incident]:
    if not limits:
        return []
    priority = func.coalesce(Incident.priority, Incident.severity)
    late = [(priority == level) & (Incident.started_at < now - timedelta(seconds=seconds))
            for level, seconds in limits.items()]
    query = (select(Incident).where(Incident.status == IncidentStatus.NEW.value)
             .where(Incident.escalated_at.is_(None)).where(or_(*late)).order_by(Incident.id))
    return list(session.scalars(query))


def escalate_overdue(sessions: sessionmaker[Session], bus: EventBus, limits: Mapping[str, float],
                     now: datetime | None = None) -> list[dict[str, Any]]:
    """One pass: mark and announce every overdue incident; returns their records."""
    with sessions() as session:
        found = overdue_incidents(session, limits, now or utcnow())
        for incident in found:
            incident_workflow.escalate(session, incident, limits[incident.current_priority])
        session.commit()
        records = [incident.to_json() for incident in found]
    for record in records:
        log.warning("incident %s on %s not acknowledged in time: escalated", record["id"], record["camera"])
        publish_incident(bus, ESCALATED, record)
    return records


class Escalator:
    def __init__(self, sessions: sessionmaker[Session], bus: EventBus, limits: Mapping[str, float]) -> None:
        self.sessions = sessions
        self.bus = bus
        self.limits = dict(limits)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if not self.limits:
            return  # nothing is ever overdue
        self._thread = threading.Thread(target=self._run, name="incident-escalation", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(CHECK_SECONDS):
            try:
                escalate_overdue(self.sessions, self.bus, self.limits)
            except Exception:
                log.exception("escalation pass failed; trying again in %g s", CHECK_SECONDS)
