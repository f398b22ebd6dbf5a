"""The integrations API, the CAP 1.2 documents and the OpenAPI description, through the real app."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from tests.integrations.conftest import SECRET, Incidents, outbox_ids, site_yaml, start_relay
from tests.integrations.receiver import Receiver
from tests.support.app_fixtures import write_config
from tests.support.waiting import wait_for
from wawai.config.loader import check_config
from wawai.db.incidents import Incident
from wawai.integrations.cap import CAP_NS, alert_xml
from wawai.integrations.deliveries import OutboxCollector
from wawai.integrations.schema import envelope_schema
from webui.app import OPENAPI_URL, registered_routes

REPO = Path(__file__).resolve().parents[2]
NS = {"cap": CAP_NS}
OFFSET_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
STATUS = {"Actual", "Exercise", "System", "Test", "Draft"}
MSG_TYPE = {"Alert", "Update", "Cancel", "Ack", "Error"}
SCOPE = {"Public", "Restricted", "Private"}
CATEGORY = {"Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
            "CBRNE", "Other"}
URGENCY = {"Immediate", "Expected", "Future", "Past", "Unknown"}
SEVERITY = {"Extreme", "Severe", "Moderate", "Minor", "Unknown"}
CERTAINTY = {"Observed", "Likely", "Possible", "Unlikely", "Unknown"}
RECEIVER = Receiver(secret=SECRET)


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    integrations = f"""\
        poll_seconds: 0.2
        retry_schedule: [0.2, 0.2]
        failing_after: 2
        cap: {{enabled: true, sender: "ops@metro.example", min_severity: high}}
        webhooks:
          - {{name: dinas, url: "{RECEIVER.url}", secret: "{SECRET}", timeout_seconds: 2}}
        """
    write_config(tmp_path)
    return write_config(tmp_path, site=site_yaml(tmp_path, integrations))


def auth(users, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {users[role].token}"}


def parse_cap(body: bytes) -> ET.Element:
    root = ET.fromstring(body)
    assert root.tag == f"{{{CAP_NS}}}alert"
    for tag in ("identifier", "sender", "sent", "status", "msgType", "scope"):
        assert root.find(f"cap:{tag}", NS) is not None, tag
    assert not re.search(r"[\s,<&]", root.findtext("cap:identifier", namespaces=NS) or " ")
    assert OFFSET_TIME.match(root.findtext("cap:sent", namespaces=NS) or ""), "sent needs an offset, never Z"
    assert root.findtext("cap:status", namespaces=NS) in STATUS
    assert root.findtext("cap:msgType", namespaces=NS) in MSG_TYPE
    assert root.findtext("cap:scope", namespaces=NS) in SCOPE
    info = root.find("cap:info", NS)
    assert info is not None
    assert info.findtext("cap:category", namespaces=NS) in CATEGORY
    assert info.findtext("cap:event", namespaces=NS)
    assert info.findtext("cap:urgency", namespaces=NS) in URGENCY
    assert info.findtext("cap:severity", namespaces=NS) in SEVERITY
    assert info.findtext("cap:certainty", namespaces=NS) in CERTAINTY
    assert info.findtext("cap:area/cap:areaDesc", namespaces=NS)
    return root


def test_cap_alert_draft_actual_and_cancel(client, users, wawai_config, sessions):
    incidents = Incidents(wawai_config, sessions)
    incident_id = incidents.raise_one()
    url = f"/api/cap/{incident_id}.xml"
    draft = client.get(url, headers=auth(users, "operator"))
    assert draft.status_code == 200 and draft.headers["content-type"].startswith("application/cap+xml")
    alert = parse_cap(draft.content)
    assert (alert.findtext("cap:status", namespaces=NS), alert.findtext("cap:msgType", namespaces=NS)) == \
        ("Draft", "Alert")
    assert (alert.findtext("cap:sent", namespaces=NS) or "").endswith("+07:00")  # Asia/Jakarta

    with sessions() as db:
        db.get(Incident, incident_id).status = "assigned"  # a supervisor assigned it: confirmed
        db.commit()
    actual = parse_cap(client.get(url, headers=auth(users, "operator")).content)
    assert actual.findtext("cap:status", namespaces=NS) == "Actual"
    assert actual.findtext("cap:info/cap:certainty", namespaces=NS) == "Observed"

    with sessions() as db:
        db.get(Incident, incident_id).status = "false_alarm"
        db.commit()
    cancel = parse_cap(client.get(url, headers=auth(users, "operator")).content)
    assert cancel.findtext("cap:msgType", namespaces=NS) == "Cancel"
    tags = ("sender", "identifier", "sent")
    reference = ",".join(actual.findtext(f"cap:{tag}", namespaces=NS) or "" for tag in tags)
    assert cancel.findtext("cap:references", namespaces=NS) == reference
    identifier = actual.findtext("cap:identifier", namespaces=NS)
    assert cancel.findtext("cap:identifier", namespaces=NS) != identifier

    feed = ET.fromstring(client.get("/api/cap/feed.atom", headers=auth(users, "admin")).content)
    atom = {"a": "http://www.w3.org/2005/Atom"}
    links = [link.get("href") for link in feed.findall("a:entry/a:link", atom)]
    assert links == [f"/api/cap/{incident_id}.xml"]
    assert OFFSET_TIME.match(feed.findtext("a:updated", namespaces=atom) or "")

    hidden = incidents.raise_one("south-gate")
    assert client.get(f"/api/cap/{hidden}.xml", headers=auth(users, "operator")).status_code == 404
    incidents.rule = incidents.rule.model_copy(update={"severity": "low"})
    minor = incidents.raise_one()
    answer = client.get(f"/api/cap/{minor}.xml", headers=auth(users, "admin"))
    assert answer.status_code == 404 and "public-safety" in answer.json()["detail"]


def test_cap_circle_from_the_camera_location(wawai_config, sessions):
    incident_id = Incidents(wawai_config, sessions).raise_one()
    with sessions() as db:
        incident = db.get(Incident, incident_id)
        body = alert_xml(incident, {"id": "north-gate", "name": "North Gate", "group": "north"},
                         wawai_config.site.integrations.cap, ZoneInfo("Asia/Jakarta"), site_name="Metro",
                         web_url=None, lat=-6.175392, lon=106.827153)
    area = parse_cap(body).find("cap:info/cap:area", NS)
    assert area is not None
    assert area.findtext("cap:circle", namespaces=NS) == "-6.175392,106.827153 0.2"


def test_openapi_lists_every_registered_route(app, client, users):
    assert client.get(OPENAPI_URL).status_code == 401
    assert client.get("/api/docs").status_code == 401
    spec = client.get(OPENAPI_URL, headers=auth(users, "operator")).json()
    documented = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    # OpenAPI writes a path parameter without its Starlette converter: {name:path} is {name} there.
    served = {(method, re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path))
              for route in registered_routes(app) if route.kind == "http"
              for method in route.methods - {"HEAD", "OPTIONS"}}
    # Not operations of the API: the description itself and the "/" redirect to the start page.
    served -= {("GET", OPENAPI_URL), ("GET", "/")}
    assert documented == served
    assert unnamed_operations(spec) == []
    page = client.get("/api/docs", headers=auth(users, "operator"))
    assert page.status_code == 200 and "/static/js/apidocs.js" in page.text
    assert "<script>" not in page.text  # the CSP allows no inline script


def unnamed_operations(spec: dict) -> list[str]:
    """Operations whose JSON answer or JSON body has no named model, or whose answer names no media type."""
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            ok = {code: answer for code, answer in operation["responses"].items() if code.startswith("2")}
            if not ok:
                found.append(f"{where}: no success answer")
            for code, answer in ok.items():
                content = answer.get("content", {})
                if code != "204" and not content:
                    found.append(f"{where}: {code} names no media type")
                for media_type, body in content.items():
                    if "json" in media_type and "$ref" not in json.dumps(body.get("schema", {})):
                        found.append(f"{where}: {code} {media_type} answer without a named model")
            for media_type, body in operation.get("requestBody", {}).get("content", {}).items():
                if "json" in media_type and "$ref" not in json.dumps(body.get("schema", {})):
                    found.append(f"{where}: {media_type} body without a named model")
    return sorted(found)


def test_every_named_schema_is_defined(client, users):
    """A $ref into components must resolve: request_body() names models outside FastAPI's own walk."""
    spec = client.get(OPENAPI_URL, headers=auth(users, "operator")).json()
    defined = set(spec["components"]["schemas"])
    referenced = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(spec)))
    assert referenced - defined == set()
    assert {"ServiceRequestFields", "Discovery", "IncidentInfo", "AuditPage"} <= defined


