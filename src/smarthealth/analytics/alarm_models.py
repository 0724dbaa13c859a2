"""Surveillance alarms: one row per ward, syndrome, period and method that crossed its threshold."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smarthealth.core.db import Base, UtcDateTime, utcnow
from smarthealth.core.models import BigId


class SurveillanceAlarm(Base):
    """An alarm of a detection method, kept with the expected count and the threshold."""

    __tablename__ = "surveillance_alarms"
    __table_args__ = (
        UniqueConstraint("ward_code", "syndrome", "frequency", "period_start", "method",
                         name="uq_surveillance_alarms_period"),
        Index("ix_surveillance_alarms_period_start", "period_start"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ward_code: Mapped[int] = mapped_column(Integer)
    syndrome: Mapped[str] = mapped_column(String(40))
    frequency: Mapped[int] = mapped_column(Integer)  # 52 weekly, 365 daily, 12 monthly
    period_start: Mapped[date] = mapped_column(Date)  # Monday of the week, the day, the 1st
    method: Mapped[str] = mapped_column(String(30))
    observed: Mapped[int] = mapped_column(Integer)
    expected: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    run_id: Mapped[str] = mapped_column(String(36))
