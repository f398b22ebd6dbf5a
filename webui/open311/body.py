"""Reading a POST body as Open311 fields: form-encoded (the spec), multipart (with a photo) or JSON.

The body is read with a cap before anything is parsed, so a 10 MB "description" costs at most the cap.
Fields come out as (name, value) pairs in the spec's naming (``attribute[code]``, ``attribute[code][]``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import Message

from webui.open311.render import Open311Error

FIELDS_MAX_BYTES = 256 * 1024  # every text field together (a description is at most 4,000 characters)
MAX_FIELDS = 200
PHOTO_FIELD = "photo"


@dataclass(frozen=True)
class PostedFields:
    pairs: list[tuple[str, str]]
    photo: bytes | None

    def first(self, name: str) -> str | None:
        return next((value for key, value in self.pairs if key == name), None)

    def fingerprint(self) -> str:
        """Same fields and photo -> same fingerprint, whatever the encoding (multipart boundaries differ
        between a client's retries)."""
        digest = hashlib.sha256()
        for key, value in sorted(pair for pair in self.pairs if pair[0] != "api_key"):
            digest.update(json.dumps([key, value]).encode())
        if self.photo is not None:
            digest.update(b"photo:" + hashlib.sha256(self.photo).digest())
        return digest.hexdigest()


async def read_capped(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cap:
        raise Open311Error(400, f"request body is larger than {cap} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise Open311Error(400, f"request body is larger than {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def posted_fields(request: Request, photo_max_bytes: int) -> PostedFields:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        body = await read_capped(request, FIELDS_MAX_BYTES + photo_max_bytes)
        return await _multipart(request, body)
    body = await read_capped(request, FIELDS_MAX_BYTES)
    if kind == "application/x-www-form-urlencoded":
        try:
            text = body.decode("utf-8")
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FIELDS)
        except (UnicodeDecodeError, ValueError) as exc:
            raise Open311Error(400, f"form body is not valid UTF-8 form data: {exc}") from exc
        return PostedFields(pairs, None)
    if kind == "application/json":
        return PostedFields(_json_pairs(body), None)
    raise Open311Error(400, "send form fields (application/x-www-form-urlencoded, or multipart/form-data "
                            "with a photo) or application/json")


async def _multipart(request: Request, body: bytes) -> PostedFields:
    async def replay() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    pairs: list[tuple[str, str]] = []
    photo: bytes | None = None
    try:
        form = await Request(request.scope, replay).form(
            max_files=1, max_fields=MAX_FIELDS, max_part_size=FIELDS_MAX_BYTES
        )
    except MultiPartException as exc:
        raise Open311Error(400, f"multipart body refused: {exc.message}") from exc
    try:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                if name != PHOTO_FIELD:
                    raise Open311Error(400, f"file field {name!r}: the only file field is {PHOTO_FIELD!r}")
                photo = await value.read()
            else:
                pairs.append((name, value))
    finally:
        await form.close()
    return PostedFields(pairs, photo)


def _json_pairs(body: bytes) -> list[tuple[str, str]]:
    try:
        data: Any = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Open311Error(400, f"body is not valid JSON (as its Content-Type says): {exc}") from exc
    if not isinstance(data, dict):
        raise Open311Error(400, "JSON body must be an object of Open311 fields")
    pairs: list[tuple[str, str]] = []
    for name, value in data.items():
        if name == "attribute" and isinstance(value, dict):
            for code, item in value.items():
                if isinstance(item, list):
                    pairs += [(f"attribute[{code}][]", _scalar(f"attribute[{code}]", v)) for v in item]
                else:
                    pairs.append((f"attribute[{code}]", _scalar(f"attribute[{code}]", item)))
        elif isinstance(value, list):
            pairs += [(f"{name}[]" if not name.endswith("[]") else name, _scalar(name, v)) for v in value]
        else:
            pairs.append((str(name), _scalar(str(name), value)))
    if len(pairs) > MAX_FIELDS:
        raise Open311Error(400, f"too many fields (at most {MAX_FIELDS})")
    return pairs


def _scalar(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise Open311Error(400, f"{name} must be a string or a number")
