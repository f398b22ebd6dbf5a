"""Incidents older than retain_days go with their snapshots; open and recent ones stay (SQLite and
PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from analytics.incident_store import IncidentStore
from analytics.retention import purge_incidents
from analytics.rules import RuleEvent
from tests.support.postgres import on_both_databases
from wawai.bus import EventBus
from wawai.config.schema import Rule
from wawai.db.incidents import Incident

DAY = 86400.0
NOW = 1_800_000_000.0


@on_both_databases("incident_db")
def test_old_ended_incidents_and_snapshots_are_removed(tmp_path: Path, incident_db: sessionmaker[Session]):
    store = IncidentStore(incident_db, tmp_path, EventBus(), pre_seconds=5, post_seconds=10)
    rule = Rule(name="r", type="intrusion", zone="z")
    picture = np.zeros((48, 64, 3), dtype=np.uint8)

    def incident(age_days: float, end: bool, track: int) -> int:
        at = NOW - age_days * DAY
        incident_id = store.open("cam", RuleEvent("start", rule, ("r", track), at, "z", ("person",)), picture)
        if end:
            store.close(incident_id, at + 3)
        return incident_id

    old = incident(100, True, 1)
    still_open = incident(100, False, 2)
    recent = incident(10, True, 3)
    with incident_db() as db:
        old_snapshot = tmp_path / (db.get(Incident, old).snapshot_path or "")  # type: ignore[union-attr]
    assert old_snapshot.is_file()

    assert purge_incidents(incident_db, tmp_path, retain_days=90, now=NOW) == 1
    with incident_db() as db:
        assert sorted(db.scalars(select(Incident.id)).all()) == sorted([still_open, recent])
    assert not old_snapshot.exists()
    assert purge_incidents(incident_db, tmp_path, retain_days=90, now=NOW) == 0
