"""The effective configuration as people may see it: site defaults applied, every secret redacted.

Used by ``wawai config show`` and ``GET /api/config``. Stream URLs lose their user:password (and
secret query values); the TURN password and the database URL's credentials show as ``***``.
"""

from __future__ import annotations

import json
from typing import Any

from wawai.config.model import WawaiConfig
from wawai.config.schema import CameraConfig, SiteConfig
from wawai.logs import mask_text, mask_url

REDACTED = "***"


def effective_camera(camera: CameraConfig, site: SiteConfig) -> dict[str, Any]:
    data = camera.model_dump(mode="json")
    data["name"] = camera.display_name
    data["detect"] = camera.detect_settings(site.defaults.detect).model_dump(mode="json")
    data["record"] = camera.record_settings(site.defaults.record).model_dump(mode="json")
    for key in ("main", "sub"):
        value = getattr(camera.streams, key)
        data["streams"][key] = mask_url(value) if value else None
    return data


def effective_site(site: SiteConfig) -> dict[str, Any]:
    data = site.model_dump(mode="json")
    if site.web.turn_password:
        data["web"]["turn_password"] = REDACTED
    if site.cluster is not None and site.cluster.secret:
        data["cluster"]["secret"] = REDACTED
    if site.database.url:
        data["database"]["url"] = mask_url(site.database.url)
    return data


def effective_config(config: WawaiConfig, camera_id: str | None = None) -> dict[str, Any]:
    """The whole config, or one camera's (KeyError when there is no such camera)."""
    if camera_id is not None:
        return mask_json(effective_camera(config.cameras[camera_id], config.site))
    data = {
        "site": effective_site(config.site),
        "cameras": {cid: effective_camera(cam, config.site) for cid, cam in sorted(config.cameras.items())},
    }
    # A last pass over everything: a secret pasted into a name or a rule must not get out either.
    return mask_json(data)


def mask_json(data: dict[str, Any]) -> dict[str, Any]:
    masked: dict[str, Any] = json.loads(mask_text(json.dumps(data)))
    return masked
