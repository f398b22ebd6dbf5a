"""CAP 1.2 (OASIS) alerts for public-safety incidents, and the Atom feed that lists them.

Which incidents: ``integrations.cap`` (severity at least ``min_severity``; ``rules`` names rules or rule
types, empty for all). ``status`` is Draft until a supervisor confirms the incident (its status is one of
``confirmed_statuses``), then Actual; a false alarm gives a Cancel whose ``references`` names the alert
(``sender,identifier,sent``). Times carry the site's offset (``+07:00``), never ``Z``. The area is a
circle around the camera's location (``lat,lon radius_km``) when the camera has one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from xml.etree import ElementTree as ET

from wawai.config.schema import CapSection
from wawai.db.incidents import Incident, IncidentStatus
from wawai.integrations.event_data import SEVERITY_RANK

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_SEVERITY = {"critical": "Extreme", "high": "Severe", "medium": "Moderate", "low": "Minor"}
_UNSAFE = re.compile(r"[\s,<&]")


def cap_time(moment: datetime, zone: tzinfo) -> str:
    """``2026-12-01T21:05:09+07:00``: seconds, the site's offset, never ``Z`` (CAP 1.2 3.3.2)."""
    return moment.astimezone(zone).isoformat(timespec="seconds")


def is_public_safety(incident: Incident, cap: CapSection) -> bool:
    if SEVERITY_RANK.get(incident.severity, 0) < SEVERITY_RANK[cap.min_severity]:
        return False
    return not cap.rules or incident.rule in cap.rules or incident.type in cap.rules


@dataclass(frozen=True)
class CapMessage:
    identifier: str
    sent: str
    status: str  # Actual | Draft
    msg_type: str  # Alert | Cancel
    references: str | None


def alert_identifier(incident_id: int) -> str:
    return f"wawai-incident-{incident_id}"


def message_for(incident: Incident, cap: CapSection, zone: tzinfo, changed_at: datetime | None = None
                ) -> CapMessage:
    """The message an incident stands at now. ``changed_at``: when it was marked a false alarm."""
    identifier = alert_identifier(incident.id)
    sent = cap_time(incident.created_at, zone)
    if incident.status == IncidentStatus.FALSE_ALARM.value:
        cancelled = changed_at or incident.ended_at or incident.created_at
        cancel_sent = cap_time(max(cancelled, incident.created_at), zone)
        return CapMessage(f"{identifier}-cancel", cancel_sent, "Actual", "Cancel",
                          f"{cap.sender},{identifier},{sent}")
    status = "Actual" if incident.status in cap.confirmed_statuses else "Draft"
    return CapMessage(identifier, sent, status, "Alert", None)


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def alert_xml(incident: Incident, camera: dict[str, Any], cap: CapSection, zone: tzinfo, *,
              site_name: str, web_url: str | None, lat: float | None = None, lon: float | None = None,
              changed_at: datetime | None = None) -> bytes:
    """The CAP 1.2 document of one incident. ``camera``: {id, name, group}; lat/lon: its location."""
    message = message_for(incident, cap, zone, changed_at)
    ET.register_namespace("", CAP_NS)
    alert = ET.Element(f"{{{CAP_NS}}}alert")
    _sub(alert, "identifier", message.identifier)
    _sub(alert, "sender", cap.sender)
    _sub(alert, "sent", message.sent)
    _sub(alert, "status", message.status)
    _sub(alert, "msgType", message.msg_type)
    _sub(alert, "scope", cap.scope)
    if cap.scope == "Restricted" and cap.restriction:
        _sub(alert, "restriction", cap.restriction)
    if message.references:
        _sub(alert, "references", message.references)
    info = _sub(alert, "info")
    _sub(info, "language", "en-US")
    _sub(info, "category", cap.category)
    _sub(info, "event", f"{incident.type.replace('_', ' ')}: {incident.rule}")
    open_now = incident.ended_at is None
    _sub(info, "urgency", "Immediate" if open_now and message.msg_type == "Alert" else "Past")
    _sub(info, "severity", CAP_SEVERITY.get(incident.severity, "Unknown"))
    confirmed = message.status == "Actual" and message.msg_type == "Alert"
    certainty = "Observed" if confirmed else ("Unlikely" if message.msg_type == "Cancel" else "Possible")
    _sub(info, "certainty", certainty)
    _sub(info, "senderName", site_name)
    camera_name = str(camera.get("name") or camera.get("id") or incident.camera_id)
    headline = f"{incident.type.replace('_', ' ')} at {camera_name}"
    _sub(info, "headline", headline[:160])
    objects = ", ".join(incident.objects) or "-"
    _sub(info, "description", f"{headline} (rule {incident.rule}, zone {incident.zone or '-'}, "
                              f"objects {objects}), started {cap_time(incident.started_at, zone)}.")
    if web_url:
        _sub(info, "web", web_url)
    area = _sub(info, "area")
    group = camera.get("group")
    _sub(area, "areaDesc", f"{camera_name} ({group})" if group else camera_name)
    if lat is not None and lon is not None:
        _sub(area, "circle", f"{lat:.6f},{lon:.6f} {cap.radius_km:g}")
    return ET.tostring(alert, encoding="utf-8", xml_declaration=True)


def atom_feed(entries: list[tuple[Incident, str]], cap: CapSection, zone: tzinfo, *, site_name: str,
              feed_url: str, updated: datetime) -> bytes:
    """An Atom feed of CAP alerts; ``entries``: (incident, URL of its CAP document)."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", feed_url)
    sub(feed, "title", f"{site_name}: CAP alerts")
    sub(feed, "updated", cap_time(updated, zone))
    sub(feed, "link", rel="self", href=feed_url)
    author = sub(feed, "author")
    sub(author, "name", cap.sender)
    for incident, url in entries:
        message = message_for(incident, cap, zone)
        entry = sub(feed, "entry")
        sub(entry, "id", url)
        sub(entry, "title", f"{message.msg_type} ({message.status}): {incident.type.replace('_', ' ')} "
                            f"at {incident.camera_id}")
        sub(entry, "updated", message.sent)
        sub(entry, "link", rel="alternate", type="application/cap+xml", href=url)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def safe_token(value: str) -> str:
    return _UNSAFE.sub("-", value)
