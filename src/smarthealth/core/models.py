"""Tables shared by every domain: the audit chain and the transactional outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from smarthealth.core.db import Base, UtcDateTime, utcnow

BigId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEntry(Base):
    """One append-only audit record; once sealed, `hash` chains it to the entry before it."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    seq: Mapped[int | None] = mapped_column(BigId, unique=True)  # set when sealed
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str | None] = mapped_column(String(40))
    facility_code: Mapped[str | None] = mapped_column(String(5), index=True)
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(80))
    patient_id: Mapped[int | None] = mapped_column(BigId, index=True)
    source_ip: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class OutboxEvent(Base):
    """An event written in the same transaction as the change it describes."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    topic: Mapped[str] = mapped_column(String(80), index=True)
    aggregate_type: Mapped[str] = mapped_column(String(60))
    aggregate_id: Mapped[str] = mapped_column(String(80))
    facility_code: Mapped[str | None] = mapped_column(String(5))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class OutboxConsumer(Base):
    """Where a named consumer stopped reading the outbox."""

    __tablename__ = "outbox_consumers"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    position: Mapped[int] = mapped_column(BigId, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
