"""Webhooks end to end: the real relay, incidents raised by the analytics IncidentStore, receivers that
check every signature with the standardwebhooks package."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path

import jsonschema
from sqlalchemy import select

from tests.integrations.conftest import OLD_SECRET, SECRET, Incidents, make_site, outbox_ids, start_relay
from tests.integrations.receiver import Arrival, Receiver
from tests.support.waiting import wait_for
from wawai.db.outbox import OutboxDelivery, OutboxSubscription
from wawai.integrations.schema import envelope_schema


def assert_in_order_per_key(arrivals: list[Arrival], expected: list[tuple[str, str, str]]) -> None:
    """Every request for a key's event came after its earlier events were accepted (2xx)."""
    position = {event_id: (key, index) for index, (event_id, _type, key) in enumerate(expected)}
    by_key: dict[str, list[str]] = defaultdict(list)
    for event_id, _type, key in expected:
        by_key[key].append(event_id)
    accepted: set[str] = set()
    for arrival in arrivals:
        key, _ = position[arrival.id]
        earlier = by_key[key][: by_key[key].index(arrival.id)]
        assert all(e in accepted for e in earlier), f"{arrival.type} {arrival.id} of {key} arrived too early"
        if 200 <= arrival.answered < 300:
            accepted.add(arrival.id)


def test_outage_500_for_30s_then_down_then_back_delivers_each_event_once_in_order(tmp_path: Path):
    receiver = Receiver(secret=OLD_SECRET, mode="500")  # verifies with the older of the two keys
    receiver.start()
    config, sessions = make_site(tmp_path, f"""\
        retry_schedule: [{", ".join(["0.5"] * 400)}]
        poll_seconds: 0.2
        public_url: https://wawai.example
        webhooks:
          - {{name: dinas, url: "{receiver.url}", secret: ["{SECRET}", "{OLD_SECRET}"], timeout_seconds: 2}}
        """)
    relay = start_relay(config, sessions)
    incidents = Incidents(config, sessions)
    try:
        started = time.monotonic()
        for _ in range(3):
            incidents.raise_one()
        wait_for(lambda: len(receiver.all()) >= 4, 10, "len(receiver.all()) >= 4")
        time.sleep(10)
        for _ in range(2):
            incidents.raise_one("south-gate")
        time.sleep(max(0.0, 30 - (time.monotonic() - started)))  # 500 for 30 s
        receiver.stop()  # then nothing listens
        incidents.raise_one()
        time.sleep(3)
        receiver.mode = "ok"
        receiver.start()  # and back
        expected = outbox_ids(sessions)
        assert len(expected) == 12
        wait_for(lambda: len(receiver.accepted()) == len(expected), 30, "every event accepted")
    finally:
        relay.stop()
        receiver.stop()

    assert receiver.bad_signatures == 0
    accepted = receiver.accepted()
    assert sorted(a.id for a in accepted) == sorted(e[0] for e in expected)  # every event, each id once
    assert_in_order_per_key(receiver.all(), expected)
    first = expected[0][0]
    retries = [a for a in receiver.all() if a.id == first]
    assert len(retries) > 10 and {a.answered for a in retries[:-1]} == {500}  # same id on every retry
    sample = next(a for a in accepted if a.id == first)
    assert sample.type == "incident.created"
    assert sample.data["camera"] == {"id": "north-gate", "name": "North Gate", "group": "north",
                                     "location": None}
    assert sample.data["links"]["incident"].startswith("https://wawai.example/api/incidents/")
    assert sample.headers["webhook-signature"].count("v1,") == 2  # both keys sign while rotating
    validator = jsonschema.Draft202012Validator(envelope_schema())
    for arrival in accepted:
        validator.validate(json.loads(arrival.body))
    with sessions() as db:
        rows = db.scalars(select(OutboxDelivery)).all()
        assert {r.state for r in rows} == {"delivered"}
        assert max(r.attempts for r in rows) > 10


def test_redirect_410_hang_and_retry_after(tmp_path: Path):
    receivers = {
        "redirect": Receiver(secret=SECRET, mode="redirect"),
        "gone": Receiver(secret=SECRET, mode="410"),
        "hang": Receiver(secret=SECRET, mode="hang", hang_seconds=4),
        "slow": Receiver(secret=SECRET, mode="429", retry_after=2),
    }
    hooks = "\n".join(
        f'  - {{name: {name}, url: "{r.url}", secret: "{SECRET}", timeout_seconds: 1}}'
        for name, r in receivers.items()
    )
    for receiver in receivers.values():
        receiver.start()
    config, sessions = make_site(tmp_path, "retry_schedule: [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]\n"
                                 "retry_jitter: 0\npoll_seconds: 0.2\nwebhooks:\n" + hooks + "\n")
    relay = start_relay(config, sessions)
    incidents = Incidents(config, sessions)
    try:
        incidents.raise_one()
        slow = receivers["slow"]
        wait_for(lambda: len(slow.accepted()) == 2, 30, "len(slow.accepted()) == 2")
        wait_for(lambda: len(receivers["redirect"].all()) >= 3, 30, "len(receivers['redirect'].all()) >= 3")
        wait_for(lambda: len(receivers["hang"].all()) >= 2, 30, "len(receivers['hang'].all()) >= 2")
        incidents.raise_one()  # after the 410: nothing more goes to "gone"
        wait_for(lambda: len(slow.accepted()) == 4, 30, "len(slow.accepted()) == 4")
    finally:
        relay.stop()
        for receiver in receivers.values():
            receiver.stop()

    # 429 + Retry-After: 2 -> the same id again no sooner than 2 s later (the schedule alone says 0.3 s).
    tries = defaultdict(list)
    for arrival in slow.all():
        tries[arrival.id].append(arrival)
    for first, second in (pair for pair in tries.values()):
        assert (first.answered, second.answered) == (429, 204)
        assert second.at - first.at >= 2.0 - 0.05
    gone = receivers["gone"].all()
    assert [a.answered for a in gone] == [410]
    redirect = receivers["redirect"].all()
    assert {a.answered for a in redirect} == {307} and {a.path for a in redirect} == {"/hook"}  # not followed
    assert len(redirect) >= 3 and redirect[0].id == redirect[1].id == redirect[2].id  # retried, same id
    with sessions() as db:
        subs = {s.name: s for s in db.scalars(select(OutboxSubscription))}
        assert subs["webhook:gone"].disabled_reason and "410" in subs["webhook:gone"].disabled_reason
        assert subs["webhook:redirect"].consecutive_failures >= 3  # failing
        states = {(d.subscription, d.event.type): d for d in db.scalars(select(OutboxDelivery))}
        assert states[("webhook:hang", "incident.created")].last_status == "timeout"
        assert states[("webhook:redirect", "incident.created")].last_status == "307"
        assert states[("webhook:gone", "incident.created")].state == "pending"  # kept for a replay
    for receiver in receivers.values():
        assert receiver.bad_signatures == 0
