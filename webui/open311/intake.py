"""From posted Open311 fields to a checked ``NewComplaint``: service, place, text, attributes, reporter.

Every refusal is an Open311Error(400) naming the field, raised before anything is stored.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from wawai.complaints import NewComplaint
from wawai.config.schema import ComplaintService, ComplaintsSection, ServiceAttribute
from wawai.db.complaints import IntegrationKey
from webui.open311.body import PostedFields
from webui.open311.photo import checked_photo
from webui.open311.render import Open311Error

DESCRIPTION_MAX = 4000  # the spec's limit
ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
LIMITS = {"address_string": 500, "media_url": 1000, "email": 200, "first_name": 100, "last_name": 100,
          "phone": 50, "device_id": 200, "account_id": 200}
KNOWN_FIELDS = {"api_key", "service_code", "lat", "long", "address_string", "address_id", "description",
                "media_url", "jurisdiction_id", *LIMITS}


def new_complaint(fields: PostedFields, settings: ComplaintsSection, key: IntegrationKey) -> NewComplaint:
    code = (fields.first("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "service_code is required (see services.xml)")
    service = settings.service(code)
    if service is None:
        raise Open311Error(400, f"service_code {code!r} is not a service here (see services.xml)")
    if not key.may_use(code):
        raise Open311Error(403, f"this api_key may not post to service {code!r}")
    for name, _ in fields.pairs:
        if name not in KNOWN_FIELDS and not ATTRIBUTE.match(name):
            raise Open311Error(400, f"unknown field {name!r}")
    texts = {name: _text(fields, name, limit) for name, limit in LIMITS.items()}
    lat, lon = _place(fields, texts["address_string"])
    description = fields.first("description") or ""
    if len(description) > DESCRIPTION_MAX:
        raise Open311Error(400, f"description is longer than {DESCRIPTION_MAX} characters")
    media_url = texts["media_url"]
    if media_url and not re.match(r"^https?://\S+$", media_url):
        raise Open311Error(400, "media_url must be an http:// or https:// URL")
    email = texts["email"]
    if email and not re.match(r"^[^@\s]+@[^@\s]+$", email):
        raise Open311Error(400, "email is not an e-mail address")
    photo = checked_photo(fields.photo, settings.photo_max_bytes) if fields.photo is not None else None
    reporter = {name: texts[name] or "" for name in
                ("email", "first_name", "last_name", "phone", "device_id", "account_id")}
    return NewComplaint(
        service=service, description=description.strip(), lat=lat, lon=lon, address=texts["address_string"],
        media_url=media_url, attributes=_attributes(fields, service), reporter=reporter, photo_jpeg=photo,
    )


def _text(fields: PostedFields, name: str, limit: int) -> str | None:
    value = (fields.first(name) or "").strip()
    if len(value) > limit:
        raise Open311Error(400, f"{name} is longer than {limit} characters")
    return value or None


def _number(fields: PostedFields, name: str) -> float | None:
    raw = (fields.first(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise Open311Error(400, f"{name} must be a number in decimal degrees, not {raw[:40]!r}") from exc
    if not math.isfinite(value):
        raise Open311Error(400, f"{name} must be a finite number")
    return value


def _place(fields: PostedFields, address: str | None) -> tuple[float | None, float | None]:
    lat, lon = _number(fields, "lat"), _number(fields, "long")
    if (lat is None) != (lon is None):
        raise Open311Error(400, "lat and long go together: send both, or address_string")
    if lat is not None and not -90 <= lat <= 90:
        raise Open311Error(400, f"lat {lat} is outside -90..90")
    if lon is not None and not -180 <= lon <= 180:
        raise Open311Error(400, f"long {lon} is outside -180..180")
    if lat is None and not address:
        if fields.first("address_id"):
            raise Open311Error(400, "address_id is not supported here: send lat and long, or address_string")
        raise Open311Error(400, "a place is required: lat and long, or address_string")
    return lat, lon


def _attributes(fields: PostedFields, service: ComplaintService) -> dict[str, Any]:
    given: dict[str, list[str]] = {}
    for name, value in fields.pairs:
        match = ATTRIBUTE.match(name)
        if match and value.strip():
            given.setdefault(match.group(1), []).append(value.strip())
    known = {attribute.code: attribute for attribute in service.attributes}
    for code in given:
        if code not in known:
            raise Open311Error(400, f"attribute[{code}] is not an attribute of service {service.code!r}")
    result: dict[str, Any] = {}
    for attribute in sorted(service.attributes, key=lambda a: (a.order is None, a.order or 0)):
        values = given.get(attribute.code, [])
        if not values:
            if attribute.required:
                raise Open311Error(400, f"attribute[{attribute.code}] is required ({attribute.description})")
            continue
        result[attribute.code] = _attribute_value(attribute, values)
    return result


def _attribute_value(attribute: ServiceAttribute, values: list[str]) -> Any:
    name = f"attribute[{attribute.code}]"
    keys = {value.key for value in attribute.values}
    if attribute.datatype == "multivaluelist":
        unknown = [value for value in values if value not in keys]
        if unknown:
            raise Open311Error(400, f"{name}: {unknown[0][:40]!r} is not one of {sorted(keys)}")
        return values
    if len(values) > 1:
        raise Open311Error(400, f"{name} takes one value")
    value = values[0]
    if attribute.datatype == "singlevaluelist" and value not in keys:
        raise Open311Error(400, f"{name}: {value[:40]!r} is not one of {sorted(keys)}")
    if attribute.datatype == "number":
        try:
            number = float(value)
        except ValueError as exc:
            raise Open311Error(400, f"{name} must be a number") from exc
        return number
    if attribute.datatype == "datetime":
        try:
            datetime.fromisoformat(value)
        except ValueError as exc:
            raise Open311Error(400, f"{name} must be an ISO 8601 date and time") from exc
    limit = DESCRIPTION_MAX if attribute.datatype == "text" else 1000
    if len(value) > limit:
        raise Open311Error(400, f"{name} is longer than {limit} characters")
    return value
