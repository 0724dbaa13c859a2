"""Submissions to the BHXH gateway and the Hanoi hub, kept for reconciliation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smarthealth.core.db import Base, UtcDateTime, utcnow
from smarthealth.core.models import BigId


class ClaimSubmission(Base):
    """One file sent to a target and the answer it got (or the error that stopped it)."""

    __tablename__ = "claims_submissions"
    __table_args__ = (
        Index("ix_claims_submissions_facility_sent", "facility_code", "sent_at"),
        Index("ix_claims_submissions_transaction", "ma_giao_dich"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    target: Mapped[str] = mapped_column(String(10))  # bhxh / hub
    kind: Mapped[str] = mapped_column(String(10), default="claim")  # claim (GIAMDINHHS) / checkin
    facility_code: Mapped[str] = mapped_column(String(5))
    ma_lk: Mapped[str] = mapped_column(String(1000), default="")  # ';'-list of the file's MA_LK
    file_name: Mapped[str] = mapped_column(String(255), default="")
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(10))  # accepted / rejected / error
    ma_ket_qua: Mapped[str | None] = mapped_column(String(20))
    ma_giao_dich: Mapped[str | None] = mapped_column(String(100))
    thoi_gian_tiep_nhan: Mapped[str | None] = mapped_column(String(20))  # yyyyMMddHHmmss as sent
    thong_diep: Mapped[str | None] = mapped_column(Text)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    submitted_by: Mapped[str] = mapped_column(String(100), default="")
