"""The incident workflow over the real app: transitions, roles, history, pushes, seen marks, bulk,
escalation, department limits (audited) and the language setting."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import select

from tests.incidents.conftest import add_incident
from tests.support.waiting import wait_until
from wawai.db.audit import AuditEntry
from wawai.db.incidents import IncidentHistory
from wawai.incident_escalation import escalate_overdue


def drain(queue) -> list[dict]:
    found = []
    while (message := queue.get(timeout=0.01)) is not None:
        found.append(message)
    return found


def post(api, site, who: str, incident: int, action: str, **body):
    return api.post(f"/api/incidents/{incident}/{action}", json=body, headers=site.headers(who))


def audit_rows(site, action: str) -> list[AuditEntry]:
    with site.sessions() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_supervisor_works_an_incident_through_every_state(api, site) -> None:
    incident = add_incident(site.sessions)
    queue = site.ctx.bus.subscribe()
    try:
        assert post(api, site, "supervisor1", incident, "acknowledge", note="seen it").status_code == 200
        answer = post(api, site, "supervisor1", incident, "assign", user="supervisor2", note="yours")
        assert answer.status_code == 200
        assert answer.json()["assignee"] == "supervisor2" and answer.json()["status"] == "assigned"
        assert post(api, site, "supervisor2", incident, "hold", note="waiting for PUTR").status_code == 200
        done = post(api, site, "supervisor2", incident, "resolve", note="road cleared")
        assert done.status_code == 200
        body = done.json()
        assert body["status"] == "resolved" and body["resolution_note"] == "road cleared"
        assert body["priority"] == "high" and body["overdue"] is False and "reopen" in body["actions"]
        pushed = [m for m in drain(queue) if m["type"] == "incident.updated" and m["id"] == incident]
    finally:
        site.ctx.bus.unsubscribe(queue)
    assert [m["action"] for m in pushed] == ["acknowledge", "assign", "hold", "resolve"]
    assert pushed[-1]["camera_id"] == "putr-cam" and pushed[-1]["incident"]["status"] == "resolved"

    history = api.get(f"/api/incidents/{incident}/history", headers=site.headers("admin1")).json()
    steps = [(h["actor"], h["action"], h["from_status"], h["to_status"], h["note"]) for h in history]
    assert steps == [
        ("supervisor1", "acknowledge", "new", "acknowledged", "seen it"),
        ("supervisor1", "assign", "acknowledged", "assigned", "yours"),
        ("supervisor2", "hold", "assigned", "on_hold", "waiting for PUTR"),
        ("supervisor2", "resolve", "on_hold", "resolved", "road cleared"),
    ]
    assert [h["at"] for h in history] == sorted(h["at"] for h in history)
    assert any(row.detail["incident"] == incident for row in audit_rows(site, "incident.resolve"))

    reopened = post(api, site, "supervisor1", incident, "reopen", note="again")
    assert reopened.json()["status"] == "acknowledged"


def test_operator_acknowledges_and_notes_but_may_not_resolve(api, site) -> None:
    incident = add_incident(site.sessions)
    assert post(api, site, "operator1", incident, "acknowledge").status_code == 200
    assert post(api, site, "operator1", incident, "notes", note="called the guard").status_code == 200
    refused = post(api, site, "operator1", incident, "resolve", note="done")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "resolve needs the supervisor role"
    shown = api.get(f"/api/incidents/{incident}", headers=site.headers("operator1")).json()
    assert shown["status"] == "acknowledged" and shown["actions"] == ["note"]
    history = api.get(f"/api/incidents/{incident}/history", headers=site.headers("operator1")).json()
    assert [(h["action"], h["from_status"], h["to_status"]) for h in history] == [
        ("acknowledge", "new", "acknowledged"), ("note", "acknowledged", "acknowledged")]


def test_invalid_transitions_answer_409_with_one_line_and_change_nothing(api, site) -> None:
    incident = add_incident(site.sessions)
    hold = post(api, site, "supervisor1", incident, "hold")
    assert hold.status_code == 409
    assert hold.json()["detail"] == "cannot hold an incident that is new (only from acknowledged, assigned)"
    assert post(api, site, "supervisor1", incident, "reopen").status_code == 409
    assert post(api, site, "supervisor1", incident, "assign", user="nobody").status_code == 422
    assert post(api, site, "supervisor1", incident, "notes", note="").status_code == 422
    assert post(api, site, "supervisor1", incident, "notes", note="x" * 4001).status_code == 422
    assert post(api, site, "supervisor1", 999999, "acknowledge").status_code == 404
    assert api.get(f"/api/incidents/{incident}/history", headers=site.headers("admin1")).json() == []
    assert api.get(f"/api/incidents/{incident}", headers=site.headers("admin1")).json()["status"] == "new"


def test_priority_is_changed_by_supervisors_only(api, site) -> None:
    incident = add_incident(site.sessions, severity="low")
    assert post(api, site, "operator1", incident, "priority", priority="critical").status_code == 403
    assert post(api, site, "supervisor1", incident, "priority", priority="urgent").status_code == 422
    changed = post(api, site, "supervisor1", incident, "priority", priority="critical")
    assert changed.json()["priority"] == "critical" and changed.json()["severity"] == "low"
    listed = api.get("/api/incidents", params={"priority": "critical"}, headers=site.headers("admin1")).json()
    assert incident in [item["id"] for item in listed["items"]]


def test_seen_marks_are_per_user(api, site) -> None:
    incident = add_incident(site.sessions, rule="seen-rule")
    api.get(f"/api/incidents/{incident}", headers=site.headers("supervisor1"))

    def listed(who: str, **params) -> dict[int, bool]:
        answer = api.get("/api/incidents", params={"rule": "seen-rule", **params}, headers=site.headers(who))
        return {item["id"]: item["seen"] for item in answer.json()["items"]}

    assert listed("supervisor1") == {incident: True}
    assert listed("supervisor2") == {incident: False}
    assert listed("supervisor1", seen="false") == {}
    assert listed("supervisor2", seen="false") == {incident: False}
    # Seeing it changed nothing shared.
    shown = api.get(f"/api/incidents/{incident}", headers=site.headers("supervisor2")).json()
    assert shown["status"] == "new"


def test_bulk_applies_one_action_within_what_the_user_may_see(api, site) -> None:
    putr = [add_incident(site.sessions, rule="bulk-rule") for _ in range(3)]
    rsu = [add_incident(site.sessions, camera="rsu-cam", rule="bulk-rule") for _ in range(2)]
    post(api, site, "supervisor1", putr[0], "false-alarm", note="wind")
    answer = api.post("/api/incidents/bulk", headers=site.headers("rsu-sup"),
                      json={"action": "false-alarm", "note": "night test", "filter": {"rule": "bulk-rule"}})
    assert answer.status_code == 200
    assert sorted(answer.json()["applied"]) == sorted(rsu)  # the PUTR ones are outside rsu-sup's department
    answer = api.post("/api/incidents/bulk", headers=site.headers("supervisor1"),
                      json={"action": "acknowledge", "note": "night round", "filter": {"rule": "bulk-rule"}})
    body = answer.json()
    assert sorted(body["applied"]) == sorted(putr[1:])
    assert sorted(s["id"] for s in body["skipped"]) == sorted([putr[0], *rsu])
    with site.sessions() as db:
        rows = db.scalars(select(IncidentHistory).where(IncidentHistory.note == "night round")).all()
        assert sorted(r.incident_id for r in rows) == sorted(putr[1:])
    audited = [r.detail["incident"] for r in audit_rows(site, "incident.acknowledge")
               if r.detail.get("note") == "night round"]
    assert sorted(audited) == sorted(putr[1:])
    refused = api.post("/api/incidents/bulk", headers=site.headers("operator1"),
                       json={"action": "resolve", "filter": {"rule": "bulk-rule"}})
    assert refused.status_code == 403
    unknown = api.post("/api/incidents/bulk", headers=site.headers("supervisor1"),
                       json={"action": "acknowledge", "filter": {"colour": "red"}})
    assert unknown.status_code == 422


def test_an_incident_is_assigned_only_to_someone_who_may_see_its_department(api, site) -> None:
    putr = add_incident(site.sessions, camera="putr-cam", rule="assign-rule")
    rsu = add_incident(site.sessions, camera="rsu-cam", rule="assign-rule")
    refused = post(api, site, "supervisor1", putr, "assign", user="rsu-sup")
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "'rsu-sup' cannot see this incident's department; assign someone who can")
    shown = api.get(f"/api/incidents/{putr}", headers=site.headers("admin1")).json()
    assert shown["status"] == "new" and shown["assignee"] is None
    answer = api.post("/api/incidents/bulk", headers=site.headers("supervisor1"),
                      json={"action": "assign", "user": "rsu-sup", "filter": {"rule": "assign-rule"}})
    assert answer.status_code == 200
    assert answer.json()["applied"] == [rsu]  # the PUTR one is skipped with its reason, not refused whole
    assert [s["id"] for s in answer.json()["skipped"]] == [putr]


def test_department_limited_user_is_refused_and_the_attempt_audited(api, site) -> None:
    incident = add_incident(site.sessions, camera="putr-cam")
    before = len(audit_rows(site, "access.denied"))
    start, end = time.time() - 60, time.time()
    clip = f"/api/recordings/putr-cam/clip.mp4?start={start}&end={end}"
    for path in (f"/api/incidents/{incident}", f"/api/incidents/{incident}/snapshot.jpg",
                 f"/api/incidents/{incident}/history", clip):
        answer = api.get(path, headers=site.headers("rsu-sup"))
        assert answer.status_code in (403, 404), path
        assert "\n" not in answer.json()["detail"]
    # Outside the user's departments answers like a missing incident (no probing ids), and is audited.
    evidence = api.post(f"/api/incidents/{incident}/evidence", headers=site.headers("rsu-sup"))
    assert evidence.status_code == 404
    acted = post(api, site, "rsu-sup", incident, "acknowledge")
    assert acted.status_code == 404
    denied = audit_rows(site, "access.denied")[before:]
    assert len(denied) == 6 and all(r.user_name == "rsu-sup" and r.camera_id == "putr-cam" for r in denied)
    listed = api.get("/api/incidents", headers=site.headers("rsu-sup")).json()["items"]
    assert all(item["camera"] == "rsu-cam" for item in listed)


def test_unacknowledged_critical_incident_is_escalated_once(api, site) -> None:
    queue = site.ctx.bus.subscribe()
    try:
        incident = add_incident(site.sessions, severity="critical", at=time.time())
        # The app's own escalation thread (every second; critical: 1 s in this site's config).
        assert wait_until(lambda: api.get(f"/api/incidents/{incident}",
                                          headers=site.headers("admin1")).json()["overdue"], timeout=10)
        messages = [m for m in drain(queue) if m["id"] == incident]
    finally:
        site.ctx.bus.unsubscribe(queue)
    assert [m["type"] for m in messages] == ["incident.escalated"]
    assert messages[0]["overdue"] is True
    assert escalate_overdue(site.sessions, site.ctx.bus, {"critical": 1}) == []  # once only
    history = api.get(f"/api/incidents/{incident}/history", headers=site.headers("admin1")).json()
    assert [(h["actor"], h["action"]) for h in history] == [("system", "escalate")]
    acked = post(api, site, "operator1", incident, "acknowledge").json()
    assert acked["overdue"] is False and acked["escalated_at"] is not None
    old_high = add_incident(site.sessions, severity="high", at=datetime.now(UTC).timestamp() - 3600)
    assert api.get(f"/api/incidents/{old_high}", headers=site.headers("admin1")).json()["overdue"] is False


def test_language_is_remembered_per_user(api, site) -> None:
    assert api.get("/api/auth/me", headers=site.headers("operator1")).json()["language"] == "en"
    changed = api.patch("/api/me", json={"language": "id"}, headers=site.headers("operator1"))
    assert changed.status_code == 200 and changed.json()["site"]["timezone"] == "Asia/Jakarta"
    assert api.get("/api/auth/me", headers=site.headers("operator1")).json()["language"] == "id"
    assert api.get("/api/auth/me", headers=site.headers("supervisor1")).json()["language"] == "en"
    assert api.patch("/api/me", json={"language": "fr"}, headers=site.headers("operator1")).status_code == 422
    api.patch("/api/me", json={"language": "en"}, headers=site.headers("operator1"))
