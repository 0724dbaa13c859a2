"""Identity API shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Sex = Literal["male", "female"]
Precision = Literal["day", "month", "year"]


class ScanRequest(BaseModel):
    # the scanner entry point caps the length itself (IdentitySettings.max_scan_chars) with a
    # precise message; this bound only keeps absurd bodies out of memory
    payload: str = Field(max_length=65536)


class ScannedPersonOut(BaseModel):
    cccd: str | None = None
    full_name: str | None = None
    birth_date: date | None = None
    birth_date_precision: Precision = "day"
    sex: Sex | None = None
    address: str | None = None
    card_issue_date: date | None = None
    card_expiry_date: date | None = None
    old_id: str | None = None
    passport: str | None = None
    nationality: str | None = None
    ethnicity: str | None = None
    place_of_origin: str | None = None
    bhyt_code: str | None = None


class ScanWarningOut(BaseModel):
    code: str
    field: str | None
    message_vi: str
    message_en: str
    expected: str | None = None
    found: str | None = None


class ScanOut(BaseModel):
    source: str
    person: ScannedPersonOut
    warnings: list[ScanWarningOut]


class PersonIn(BaseModel):
    cccd: str | None = Field(default=None, max_length=12)
    full_name: str = Field(min_length=1, max_length=120)
    birth_date: date
    birth_date_precision: Precision = "day"
    sex: Sex
    phone: str | None = Field(default=None, max_length=20)
    address: str | None = Field(default=None, max_length=300)
    province_code: str | None = Field(default=None, pattern=r"^[0-9]{2}$")
    ward_code: int | None = Field(default=None, ge=0, le=2**31 - 1)


class PersonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    cccd: str | None
    full_name: str
    birth_date: date
    birth_date_precision: Precision
    sex: str
    phone: str | None
    address: str | None
    province_code: str | None
    ward_code: int | None
    merged_into_id: int | None


class PersonPage(BaseModel):
    items: list[PersonOut]
    total: int
    limit: int
    offset: int


class DuplicateOut(BaseModel):
    first: PersonOut
    second: PersonOut
    score: float
    parts: dict[str, float]


class MergeIn(BaseModel):
    keep_id: int = Field(ge=1, le=2**63 - 1)
    merge_id: int = Field(ge=1, le=2**63 - 1)
    reason: str = Field(min_length=3, max_length=500)


class MergeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    keep_id: int
    merge_id: int
    reason: str
    score: float | None
    changes: dict
    merged_by: str
    merged_at: datetime
    undone_by: str | None
    undone_at: datetime | None
