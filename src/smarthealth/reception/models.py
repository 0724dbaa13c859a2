"""Reception tables: visits, queue tickets and the per-room daily ticket counters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smarthealth.core.db import Base, UtcDateTime, utcnow
from smarthealth.core.models import BigId


class Visit(Base):
    """One outpatient visit opened at check-in, with its coverage decision and timing."""

    __tablename__ = "visits"
    __table_args__ = (
        UniqueConstraint("facility_id", "idempotency_key"),
        Index("ix_visits_unverified", "insurance_verified", "next_recheck_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    room_id: Mapped[int] = mapped_column(ForeignKey("clinic_rooms.id"))
    queue_date: Mapped[date] = mapped_column(Date)
    idempotency_key: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open / closed
    priority_group: Mapped[str | None] = mapped_column(String(30))
    scan_source: Mapped[str | None] = mapped_column(String(30))
    # coverage: decision is valid / valid_with_warning / invalid / retry_later / unverified
    coverage_decision: Mapped[str] = mapped_column(String(30))
    insurance_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    card_number: Mapped[str | None] = mapped_column(String(15))
    coverage: Mapped[dict[str, Any]] = mapped_column(JSON)
    # what the background re-check sends to BHXH again (card or CCCD, name, birth date)
    eligibility_query: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    recheck_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_recheck_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    scan_received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    checkin_ms: Mapped[int | None] = mapped_column(Integer)  # scan received -> ticket issued
    checked_in_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Ticket(Base):
    """A place in one room's queue; ordered by priority rank, then `order_key`."""

    __tablename__ = "queue_tickets"
    __table_args__ = (
        UniqueConstraint("room_id", "queue_date", "number"),
        Index("ix_queue_tickets_room_day_status", "room_id", "queue_date", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("clinic_rooms.id"))
    queue_date: Mapped[date] = mapped_column(Date)
    number: Mapped[int] = mapped_column(Integer)
    display: Mapped[str] = mapped_column(String(20))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # waiting / serving / skipped / away / done / transferred / closed
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    priority_group: Mapped[str | None] = mapped_column(String(30))
    priority_rank: Mapped[int] = mapped_column(Integer)
    order_key: Mapped[int] = mapped_column(BigInteger)
    recalls: Mapped[int] = mapped_column(Integer, default=0)
    return_to_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("queue_tickets.id"))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    called_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class TicketCounter(Base):
    """The last ticket number issued in a room on a day; incremented under its row lock."""

    __tablename__ = "ticket_counters"

    room_id: Mapped[int] = mapped_column(ForeignKey("clinic_rooms.id"), primary_key=True)
    queue_date: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
