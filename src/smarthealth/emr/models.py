"""EMR tables: encounters, versioned clinical entries, charge lines, beds and admissions."""

from __future__ import annotations

import importlib
import importlib.util
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smarthealth.core.db import Base, UtcDateTime, utcnow
from smarthealth.core.models import BigId


class Encounter(Base):
    """One contact of a patient with a facility; one per reception visit."""

    __tablename__ = "emr_encounters"
    __table_args__ = (
        Index("ix_emr_encounters_person_started", "person_id", "started_at"),
        Index("ix_emr_encounters_facility_status_closed", "facility_code", "status", "closed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    facility_code: Mapped[str] = mapped_column(String(5))
    department_code: Mapped[str | None] = mapped_column(String(20))
    practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    doctor_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    doctor_name: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[str] = mapped_column(String(20), default="outpatient")  # inpatient / emergency
    status: Mapped[str] = mapped_column(String(20), default="open")  # open / closed / signed
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(String(500), default="")
    outcome: Mapped[str | None] = mapped_column(String(20))
    follow_up_date: Mapped[date | None] = mapped_column(Date)
    referral_facility_code: Mapped[str | None] = mapped_column(String(5))
    referral_reason: Mapped[str | None] = mapped_column(String(500))
    # the reception visit's coverage decision, copied when the encounter opens
    coverage: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    main_icd: Mapped[str | None] = mapped_column(String(10))  # set at close, for summaries
    main_icd_title: Mapped[str | None] = mapped_column(String(400))
    closed_by: Mapped[str | None] = mapped_column(String(100))
    # how the closed encounter was priced: muc_huong, rules, covered (lines in emr_charge_lines)
    charge_summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Entry(Base):
    """One version of a clinical entry; an amendment adds a version, nothing is deleted.

    `entry_id` is the id of the entry's first version and is shared by all its versions.
    Person-level entries (allergy, condition) keep the encounter they were recorded in.
    """

    __tablename__ = "emr_entries"
    __table_args__ = (
        UniqueConstraint("entry_id", "version"),
        Index("ix_emr_entries_encounter_kind", "encounter_id", "kind", "status"),
        Index("ix_emr_entries_person_kind", "person_id", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_id: Mapped[int | None] = mapped_column(BigId)  # searched by uq (entry_id, version)
    version: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("emr_encounters.id"))
    facility_code: Mapped[str] = mapped_column(String(5))
    # current / superseded / entered_in_error
    status: Mapped[str] = mapped_column(String(20), default="current")
    code: Mapped[str | None] = mapped_column(String(50))  # ICD-10, drug or service code
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(100))
    author_role: Mapped[str | None] = mapped_column(String(30))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    reason: Mapped[str | None] = mapped_column(String(500))  # why amended / entered in error


class ChargeLine(Base):
    """One priced line of a closed encounter with its BHYT and patient shares."""

    __tablename__ = "emr_charge_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("emr_encounters.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # exam / lab / imaging / procedure / drug / bed
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(30), default="")
    quantity: Mapped[Any] = mapped_column(Numeric(12, 3))
    bhyt_unit_price: Mapped[int] = mapped_column(Integer)
    hospital_unit_price: Mapped[int] = mapped_column(Integer)
    in_bhyt_list: Mapped[bool] = mapped_column(Boolean, default=True)
    amount: Mapped[int] = mapped_column(Integer)
    bhyt_pays: Mapped[int] = mapped_column(Integer)
    patient_pays: Mapped[int] = mapped_column(Integer)
    source_entry_id: Mapped[int | None] = mapped_column(BigId)


class Bed(Base):
    """A bed of an inpatient department."""

    __tablename__ = "emr_beds"
    __table_args__ = (UniqueConstraint("facility_code", "code"),
                      Index("ix_emr_beds_department", "facility_code", "department_code"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_code: Mapped[str] = mapped_column(String(5))
    department_code: Mapped[str] = mapped_column(String(20))
    room: Mapped[str] = mapped_column(String(50), default="")
    code: Mapped[str] = mapped_column(String(20))
    service_code: Mapped[str | None] = mapped_column(String(50))  # bed-day price list entry
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Admission(Base):
    """An inpatient stay: admitted to a department and bed, transferred, discharged."""

    __tablename__ = "emr_admissions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("emr_encounters.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    facility_code: Mapped[str] = mapped_column(String(5))
    department_code: Mapped[str] = mapped_column(String(20))
    bed_id: Mapped[int | None] = mapped_column(ForeignKey("emr_beds.id"))
    status: Mapped[str] = mapped_column(String(20), default="admitted")  # discharged
    admitted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    discharged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500), default="")


class BedStay(Base):
    """Which bed an admission occupied from when to when (admission and each transfer)."""

    __tablename__ = "emr_bed_stays"
    __table_args__ = (Index("ix_emr_bed_stays_bed_open", "bed_id", "ended_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    admission_id: Mapped[int] = mapped_column(ForeignKey("emr_admissions.id"), index=True)
    bed_id: Mapped[int] = mapped_column(ForeignKey("emr_beds.id"))
    department_code: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


# E3's signed-document tables live beside these (guarded until that module lands)
if importlib.util.find_spec("smarthealth.emr.signing_models") is not None:
    importlib.import_module("smarthealth.emr.signing_models")
