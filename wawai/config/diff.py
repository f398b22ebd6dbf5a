"""Comparing a running config with a newly loaded one, camera by camera: the reload plan.

Both sides are first reduced to a ``Snapshot``: plain JSON with every camera's settings as they take
effect (site defaults filled in) and every secret (stream URLs, TURN password, database URL) replaced by
a salted fingerprint. The node plans its reloads from the snapshot of what it runs, and writes that
snapshot to a state file, so ``wawai config check DIR --against-running`` computes the same plan with the
same code without ever seeing a password.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from wawai.config.errors import ConfigError
from wawai.config.fields import (
    CAMERA_FIELDS,
    PROCESS,
    PROCESS_SITE_KEYS,
    RESTART_STREAM,
    SITE_FIELDS,
    classify,
)
from wawai.config.model import WawaiConfig
from wawai.config.schema import CameraConfig, SiteConfig

SNAPSHOT_VERSION = 1
Kind = Literal["added", "removed", "changed"]


def new_salt() -> str:
    return secrets.token_hex(16)


def fingerprint(value: str | None, salt: str) -> str | None:
    """Equal values give equal fingerprints under one salt; the value cannot be read back."""
    if value is None:
        return None
    return "sha256:" + hashlib.sha256(f"{salt}\0{value}".encode()).hexdigest()[:32]


def camera_view(camera: CameraConfig, site: SiteConfig, salt: str) -> dict[str, Any]:
    """One camera as it takes effect: detect and record with the site's defaults filled in."""
    data = camera.model_dump(mode="json", exclude={"id"})
    data["detect"] = camera.detect_settings(site.defaults.detect).model_dump(mode="json")
    data["record"] = camera.record_settings(site.defaults.record).model_dump(mode="json")
    data["streams"]["main"] = fingerprint(camera.streams.main, salt)
    data["streams"]["sub"] = fingerprint(camera.streams.sub, salt)
    return data


def site_view(site: SiteConfig, salt: str) -> dict[str, Any]:
    data = site.model_dump(mode="json")
    data["web"]["turn_password"] = fingerprint(site.web.turn_password, salt)
    data["database"]["url"] = fingerprint(site.database.url, salt)  # may hold a password
    return data


def relative_source(path: Path, directory: Path) -> str:
    """A camera file as the plan names it: relative to the config directory ("cameras/gate.yaml")."""
    try:
        return path.resolve().relative_to(directory.resolve()).as_posix()
    except ValueError:
        return str(path)


def format_error(error: ConfigError, directory: Path) -> str:
    """``FILE:LINE: key.path: message`` with FILE relative to the config directory."""
    return str(replace(error, file=Path(relative_source(error.file, directory))))


@dataclass(frozen=True)
class Snapshot:
    salt: str
    site: dict[str, Any]
    cameras: dict[str, dict[str, Any]]
    sources: dict[str, str]  # camera id -> its file, relative to the config directory

    @classmethod
    def of(cls, config: WawaiConfig, salt: str) -> Snapshot:
        return cls(
            salt=salt,
            site=site_view(config.site, salt),
            cameras={cid: camera_view(cam, config.site, salt) for cid, cam in config.cameras.items()},
            sources={cid: relative_source(path, config.directory) for cid, path in config.sources.items()},
        )

    def to_json(self) -> dict[str, Any]:
        return {"version": SNAPSHOT_VERSION, "salt": self.salt, "site": self.site, "cameras": self.cameras,
                "sources": self.sources}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Snapshot:
        if data.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"state file version {data.get('version')!r}, expected {SNAPSHOT_VERSION}")
        return cls(salt=str(data["salt"]), site=dict(data["site"]), cameras=dict(data["cameras"]),
                   sources=dict(data["sources"]))


@dataclass(frozen=True)
class Change:
    camera: str | None  # None: the site file (wawai.yaml)
    change: Kind
    fields: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"camera": self.camera, "change": self.change, "fields": self.fields}


