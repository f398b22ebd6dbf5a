"""The incident workflow: which action moves an incident from which status to which, and who may do it.

    new -> acknowledged -> assigned -> on_hold -> resolved | false_alarm;  reopen -> acknowledged

``apply(session, incident, action, actor, note=None, assignee=None)`` checks the role (``NotAllowed``,
403) before the status (``InvalidTransition``, 409), changes the incident, and adds one history row and
one audit row to ``session``. The caller commits, then publishes ``incident.updated`` (wawai.incident_events)
so no page hears of a change that was rolled back. Operators acknowledge and add notes; supervisors and
admins do the rest.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wawai import audit
from wawai.db.base import utcnow
from wawai.db.incidents import Incident, IncidentHistory, IncidentStatus
from wawai.db.users import Role, User
from wawai.integrations.event_data import complaint_data, incident_data
from wawai.outbox import enqueue

S = IncidentStatus
OPEN = frozenset({S.NEW, S.ACKNOWLEDGED, S.ASSIGNED, S.ON_HOLD})
CLOSED = frozenset({S.RESOLVED, S.FALSE_ALARM})
PRIORITIES = ("low", "medium", "high", "critical")
MAX_NOTE = 4000
SYSTEM_ACTOR = "system"


class WorkflowError(Exception):
    """A one-line reason the action was refused; ``status_code`` is the HTTP answer."""

    status_code = 400


class InvalidTransition(WorkflowError):
    status_code = 409


class NotAllowed(WorkflowError):
    status_code = 403


class BadInput(WorkflowError):
    status_code = 422


class AssigneeCannotSee(WorkflowError):
    """The assignee may not see this incident's department (a bulk assign skips such incidents)."""

    status_code = 409


@dataclass(frozen=True)
class Action:
    name: str
    role: Role
    allowed_from: frozenset[IncidentStatus] | None  # None: any status
    to_status: IncidentStatus | None  # None: the status stays


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action("acknowledge", Role.OPERATOR, frozenset({S.NEW}), S.ACKNOWLEDGED),
        Action("assign", Role.SUPERVISOR, OPEN, S.ASSIGNED),
        Action("hold", Role.SUPERVISOR, frozenset({S.ACKNOWLEDGED, S.ASSIGNED}), S.ON_HOLD),
        Action("resolve", Role.SUPERVISOR, OPEN, S.RESOLVED),
        Action("false_alarm", Role.SUPERVISOR, OPEN, S.FALSE_ALARM),
        Action("reopen", Role.SUPERVISOR, CLOSED, S.ACKNOWLEDGED),
        Action("note", Role.OPERATOR, None, None),
        Action("priority", Role.SUPERVISOR, None, None),
        Action("lock", Role.SUPERVISOR, None, None),
        Action("unlock", Role.SUPERVISOR, None, None),
    )
}
# The URL spelling of each action (POST /api/incidents/{id}/<path>).
ACTION_PATHS = {name: name.replace("_", "-") for name in ACTIONS}
ACTION_PATHS["note"] = "notes"


def allowed_actions(incident: Incident, user: User) -> list[str]:
    """What ``user`` may do to ``incident`` now: the buttons the incident page shows."""
    found = []
    for action in ACTIONS.values():
        if not user.has_role(action.role):
            continue
        try:
            _check_state(incident, action)
        except InvalidTransition:
            continue
        found.append(action.name)
    return found


def _check_state(incident: Incident, action: Action) -> None:
    status = IncidentStatus(incident.status)
    if action.allowed_from is not None and status not in action.allowed_from:
        starts = ", ".join(sorted(s.value for s in action.allowed_from))
        raise InvalidTransition(
            f"cannot {action.name.replace('_', ' ')} an incident that is {status.value} (only from {starts})")
    if action.name == "lock" and incident.locked:
        raise InvalidTransition("the incident is already locked as evidence")
    if action.name == "unlock" and not incident.locked:
        raise InvalidTransition("the incident is not locked")


