"""Admin resources: the audit log, the running config and its reloads, the evidence key, the event schema."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from webui.models.common import OpenModel


class AuditRow(BaseModel):
    id: int
    at: str
    user: str
    action: str
    camera: str | None
    detail: dict[str, Any]  # the action's own facts; never a password or a token
    hash: str | None  # the row's link in the audit chain (None: written before 0010_audit_chain)


class AuditPage(BaseModel):
    items: list[AuditRow]
    total: int
    page: int
    per_page: int


class AuditVerify(BaseModel):
    ok: bool
    rows: int
    head: str | None
    problem: str | None
    row: int | None  # the first row that breaks the chain


class ConfigEcho(OpenModel):
    """The effective config, secrets redacted. Open on purpose: its shape is the config schema's
    (wawai.config.schema), which grows with every issue; documenting it twice would drift."""


class ConfigChange(BaseModel):
    camera: str | None  # None: the site file (wawai.yaml)
    change: str
    fields: list[str]


class ReloadPlanInfo(BaseModel):
    applied: list[ConfigChange]
    restarted: list[ConfigChange]
    needs_restart: list[ConfigChange]
    errors: list[str]
    kept: list[str]  # cameras whose file is broken: they keep the config they had


class ReloadRecord(BaseModel):
    at: float
    trigger: str  # "api", "watch", "signal", ...
    user: str
    plan: ReloadPlanInfo


class ConfigCamera(BaseModel):
    id: str
    name: str
    group: str
    state: str
    file: str | None
    previous_config: bool


class ConfigStatus(BaseModel):
    directory: str
    errors: list[str]
    last_reload: ReloadRecord | None
    cameras: list[ConfigCamera]


class EvidenceKey(BaseModel):
    algorithm: str
    public_key: str  # PEM
    fingerprint: str


class EventSchema(OpenModel):
    """The JSON Schema (draft 2020-12) of the event envelope. Open on purpose: it is a schema document,
    served as written in docs/integrations/event.schema.json."""
