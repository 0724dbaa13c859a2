"""BHYT cards held by people in the patient index."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
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