def apply(session: Session, incident: Incident, action: str, actor: User, note: str | None = None,
          assignee: str | None = None, priority: str | None = None,
          may_see: Callable[[User], bool] | None = None) -> IncidentHistory:
    """Do ``action`` to ``incident`` as ``actor``; raises WorkflowError subclasses (nothing changed then).

    ``may_see(user)`` says whether a user may see this incident (its department); an incident is never
    assigned to someone who could not open it."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise BadInput(f"unknown action {action!r} (one of: {', '.join(ACTIONS)})")
    if not actor.has_role(spec.role):
        raise NotAllowed(f"{action.replace('_', ' ')} needs the {spec.role.value} role")
    _check_state(incident, spec)
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise BadInput(f"a note is at most {MAX_NOTE} characters")
    detail: dict[str, object] = {}
    if spec.name == "note" and note is None:
        raise BadInput("a note needs text")
    if spec.name == "assign":
        incident.assignee = _assignee(session, assignee, may_see)
        detail["assignee"] = incident.assignee
    if spec.name == "priority":
        if priority not in PRIORITIES:
            raise BadInput(f"priority must be one of {', '.join(PRIORITIES)}")
        detail["priority_from"], detail["priority"] = incident.current_priority, priority
        incident.priority = priority
    now = utcnow()
    if spec.name == "lock":
        incident.locked, incident.locked_by, incident.locked_at = True, actor.name, now
    if spec.name == "unlock":
        incident.locked, incident.locked_by, incident.locked_at = False, None, None
    return _change(session, incident, spec.name, actor.name, spec.to_status, note, detail, now)


def escalate(session: Session, incident: Incident, limit_seconds: float) -> IncidentHistory:
    """Mark a new incident overdue (not acknowledged within ``limit_seconds``); the caller checked it is."""
    incident.escalated_at = utcnow()
    return _change(session, incident, "escalate", SYSTEM_ACTOR, None, None,
                   {"acknowledge_within": limit_seconds}, incident.escalated_at)


def _assignee(session: Session, name: str | None, may_see: Callable[[User], bool] | None) -> str:
    if not name or not name.strip():
        raise BadInput('assign needs {"user": NAME}')
    user = session.scalar(select(User).where(User.name == name.strip()))
    if user is None or user.disabled:
        raise BadInput(f"no active user {name.strip()!r} to assign to")
    if may_see is not None and not may_see(user):
        raise AssigneeCannotSee(f"{user.name!r} cannot see this incident's department; "
                                "assign someone who can")
    return user.name


def _change(session: Session, incident: Incident, action: str, actor: str, to_status: IncidentStatus | None,
            note: str | None, detail: dict[str, object], now: datetime) -> IncidentHistory:
    before = incident.status
    if to_status is not None:
        incident.status = to_status.value
    if action in ("acknowledge", "assign") and incident.acknowledged_at is None:
        incident.acknowledged_at = now
    if to_status in CLOSED:
        incident.resolution_note = note
    incident.updated_at = now
    entry = IncidentHistory(incident_id=incident.id, at=now, actor=actor, action=action, from_status=before,
                            to_status=incident.status, note=note, detail_json=json.dumps(detail))
    session.add(entry)
    audit.record(session, actor, f"incident.{action}", camera_id=incident.camera_id, incident=incident.id,
                 from_status=before, to_status=incident.status, note=note, **detail)
    _enqueue_outbox(session, incident, entry)
    session.flush()
    return entry


def _enqueue_outbox(session: Session, incident: Incident, entry: IncidentHistory) -> None:
    """The change goes to the outbox (webhooks, MQTT) in the same transaction: ``incident.escalated`` for
    an escalation, ``incident.updated`` for every other action, the action itself in ``data.change``."""
    kind = "incident.escalated" if entry.action == "escalate" else "incident.updated"
    data = incident_data(incident, None)
    data["change"] = {"action": entry.action, "actor": entry.actor, "from_status": entry.from_status,
                      "to_status": entry.to_status, "at": entry.at.isoformat()}
    enqueue(session, kind, data, key=f"incident:{incident.id}")
    if incident.complaint is not None:  # a public report: its app follows complaint.updated
        enqueue(session, "complaint.updated", complaint_data(incident), key=f"incident:{incident.id}")


def history(session: Session, incident_id: int) -> list[IncidentHistory]:
    query = select(IncidentHistory).where(IncidentHistory.incident_id == incident_id)
    return list(session.scalars(query.order_by(IncidentHistory.at, IncidentHistory.id)))
