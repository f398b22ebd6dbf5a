"""Reports from the city's apps (Open311): the complaint, its reporter, the calling apps' keys.

A complaint is an incident (type ``complaint``, no camera, the service's department as its group); this
table holds what only a complaint has. The reporter's personal fields live in their own table on
purpose: nothing that serialises a complaint or an incident (the API, the event bus, the outbox) reads
``complaint_reporters``, so they cannot leak by a ``to_json`` growing a field.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wawai.db.base import Base, UTCDateTime, utcnow


class IntegrationKey(Base):
    """One calling app's Open311 ``api_key``: only its SHA-256 is kept (256 random bits, like tokens)."""

    __tablename__ = "integration_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    services_json: Mapped[str] = mapped_column(Text, default="[]")  # service codes; empty: every service
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def services(self) -> list[str]:
        return [str(code) for code in json.loads(self.services_json or "[]")]

    def may_use(self, service_code: str) -> bool:
        return not self.services or service_code in self.services


class Complaint(Base):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the Open311 service_request_id
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), unique=True)
    key_id: Mapped[int | None] = mapped_column(
        ForeignKey("integration_keys.id", ondelete="SET NULL"), nullable=True, index=True
    )
    service_code: Mapped[str] = mapped_column(String(50), index=True)
    service_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float(precision=53), nullable=True)
    lon: Mapped[float | None] = mapped_column(Float(precision=53), nullable=True)
    address: Mapped[str | None] = mapped_column(String(500), nullable=True)
    media_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    attributes_json: Mapped[str] = mapped_column(Text, default="{}")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    @property
    def attributes(self) -> dict[str, Any]:
        value = json.loads(self.attributes_json or "{}")
        return value if isinstance(value, dict) else {}

    def to_json(self) -> dict[str, Any]:
        """What the command center sees of the complaint (never the reporter)."""
        return {
            "id": self.id,
            "service_code": self.service_code,
            "service_name": self.service_name,
            "description": self.description,
            "lat": self.lat,
            "lon": self.lon,
            "address": self.address,
            "media_url": self.media_url,
            "attributes": self.attributes,
            "requested_at": self.requested_at.isoformat(),
        }


class ComplaintReporter(Base):
    """The reporter's personal fields: for the command center's records, never sent anywhere."""

    __tablename__ = "complaint_reporters"

    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    first_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(50), nullable=True)
    device_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    account_id: Mapped[str | None] = mapped_column(String(200), nullable=True)


class IdempotentAnswer(Base):
    """The first answer to a POST with an ``Idempotency-Key``, replayed to retries of the same key."""

    __tablename__ = "open311_idempotency"
    __table_args__ = (UniqueConstraint("key_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("integration_keys.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the request body
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
