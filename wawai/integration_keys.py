"""API keys of the city's apps (Open311 ``api_key``): created and shown once, stored hashed, revocable.

Keys are 256 random bits, so SHA-256 (``accounts.digest``) is a safe hash that still allows look-up.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from wawai.accounts import AccountError, digest
from wawai.db.base import utcnow
from wawai.db.complaints import IntegrationKey

KEY_PREFIX = "w311_"
KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def create_key(session: Session, name: str, services: list[str], known_services: list[str]) -> str:
    """A new key for app ``name`` limited to ``services`` (empty: all); returns the key to show once."""
    if not KEY_NAME.match(name):
        raise AccountError(f"key name {name!r}: use letters, digits and . _ - (at most 100)")
    if find_key(session, name) is not None:
        raise AccountError(f"a key named {name!r} already exists (revoke it first, or pick another name)")
    unknown = [code for code in services if code not in known_services]
    if unknown:
        known = ", ".join(known_services) or "none configured"
        raise AccountError(f"unknown service code {unknown[0]!r} (complaints.services has: {known})")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = IntegrationKey(name=name, key_hash=digest(key), services_json=json.dumps(sorted(set(services))))
    session.add(row)
    session.flush()
    return key


def find_key(session: Session, name: str) -> IntegrationKey | None:
    return session.scalar(select(IntegrationKey).where(IntegrationKey.name == name))


def list_keys(session: Session) -> list[IntegrationKey]:
    return list(session.scalars(select(IntegrationKey).order_by(IntegrationKey.name)))


def revoke_key(session: Session, name: str) -> IntegrationKey | None:
    """Mark the key revoked (the row stays: complaints and the audit log name it). None: no such key."""
    row = find_key(session, name)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return row


def key_for(session: Session, key: str) -> IntegrationKey | None:
    """The live key matching ``key`` (None: unknown or revoked)."""
    row = session.scalar(select(IntegrationKey).where(IntegrationKey.key_hash == digest(key)))
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now  # at most once a minute: reads stay reads
        session.commit()
    return row
