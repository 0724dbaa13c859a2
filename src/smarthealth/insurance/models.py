"""BHYT cards held by people in the patient index."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from smarthealth.core.db import Base, UtcDateTime, utcnow
from smarthealth.core.models import BigId


class BhytCard(Base):
    __tablename__ = "bhyt_cards"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    code: Mapped[str] = mapped_column(String(15), unique=True)
    group_code: Mapped[str] = mapped_column(String(2))
    benefit_level: Mapped[int] = mapped_column(Integer)
    province_code: Mapped[str] = mapped_column(String(2))
    social_insurance_number: Mapped[str] = mapped_column(String(10), index=True)
    registered_facility_code: Mapped[str] = mapped_column(String(5))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    five_years_date: Mapped[date | None] = mapped_column(Date)
    area_code: Mapped[str | None] = mapped_column(String(2))  # K1/K2/K3
    status: Mapped[str] = mapped_column(String(20), default="active")  # active/withdrawn/reduced
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class EligibilityCheck(Base):
    """One eligibility check: the log of BHXH lookups and the cross-process same-day cache."""

    __tablename__ = "eligibility_checks"
    __table_args__ = (Index("ix_eligibility_checks_card_day", "card_code", "check_date"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    check_date: Mapped[date] = mapped_column(Date)  # the day in Asia/Ho_Chi_Minh
    card_code: Mapped[str | None] = mapped_column(String(20))
    cccd: Mapped[str | None] = mapped_column(String(12))
    person_id: Mapped[int | None] = mapped_column(BigId, index=True)
    name_key: Mapped[str] = mapped_column(String(120))
    birth_date: Mapped[str] = mapped_column(String(10))
    facility_code: Mapped[str] = mapped_column(String(5), index=True)
    staff_cccd: Mapped[str | None] = mapped_column(String(12))
    result_code: Mapped[str | None] = mapped_column(String(3))
    decision: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(12))  # live / cache / unavailable / local
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the gateway's fields
