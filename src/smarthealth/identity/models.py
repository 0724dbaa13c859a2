"""The patient index: one row per person across the city, keyed by CCCD when known."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smarthealth.core.db import Base, UtcDateTime, utcnow
from smarthealth.core.models import BigId


class Person(Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    cccd: Mapped[str | None] = mapped_column(String(12), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120), index=True)  # lower-case, no diacritics
    birth_date: Mapped[date] = mapped_column(Date, index=True)
    # "day", or "month"/"year" when the card shows 00 for the day/month (identity.md §2)
    birth_date_precision: Mapped[str] = mapped_column(String(5), default="day",
                                                      server_default="day")
    sex: Mapped[str] = mapped_column(String(6))  # male / female
    phone: Mapped[str | None] = mapped_column(String(15), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    province_code: Mapped[str | None] = mapped_column(String(2))
    ward_code: Mapped[int | None] = mapped_column(Integer, index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class PersonIdentifier(Base):
    """Another document number of a person: old CMND, passport, VNeID account (XML 130 SO_CCCD)."""

    __tablename__ = "person_identifiers"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # cmnd / passport / vneid
    value: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PersonMerge(Base):
    """Staff merged `merge_id` into `keep_id`; nothing is deleted and the merge can be undone."""

    __tablename__ = "person_merges"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    keep_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    merge_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    score: Mapped[float | None] = mapped_column(Float)
    # what the merge changed, so undo can put it back: {"filled": {...}, "repointed": [...]}
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    merged_by: Mapped[str] = mapped_column(String(100))
    merged_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    undone_by: Mapped[str | None] = mapped_column(String(100))
    undone_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
