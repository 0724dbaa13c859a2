"""Claims tables: which episode (facility, MA_LK) is which encounter, in and out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smarthealth.claims import submission_models  # noqa: F401  (submission log tables)
from smarthealth.core.db import Base, UtcDateTime, utcnow
from smarthealth.core.models import BigId


class ClaimEpisode(Base):
    """One XML 130 episode known to the platform: imported from a file or exported to one.

    `extras` keeps what the platform does not model of an imported episode (TRANSFER.md),
    so that exporting it again gives the same file.
    """

    __tablename__ = "claims_episodes"
    __table_args__ = (UniqueConstraint("facility_code", "ma_lk"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    facility_code: Mapped[str] = mapped_column(String(5))
    ma_lk: Mapped[str] = mapped_column(String(100))
    encounter_id: Mapped[int] = mapped_column(ForeignKey("emr_encounters.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    direction: Mapped[str] = mapped_column(String(10))  # imported / exported
    sha256: Mapped[str] = mapped_column(String(64))  # of the file imported or last exported
    extras: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    exported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
