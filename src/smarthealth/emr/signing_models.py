"""Signed documents: the exact signed PDF bytes of an encounter's summary or prescription.

A row is written once and never changed: the service has no update path, the ORM refuses
an UPDATE, and migration 0007 adds a database trigger that aborts any UPDATE. A changed
encounter is signed again as a new version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from smarthealth.core.db import Base, UtcDateTime, utcnow
from smarthealth.core.models import BigId


class SignedDocument(Base):
    __tablename__ = "emr_signed_documents"
    __table_args__ = (
        UniqueConstraint("encounter_id", "kind", "version"),
        Index("ix_emr_signed_documents_person", "person_id", "signed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("emr_encounters.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # summary / prescription
    version: Mapped[int] = mapped_column(Integer, default=1)
    person_id: Mapped[int] = mapped_column(Integer)
    facility_code: Mapped[str] = mapped_column(String(5))
    file_name: Mapped[str] = mapped_column(String(120))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    signer_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    signer_name: Mapped[str] = mapped_column(String(120))  # the certificate's common name
    certificate_serial: Mapped[str] = mapped_column(String(64))  # hex
    certificate_issuer: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ImmutableDocument(RuntimeError):
    """Raised when code tries to change a signed document."""


@event.listens_for(SignedDocument, "before_update")
def _refuse_update(_mapper: Any, _connection: Any, target: SignedDocument) -> None:
    raise ImmutableDocument(f"signed document {target.id} cannot be changed")
