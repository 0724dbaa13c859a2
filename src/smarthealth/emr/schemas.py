"""EMR API shapes: per-kind clinical entry data, encounters, header, charges, inpatient."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Text = Field(default="", max_length=4000)
EntryKind = Literal["vitals", "note", "diagnosis", "order", "result", "prescription",
                    "allergy", "condition"]
PERSON_KINDS = frozenset({"allergy", "condition"})
Outcome = Literal["cured", "improved", "unchanged", "worse", "died", "transferred",
                  "discharged_against_advice", "follow_up"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VitalsIn(_Data):
    pulse: int | None = None
    systolic: int | None = None
    diastolic: int | None = None
    temperature: float | None = None
    respiratory_rate: int | None = None
    spo2: int | None = None
    weight: float | None = None
    height: float | None = None


class NoteIn(_Data):
    section: Literal["history", "examination", "progress", "treatment", "other"] = "examination"
    text: str = Field(min_length=1, max_length=8000)


class DiagnosisIn(_Data):
    code: str = Field(min_length=3, max_length=10)
    main: bool = False
    text: str = Field(default="", max_length=400)  # free-text detail beside the code


class OrderIn(_Data):
    service_code: str = Field(min_length=1, max_length=50)
    quantity: int = Field(default=1, ge=1, le=1000)
    note: str = Field(default="", max_length=500)


class ResultIn(_Data):
    order_entry_id: int | None = None
    test: str = Field(min_length=1, max_length=200)
    value: str = Field(min_length=1, max_length=200)
    unit: str = Field(default="", max_length=30)
    reference_range: str = Field(default="", max_length=60)


class PrescriptionIn(_Data):
    drug_code: str = Field(min_length=1, max_length=30)
    dose: Decimal = Field(gt=0, le=100)  # units per intake
    frequency_per_day: int = Field(ge=1, le=24)
    days: int = Field(ge=1, le=365)
    instructions: str = Field(default="", max_length=500)


class AllergyIn(_Data):
    substance: str = Field(min_length=1, max_length=200)  # an active ingredient or drug name
    reaction: str = Field(default="", max_length=300)
    severity: Literal["mild", "moderate", "severe"] = "moderate"


class ConditionIn(_Data):
    code: str | None = Field(default=None, max_length=10)
    name: str = Field(min_length=1, max_length=300)
    since: date | None = None
    active: bool = True


DATA_MODELS: dict[str, type[_Data]] = {
    "vitals": VitalsIn, "note": NoteIn, "diagnosis": DiagnosisIn, "order": OrderIn,
    "result": ResultIn, "prescription": PrescriptionIn, "allergy": AllergyIn,
    "condition": ConditionIn,
}


class Warning_(BaseModel):
    rule: str
    message_en: str
    message_vi: str


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    entry_id: int
    version: int
    kind: str
    person_id: int
    encounter_id: int | None
    facility_code: str
    status: str
    code: str | None
    data: dict[str, Any]
    author: str
    author_role: str | None
    recorded_at: datetime
    reason: str | None
    warnings: list[Warning_] = []


class AmendIn(BaseModel):
    data: dict[str, Any]
    reason: str = Field(min_length=3, max_length=500)


class ErrorIn(BaseModel):
    reason: str = Field(min_length=3, max_length=500)


class EncounterIn(BaseModel):
    visit_id: int
    kind: Literal["outpatient", "inpatient", "emergency"] = "outpatient"
    reason: str = Field(default="", max_length=500)


class EncounterPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=500)
    outcome: Outcome | None = None
    follow_up_date: date | None = None
    referral_facility_code: str | None = Field(default=None, pattern=r"^\d{5}$")
    referral_reason: str | None = Field(default=None, max_length=500)


class EncounterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    visit_id: int | None
    person_id: int
    facility_code: str
    department_code: str | None
    practitioner_id: int | None
    doctor_user_id: int | None
    doctor_name: str
    kind: str
    status: str
    started_at: datetime
    closed_at: datetime | None
    reason: str
    outcome: str | None
    follow_up_date: date | None
    referral_facility_code: str | None
    referral_reason: str | None
    coverage: dict[str, Any] | None
    main_icd: str | None
    main_icd_title: str | None


class EncounterRecord(BaseModel):
    """An encounter with the current version of each of its entries, grouped by kind."""

    encounter: EncounterOut
    person: dict[str, Any]
    facility_name: str
    vitals: list[EntryOut] = []
    notes: list[EntryOut] = []
    diagnoses: list[EntryOut] = []
    orders: list[EntryOut] = []
    results: list[EntryOut] = []
    prescriptions: list[EntryOut] = []
    allergies: list[EntryOut] = []
    conditions: list[EntryOut] = []


class PastEncounter(BaseModel):
    id: int
    facility_code: str
    facility_name: str
    kind: str
    status: str
    started_at: datetime
    main_icd: str | None
    main_icd_title: str | None


class PersonHeader(BaseModel):
    person_id: int
    full_name: str
    sex: str
    birth_date: date
    age_years: int
    bhyt: dict[str, Any] | None
    allergies: list[EntryOut]
    conditions: list[EntryOut]
    past_encounters: list[PastEncounter]
    past_encounter_count: int


class EncounterPage(BaseModel):
    items: list[EncounterOut]
    total: int
    page: int
    page_size: int


class ChargeLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    line_no: int
    kind: str
    code: str
    name: str
    unit: str
    quantity: Decimal
    bhyt_unit_price: int
    hospital_unit_price: int
    in_bhyt_list: bool
    amount: int
    bhyt_pays: int
    patient_pays: int


class ChargesOut(BaseModel):
    encounter_id: int
    muc_huong: Decimal
    covered: bool
    rules: list[str]
    lines: list[ChargeLineOut]
    total_cost: int
    bhyt_pays: int
    patient_pays: int


class BedIn(BaseModel):
    facility_code: str = Field(pattern=r"^\d{5}$")
    department_code: str = Field(min_length=1, max_length=20)
    code: str = Field(min_length=1, max_length=20)
    room: str = Field(default="", max_length=50)
    service_code: str | None = Field(default=None, max_length=50)


class AdmissionIn(BaseModel):
    encounter_id: int
    department_code: str = Field(min_length=1, max_length=20)
    bed_code: str | None = Field(default=None, max_length=20)
    reason: str = Field(default="", max_length=500)


class TransferIn(BaseModel):
    department_code: str = Field(min_length=1, max_length=20)
    bed_code: str | None = Field(default=None, max_length=20)


class DischargeIn(BaseModel):
    outcome: Outcome


class AdmissionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    encounter_id: int
    person_id: int
    facility_code: str
    department_code: str
    bed_id: int | None
    bed_code: str | None = None
    status: str
    admitted_at: datetime
    discharged_at: datetime | None
    outcome: str | None


class BedOut(BaseModel):
    id: int
    code: str
    room: str
    department_code: str
    occupied: bool
    admission_id: int | None = None
    person_id: int | None = None
    patient_name: str | None = None


class BedBoard(BaseModel):
    facility_code: str
    department_code: str
    beds: list[BedOut]
    occupied: int
    free: int
