"""Registry request and response bodies; field limits match the table columns."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Generic, Literal, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from smarthealth.core.auth import Role

T = TypeVar("T")

MAX_PRICE_VND = 2_147_483_647  # prices live in 32-bit integer columns
MAX_ID = 2_147_483_647
MAX_PAGE_SIZE = 200

# Luật KBCB 2023, art. 104: three professional levels of care
CareLevel = Literal["primary", "basic", "specialised"]
Tier = Literal["central", "city", "district", "commune"]  # the older four-tier scheme
DepartmentKind = Literal["outpatient", "inpatient", "emergency", "lab", "imaging", "pharmacy",
                         "surgery", "rehabilitation", "traditional", "administration", "other"]
RoomKind = Literal["exam", "lab", "imaging", "procedure", "pharmacy", "reception", "cashier",
                   "vaccination", "other"]
ServiceKind = Literal["exam", "lab", "imaging", "procedure", "bed", "supply", "other"]
PractitionerTitle = Literal["doctor", "physician_assistant", "nurse", "midwife", "pharmacist",
                            "technician", "other"]
CARE_LEVELS = get_args(CareLevel)
TIERS = get_args(Tier)
DEPARTMENT_KINDS = get_args(DepartmentKind)
ROOM_KINDS = get_args(RoomKind)
SERVICE_KINDS = get_args(ServiceKind)
PRACTITIONER_TITLES = get_args(PractitionerTitle)


def printable(value: str) -> str:
    """Refuse control characters and lone surrogates (PostgreSQL cannot store NUL)."""
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        raise ValueError("control characters are not allowed")
    return value


def _text(max_length: int, min_length: int = 1) -> object:
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length,
                                            max_length=max_length), AfterValidator(printable)]


Name200 = _text(200)
Name300 = _text(300)
Name120 = _text(120)
Text300 = _text(300)
Short30 = _text(30)
Short40 = _text(40)
# BHYT facility code (mã cơ sở KCB): 5 digits, the first two the province (QĐ 384/QĐ-BHXH).
FacilityCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")]
LocalCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20,
                                             pattern=r"^[A-Za-z0-9._-]+$")]
ServiceCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50,
                                               pattern=r"^[A-Za-z0-9._/-]+$")]
CertificateNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3,
                                                     max_length=30,
                                                     pattern=r"^[A-Za-z0-9][A-Za-z0-9./-]*$")]
HealthId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10,
                                            pattern=r"^[A-Za-z0-9]+$")]
Cccd = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20,
                                         pattern=r"^[0-9+() .-]*$")]
Username = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60,
                                            pattern=r"^[A-Za-z0-9._@-]+$")]
Password = Annotated[str, StringConstraints(min_length=8, max_length=200),
                     AfterValidator(printable)]
Price = Annotated[int, Field(ge=0, le=MAX_PRICE_VND, strict=True)]
RowId = Annotated[int, Field(ge=1, le=MAX_ID, strict=True)]
WardCode = Annotated[int, Field(ge=1, le=MAX_ID, strict=True)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


# Facilities


class FacilityIn(_In):
    code: FacilityCode
    name: Name200
    care_level: CareLevel
    tier: Tier
    ward_code: WardCode | None = None
    address: Text300 | None = None
    phone: Phone | None = None
    active: bool = True


class FacilityPatch(_In):
    name: Name200 | None = None
    care_level: CareLevel | None = None
    tier: Tier | None = None
    ward_code: WardCode | None = None
    address: Text300 | None = None
    phone: Phone | None = None
    active: bool | None = None


class FacilityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    care_level: str
    tier: str
    province_code: str
    ward_code: int | None
    ward_name: str | None
    address: str | None
    phone: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


# Departments


class DepartmentIn(_In):
    facility_code: FacilityCode
    code: LocalCode
    name: Name200
    kind: DepartmentKind
    active: bool = True


class DepartmentPatch(_In):
    name: Name200 | None = None
    kind: DepartmentKind | None = None
    active: bool | None = None


class DepartmentOut(BaseModel):
    id: int
    facility_code: str
    code: str
    name: str
    kind: str
    active: bool
    created_at: datetime
    updated_at: datetime


# Clinic rooms


class RoomIn(_In):
    facility_code: FacilityCode
    department_id: RowId | None = None
    code: LocalCode
    name: Name200
    kind: RoomKind
    active: bool = True


class RoomPatch(_In):
    department_id: RowId | None = None
    name: Name200 | None = None
    kind: RoomKind | None = None
    active: bool | None = None


class RoomOut(BaseModel):
    id: int
    facility_code: str
    department_id: int | None
    code: str
    name: str
    kind: str
    active: bool
    created_at: datetime
    updated_at: datetime


# Services


class ServiceIn(_In):
    facility_code: FacilityCode
    code: ServiceCode
    name: Name300
    kind: ServiceKind
    unit: Short30 = "lần"
    price_bhyt: Price
    price_service: Price
    room_id: RowId | None = None
    active: bool = True


class ServicePatch(_In):
    name: Name300 | None = None
    kind: ServiceKind | None = None
    unit: Short30 | None = None
    price_bhyt: Price | None = None
    price_service: Price | None = None
    room_id: RowId | None = None
    active: bool | None = None


class ServiceOut(BaseModel):
    id: int
    facility_code: str
    code: str
    name: str
    kind: str
    unit: str
    price_bhyt: int
    price_service: int
    room_id: int | None
    active: bool
    created_at: datetime
    updated_at: datetime


# Practitioners


class PractitionerIn(_In):
    facility_code: FacilityCode
    full_name: Name120
    title: PractitionerTitle
    specialty: Name120 | None = None
    certificate_number: CertificateNumber  # chứng chỉ hành nghề / giấy phép hành nghề
    health_id: HealthId | None = None
    cccd: Cccd | None = None
    staff_user_id: RowId | None = None
    active: bool = True


class PractitionerPatch(_In):
    full_name: Name120 | None = None
    title: PractitionerTitle | None = None
    specialty: Name120 | None = None
    health_id: HealthId | None = None
    cccd: Cccd | None = None
    staff_user_id: RowId | None = None
    active: bool | None = None


class PractitionerOut(BaseModel):
    id: int
    facility_code: str
    full_name: str
    title: str
    specialty: str | None
    certificate_number: str
    health_id: str | None
    cccd: str | None
    staff_user_id: int | None
    active: bool
    created_at: datetime
    updated_at: datetime


# Staff users


class UserIn(_In):
    username: Username
    password: Password
    role: Role
    facility_code: FacilityCode | None = None
    full_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120),
                         AfterValidator(printable)] = ""
    cccd: Cccd | None = None


class UserPatch(_In):
    password: Password | None = None
    role: Role | None = None
    facility_code: FacilityCode | None = None
    full_name: Name120 | None = None
    cccd: Cccd | None = None
    active: bool | None = None


class UserOut(BaseModel):
    id: int
    username: str
    role: str
    facility_code: str | None
    full_name: str
    cccd: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


# Query strings of the list endpoints


class ListQuery(BaseModel):
    """Paging and filters shared by every registry list."""

    model_config = ConfigDict(extra="ignore")

    page: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 50
    q: Annotated[str, StringConstraints(max_length=100), AfterValidator(printable)] | None = None
    active: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _blank_means_any(cls, data: object) -> object:
        """An empty filter field (as a browser form sends it) means no filter."""
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v != ""}
        return data


class FacilityQuery(ListQuery):
    care_level: CareLevel | None = None
    tier: Tier | None = None
    ward_code: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None


class ChildQuery(ListQuery):
    """Lists of facility-owned rows; `kind` is the room/service/department kind, the
    practitioner's title or the staff user's role."""

    facility_code: FacilityCode | None = None
    kind: Annotated[str, StringConstraints(max_length=30, pattern=r"^[a-z_]*$")] | None = None
