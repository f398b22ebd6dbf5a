"""Open311 answers in the spec's two formats: XML (the default) and JSON.

An answer is a list of flat records (nested lists allowed) under a root element; XML names each record
and each list item by the singular of its list's name (``services`` -> ``service``). Built with
ElementTree, so every value is escaped.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from fastapi import Response

SINGULAR = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
MEDIA_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(parent: ET.Element, record: dict[str, Any]) -> None:
    for name, value in record.items():
        child = ET.SubElement(parent, name)
        if isinstance(value, list):
            item_tag = SINGULAR.get(name, "item")
            for item in value:
                node = ET.SubElement(child, item_tag)
                if isinstance(item, dict):
                    _fill(node, item)
                else:
                    node.text = _text(item)
        elif isinstance(value, dict):
            _fill(child, value)
        else:
            child.text = _text(value)


def to_xml(root: str, records: list[dict[str, Any]] | dict[str, Any]) -> bytes:
    top = ET.Element(root)
    if isinstance(records, dict):
        _fill(top, records)
    else:
        for record in records:
            _fill(ET.SubElement(top, SINGULAR.get(root, "item")), record)
    return ET.tostring(top, encoding="utf-8", xml_declaration=True)


def render(fmt: str, root: str, records: list[dict[str, Any]] | dict[str, Any], status: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(records, ensure_ascii=False).encode() if fmt == "json" else to_xml(root, records)
    return Response(body, status_code=status, media_type=MEDIA_TYPES[fmt], headers=headers)


class Open311Error(Exception):
    """An answer in the spec's error format: ``[{code, description}]`` with the HTTP status as code."""

    def __init__(self, status: int, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.headers = headers


def render_error(fmt: str, error: Open311Error) -> Response:
    return render(fmt, "errors", [{"code": error.status, "description": error.description}], error.status,
                  error.headers)