def test_schema_is_published_and_matches_the_repo_copy(client, users):
    served = client.get("/api/integrations/schema.json", headers=auth(users, "operator")).json()
    assert served == envelope_schema()
    assert json.loads((REPO / "docs" / "integrations" / "event.schema.json").read_text()) == served


def test_deliveries_replay_failing_and_metrics(client, users, wawai_config, sessions):
    assert client.get("/api/integrations/deliveries", headers=auth(users, "operator")).status_code == 403
    RECEIVER.mode = "500"
    RECEIVER.arrivals.clear()
    RECEIVER.start()
    relay = start_relay(wawai_config, sessions)
    try:
        incidents = Incidents(wawai_config, sessions)
        incidents.raise_one()
        wait_for(lambda: len(RECEIVER.all()) >= 2, 10, "failed attempts")
        page = client.get("/api/integrations/deliveries", headers=auth(users, "admin")).json()
        (sub,) = page["subscriptions"]
        assert sub["name"] == "webhook:dinas" and sub["failing"] and page["timezone"] == "Asia/Jakarta"
        registry = CollectorRegistry()
        registry.register(OutboxCollector(sessions, ["webhook:dinas"], 2))
        scraped = generate_latest(registry).decode()
        assert 'wawai_integration_failing{subscription="webhook:dinas"} 1.0' in scraped

        failed_url = "/api/integrations/deliveries?state=failed"
        wait_for(lambda: len(client.get(failed_url, headers=auth(users, "admin")).json()["items"]) == 2, 10,
                 "spent schedule")
        RECEIVER.mode = "ok"
        failed = client.get("/api/integrations/deliveries?state=failed", headers=auth(users, "admin")).json()
        first = min(failed["items"], key=lambda d: d["id"])
        headers = {**auth(users, "admin")}
        assert client.post("/api/integrations/deliveries/999999/replay", headers=headers).status_code == 404
        replayed = client.post(f"/api/integrations/deliveries/{first['id']}/replay", headers=headers).json()
        assert replayed["state"] == "pending" and replayed["attempts"] == 0
        wait_for(lambda: len(RECEIVER.accepted()) == 1, 10, "the replayed delivery")
        assert RECEIVER.accepted()[0].id == first["event_id"]  # the same id as before

        answer = client.post("/api/integrations/replay", headers=headers,
                             json={"since": "2000-01-01T00:00:00Z"})
        assert answer.status_code == 200 and answer.json() == {"queued": 2}
        expected = outbox_ids(sessions)
        wait_for(lambda: len(RECEIVER.accepted()) == 2, 10, "everything sent again")
        assert {a.id for a in RECEIVER.accepted()} == {e[0] for e in expected}
        bad = client.post("/api/integrations/replay", headers=headers, json={"since": "yesterday"})
        assert bad.status_code == 422
        unknown = client.post("/api/integrations/replay", headers=headers,
                              json={"since": "2000-01-01T00:00:00Z", "subscription": "webhook:nobody"})
        assert unknown.status_code == 404 and "nobody" in unknown.json()["detail"]
    finally:
        relay.stop()
        RECEIVER.stop()