@dataclass
class ReloadPlan:
    applied: list[Change] = field(default_factory=list)
    restarted: list[Change] = field(default_factory=list)
    needs_restart: list[Change] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Cameras whose file is broken now: they keep running with the config they had.
    kept: list[str] = field(default_factory=list)
    site_valid: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "applied": [c.to_json() for c in self.applied],
            "restarted": [c.to_json() for c in self.restarted],
            "needs_restart": [c.to_json() for c in self.needs_restart],
            "errors": list(self.errors),
            "kept": list(self.kept),
        }

    def lines(self) -> list[str]:
        """The plan for people: one line per change."""
        def where(change: Change) -> str:
            return f"camera {change.camera}" if change.camera else "wawai.yaml"

        out = [f"apply live: {where(c)} {c.change}" + (f" ({', '.join(c.fields)})" if c.fields else "")
               for c in self.applied]
        out += [f"restart stream: {where(c)} ({', '.join(c.fields)})" for c in self.restarted]
        out += [f"needs a process restart: {where(c)} ({', '.join(c.fields)})" for c in self.needs_restart]
        out += [f"keeps running its previous config: camera {cid}" for cid in self.kept]
        out += [f"error: {error}" for error in self.errors]
        return out or ["nothing to change"]


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = json.dumps(value, sort_keys=True)  # lists (zones, rules) compare whole
    return flat


def changed_keys(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    old, new = _flatten(before), _flatten(after)
    return sorted(key for key in old.keys() | new.keys() if old.get(key) != new.get(key))


def plan_reload(running: Snapshot, loaded: WawaiConfig | None, errors: list[ConfigError],
                directory: Path) -> ReloadPlan:
    """What a reload of ``directory`` does to what runs: the same answer in the node and in a dry run."""
    plan = ReloadPlan(errors=[format_error(error, directory) for error in errors])
    if loaded is None:  # wawai.yaml is unusable: everything keeps running as it is
        plan.site_valid = False
        return plan
    new = Snapshot.of(loaded, running.salt)
    broken = {relative_source(error.file, directory) for error in loaded.errors}
    plan.kept = sorted(cid for cid, source in running.sources.items()
                       if cid not in new.cameras and source in broken)
    site_keys = changed_keys(running.site, new.site)
    live_site = [key for key in site_keys if classify(SITE_FIELDS, key) != PROCESS]
    process_site = [key for key in site_keys if classify(SITE_FIELDS, key) == PROCESS]
    if live_site:
        plan.applied.append(Change(None, "changed", live_site))
    if process_site:
        plan.needs_restart.append(Change(None, "changed", process_site))
    for cid in sorted(running.cameras.keys() | new.cameras.keys()):
        if cid in plan.kept:
            continue
        if cid not in running.cameras:
            plan.applied.append(Change(cid, "added"))
        elif cid not in new.cameras:
            plan.applied.append(Change(cid, "removed"))
        else:
            keys = changed_keys(running.cameras[cid], new.cameras[cid])
            if not keys:
                continue
            restart = any(classify(CAMERA_FIELDS, key) == RESTART_STREAM for key in keys)
            (plan.restarted if restart else plan.applied).append(Change(cid, "changed", keys))
    return plan


def _set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        data = data[part]
    data[last] = value


def _get_path(data: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        data = data[part]
    return data


def running_after(old: WawaiConfig, loaded: WawaiConfig, plan: ReloadPlan) -> WawaiConfig:
    """The config that runs once ``plan`` is applied: the new one, except the site keys that need a
    process restart (their running values stay) and the cameras kept because their file is broken."""
    site_data = loaded.site.model_dump()
    old_data = old.site.model_dump()
    for key in PROCESS_SITE_KEYS:
        _set_path(site_data, key, _get_path(old_data, key))
    site = SiteConfig.model_validate(site_data)
    cameras = dict(loaded.cameras)
    sources = dict(loaded.sources)
    for cid in plan.kept:
        cameras[cid] = old.cameras[cid]
        if cid in old.sources:
            sources[cid] = old.sources[cid]
    return WawaiConfig(directory=loaded.directory, site=site, cameras=cameras, errors=loaded.errors,
                       sources=sources)
