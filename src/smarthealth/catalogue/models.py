"""Catalogue tables: ICD-10 codes with coding rules, ICD-9-CM procedures and crosswalk, drugs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
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

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Icd10Code(Base):
    """One ICD-10 code of one catalogue version (QĐ 4469 now; TT 06/2026 may follow)."""

    __tablename__ = "icd10_codes"
    __table_args__ = (UniqueConstraint("catalogue_version", "code_nodot"),
                      Index("ix_icd10_codes_search_key", "search_key"),
                      Index("ix_icd10_codes_category", "category_code"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    catalogue_version: Mapped[str] = mapped_column(String(20))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    code: Mapped[str] = mapped_column(String(10))  # dotted: A00.0
    code_nodot: Mapped[str] = mapped_column(String(10), index=True)  # A000
    title_vi: Mapped[str] = mapped_column(String(400))
    title_en: Mapped[str] = mapped_column(String(400), default="")
    chapter: Mapped[str] = mapped_column(String(10))  # roman numeral I..XXII
    chapter_title_vi: Mapped[str] = mapped_column(String(200), default="")
    group_code: Mapped[str] = mapped_column(String(10), default="")
    category_code: Mapped[str] = mapped_column(String(10))
    search_key: Mapped[str] = mapped_column(String(900))  # code, vi and en without diacritics
    title_key: Mapped[str] = mapped_column(String(400))  # title_vi without diacritics
    not_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    female_only: Mapped[bool] = mapped_column(Boolean, default=False)
    male_only: Mapped[bool] = mapped_column(Boolean, default=False)
    age_rule: Mapped[str | None] = mapped_column(String(10))
    age_min: Mapped[str | None] = mapped_column(String(6))  # "27d", "15y" as in the appendix
    age_min_exclusive: Mapped[bool] = mapped_column(Boolean, default=False)  # "trên" = over
    age_max: Mapped[str | None] = mapped_column(String(6))
    dagger_asterisk: Mapped[str | None] = mapped_column(String(1))
    is_category: Mapped[bool] = mapped_column(Boolean, default=False)
    has_subcodes: Mapped[bool] = mapped_column(Boolean, default=False)


class Icd9Procedure(Base):
    """An ICD-9-CM procedure code with its Vietnamese title (QĐ 4440 appendix 3)."""

    __tablename__ = "icd9cm_procedures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    title_vi: Mapped[str] = mapped_column(String(400))
    chapter: Mapped[str] = mapped_column(String(200), default="")
    search_key: Mapped[str] = mapped_column(String(500), index=True)


class TechniqueCrosswalk(Base):
    """MoH equivalent technique code (MA_DICH_VU) → ICD-9-CM code (MA_PTTT_QT)."""

    __tablename__ = "icd9cm_crosswalk"
    __table_args__ = (UniqueConstraint("equivalent_code", "icd9cm_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    equivalent_code: Mapped[str] = mapped_column(String(20), index=True)
    technique_vi: Mapped[str] = mapped_column(String(500), default="")
    specialty_vi: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[str | None] = mapped_column(String(5))
    klass: Mapped[str | None] = mapped_column(String(5))
    icd9cm_code: Mapped[str] = mapped_column(String(10), default="")


class Drug(Base):
    """A city-wide drug product; `price` is the reference price, facilities may override it."""

    __tablename__ = "drugs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)  # mã thuốc
    name: Mapped[str] = mapped_column(String(200))
    active_ingredient: Mapped[str] = mapped_column(String(300))
    ingredient_key: Mapped[str] = mapped_column(String(300), index=True)
    strength: Mapped[str] = mapped_column(String(100), default="")
    dosage_form: Mapped[str] = mapped_column(String(100), default="")
    route: Mapped[str] = mapped_column(String(50), default="")
    unit: Mapped[str] = mapped_column(String(30), default="")
    price: Mapped[int] = mapped_column(Integer)  # integer VND per unit
    bhyt_covered: Mapped[bool] = mapped_column(Boolean, default=True)
    atc: Mapped[str | None] = mapped_column(String(10))
    search_key: Mapped[str] = mapped_column(String(600), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class DrugFacilityPrice(Base):
    """A facility's own purchase price for a drug (BHYT pays the price the facility bought at)."""

    __tablename__ = "drug_facility_prices"
    __table_args__ = (UniqueConstraint("drug_id", "facility_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    price: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