def test_bad_integrations_config_is_named(tmp_path: Path):
    directory = write_config(tmp_path, site=site_yaml(tmp_path, """\
        webhooks:
          - {name: dinas, url: "ftp://x", secret: "not-a-secret"}
        mqtt: {url: "http://broker"}
        """))
    text = "\n".join(str(error) for error in check_config(directory))
    assert "webhook url must be http(s)" in text
    assert "whsec_" in text
    assert "mqtt url must be mqtt://" in text


def test_old_outbox_events_are_purged_with_their_deliveries(stage_context, wawai_config, sessions):
    from datetime import timedelta

    from sqlalchemy import select

    from wawai.db.base import utcnow
    from wawai.db.outbox import OutboxDelivery, OutboxEvent
    from wawai.integrations.service import Integrations

    integrations = Integrations(stage_context)
    integrations.relay.start()  # the subscription exists; its worker fans the events out
    try:
        Incidents(wawai_config, sessions).raise_one()
        wait_for(lambda: _count(sessions, OutboxDelivery) == 2, 10, "deliveries of both events")
    finally:
        integrations.relay.stop()
    with sessions() as db:
        old = db.scalars(select(OutboxEvent).order_by(OutboxEvent.pk)).first()
        assert old is not None
        old.created_at = utcnow() - timedelta(days=31)  # older than retain_days (30)
        db.commit()
    assert integrations.purge() == 1
    assert _count(sessions, OutboxEvent) == 1 and _count(sessions, OutboxDelivery) == 1


def _count(sessions, model) -> int:
    from sqlalchemy import func, select

    with sessions() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_workflow_changes_and_escalation_go_to_the_outbox_in_order(client, users, wawai_config, sessions):
    from datetime import timedelta

    from sqlalchemy import select

    from wawai.bus import EventBus
    from wawai.db.base import utcnow
    from wawai.db.outbox import OutboxEvent
    from wawai.incident_escalation import escalate_overdue

    incident_id = Incidents(wawai_config, sessions).raise_one(close=False)
    later = utcnow() + timedelta(seconds=10)  # "high" may wait 1 s for an acknowledgement: overdue then
    assert [r["id"] for r in escalate_overdue(sessions, EventBus(), {"high": 1.0}, later)] == [incident_id]
    answer = client.post(f"/api/incidents/{incident_id}/acknowledge", headers=auth(users, "operator"))
    assert answer.status_code == 200, answer.text
    with sessions() as db:
        rows = db.scalars(select(OutboxEvent).where(OutboxEvent.key == f"incident:{incident_id}")
                          .order_by(OutboxEvent.pk)).all()
        assert [r.type for r in rows] == ["incident.created", "incident.escalated", "incident.updated"]
        last = rows[-1].data
    assert last["change"]["action"] == "acknowledge" and last["incident"]["status"] == "acknowledged"
    assert last["camera"]["group"] == "north"  # camera facts found without the producer's config
