"""Analytics tables: the extract's runs and the months it has written."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from smarthealth.analytics import alarm_models  # noqa: F401  (surveillance alarms)
from smarthealth.core.db import Base, UtcDateTime, utcnow
from smarthealth.core.models import BigId


class ExtractRun(Base):
    """One run of `smarthealth analytics extract`: what it read and what it rewrote."""

    __tablename__ = "analytics_extract_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    mode: Mapped[str] = mapped_column(String(12))  # full / incremental
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    events: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(BigId, default=0)  # outbox id acknowledged
    months: Mapped[list[Any]] = mapped_column(JSON)  # "YYYY-MM" rewritten
    rows: Mapped[int] = mapped_column(BigId, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)


class ExtractMonth(Base):
    """The last time a month's partitions were written, and how many rows each table got."""

    __tablename__ = "analytics_extract_months"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    run_id: Mapped[int] = mapped_column(BigId)
    extracted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    rows: Mapped[dict[str, Any]] = mapped_column(JSON)  # {table: rows}
