"""What Open311 shows of the site's services and of each request (never the reporter)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from wawai.complaints import open311_status
from wawai.config.schema import ComplaintService
from wawai.db.complaints import Complaint
from wawai.db.incidents import Incident

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-01T00:00:00+00:00"  # when this endpoint's behaviour last changed


def discovery(base_url: str, site_name: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": site_name,
        "key_service": "API keys are issued by the command center (wawai integration key create NAME)",
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": base_url,
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    }


def service(item: ComplaintService) -> dict[str, Any]:
    return {
        "service_code": item.code,
        "service_name": item.name,
        "description": item.description,
        "metadata": bool(item.attributes),
        "type": "realtime",
        "keywords": ",".join(item.keywords),
        "group": item.group,
    }


def definition(item: ComplaintService) -> dict[str, Any]:
    ordered = sorted(item.attributes, key=lambda a: (a.order is None, a.order or 0))
    return {
        "service_code": item.code,
        "attributes": [{
            "variable": True,
            "code": attribute.code,
            "datatype": attribute.datatype,
            "required": attribute.required,
            "datatype_description": attribute.datatype_description,
            "order": attribute.order if attribute.order is not None else index + 1,
            "description": attribute.description,
            "values": [{"key": value.key, "name": value.name} for value in attribute.values],
        } for index, attribute in enumerate(ordered)],
    }


def local_time(value: datetime, zone: str) -> str:
    """The spec wants a zone offset; the site's zone reads best for the city's apps."""
    return value.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds")


def service_request(
    db: Session, complaint: Complaint, incident: Incident, agency: str, zone: str
) -> dict[str, Any]:
    status, notes = open311_status(incident)
    updated = incident.updated_at or complaint.requested_at
    return {
        "service_request_id": str(complaint.id),
        "status": status,
        "status_notes": notes,
        "service_name": complaint.service_name,
        "service_code": complaint.service_code,
        "description": complaint.description,
        "agency_responsible": agency,
        "service_notice": "",
        "requested_datetime": local_time(complaint.requested_at, zone),
        "updated_datetime": local_time(updated, zone),
        "expected_datetime": None,
        "address": complaint.address,
        "address_id": None,
        "zipcode": None,
        "lat": complaint.lat,
        "long": complaint.lon,
        "media_url": complaint.media_url,
    }


def created(complaint: Complaint) -> dict[str, Any]:
    return {"service_request_id": str(complaint.id), "service_notice": "", "account_id": None}
