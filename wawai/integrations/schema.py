"""The JSON Schema (draft 2020-12) of the event envelope every channel sends, published at
``GET /api/integrations/schema.json`` and in docs/integrations/event.schema.json (a test keeps the two
equal)."""

from __future__ import annotations

from typing import Any

from wawai.outbox import EVENT_TYPES

SCHEMA_ID = "https://wawai.dev/schemas/integrations/event.schema.json"

_NULLABLE_STRING = {"type": ["string", "null"]}
_LINKS = {
    "type": "object",
    "description": "Paths, or URLs under integrations.public_url; fetch them with a Wawai API token.",
    "additionalProperties": {"type": ["string", "null"]},
}
_CAMERA = {
    "type": "object",
    "required": ["id", "name", "group", "location"],
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9-]+$"},
        "name": {"type": "string"},
        "group": _NULLABLE_STRING,
        "location": {
            "type": ["object", "null"],
            "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
        },
    },
}
_INCIDENT = {
    "type": "object",
    "required": ["id", "rule", "type", "severity", "status", "started_at"],
    "properties": {
        "id": {"type": "integer"},
        "rule": {"type": "string"},
        "type": {"type": "string", "description": "rule type: intrusion, loitering, line_crossing, ..."},
        "zone": _NULLABLE_STRING,
        "severity": {"enum": ["low", "medium", "high", "critical"]},
        "objects": {"type": "array", "items": {"type": "string"}},
        "status": {"type": "string", "description": "new, acknowledged, resolved, false_alarm, ..."},
        "started_at": {"type": "string", "format": "date-time"},
        "ended_at": {"type": ["string", "null"], "format": "date-time"},
    },
}


def _case(types: list[str], data: dict[str, Any]) -> dict[str, Any]:
    return {"if": {"properties": {"type": {"enum": types}}}, "then": {"properties": {"data": data}}}


def envelope_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Wawai event",
        "description": "One event as webhooks (body), MQTT (<prefix>/events) carry it. The same id on every "
                       "retry: receivers drop duplicates by id.",
        "type": "object",
        "required": ["type", "id", "timestamp", "data"],
        "additionalProperties": False,
        "properties": {
            "type": {"enum": list(EVENT_TYPES)},
            "id": {"type": "string", "pattern": "^evt_[0-9a-f]{32}$"},
            "timestamp": {"type": "string", "format": "date-time"},
            "data": {"type": "object"},
        },
        "allOf": [
            _case(["incident.created", "incident.updated", "incident.escalated"], {
                "type": "object",
                "required": ["incident", "camera", "links"],
                "properties": {"incident": _INCIDENT, "camera": _CAMERA, "links": _LINKS},
            }),
            _case(["camera.online", "camera.offline"], {
                "type": "object",
                "required": ["camera", "state", "links"],
                "properties": {
                    "camera": _CAMERA,
                    "state": {"enum": ["online", "offline"]},
                    "reason": _NULLABLE_STRING,
                    "links": _LINKS,
                },
            }),
            _case(["complaint.created", "complaint.updated"], {
                "type": "object",
                "required": ["complaint", "links"],
                "properties": {"complaint": {"type": "object"}, "links": _LINKS},
            }),
        ],
    }
