"""Writing a new camera file (``wawai camera add``): the password out of the URL, probe facts as comments.

A password in a stream URL is replaced by a ``${VAR}`` reference named after the camera
(``GATE_NORTH_PASSWORD``); the caller prints the name, never the password, and the file never holds it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from wawai.config.schema import CameraConfig

_ENV_REF = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")


def password_variable(camera_id: str, stream: str = "main") -> str:
    base = re.sub(r"[^A-Z0-9]+", "_", camera_id.upper()).strip("_")
    return f"{base}_PASSWORD" if stream == "main" else f"{base}_{stream.upper()}_PASSWORD"


@dataclass(frozen=True)
class SafeUrl:
    url: str  # what goes in the file: the password replaced by ${variable}
    variable: str | None = None  # the environment variable to set, when the URL had a password
    password: str | None = field(default=None, repr=False)  # only to compare streams; never written


def without_password(url: str, variable: str) -> SafeUrl:
    """``rtsp://admin:pw@host/x`` -> ``rtsp://admin:${VAR}@host/x``; a URL already using ${...} is kept."""
    if "://" not in url:
        return SafeUrl(url)
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return SafeUrl(url)
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, sep, password = userinfo.partition(":")
    if not sep or not password or _ENV_REF.match(password):
        return SafeUrl(url)
    netloc = f"{user}:${{{variable}}}@{host}"
    return SafeUrl(urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), variable,
                   password)


def camera_text(camera_id: str, streams: dict[str, str], *, name: str | None, group: str | None,
                comments: list[str]) -> str:
    """The camera file; checked against the schema first (a ValueError names what is wrong)."""
    data: dict[str, object] = {"id": camera_id, "streams": dict(streams)}
    if name:
        data["name"] = name
    if group:
        data["group"] = group
    CameraConfig.model_validate(data)  # ${VAR} stays unexpanded here; the URL shape is still checked
    lines = [f"# {line}" for line in comments]
    lines.append(f"id: {camera_id}")
    if name:
        lines.append(f"name: {json.dumps(name)}")  # JSON strings are YAML double-quoted scalars
    if group:
        lines.append(f"group: {json.dumps(group)}")
    lines.append("streams:")
    for stream, url in streams.items():
        lines.append(f"  {stream}: {json.dumps(url)}")
    return "\n".join(lines) + "\n"
