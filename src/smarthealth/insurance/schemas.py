"""Insurance API shapes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

YearOnly = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]


class EligibilityRequest(BaseModel):
    """Either `card_number` or `cccd`; a birth year alone ("1990") is accepted (vendor practice)."""

    card_number: str | None = Field(default=None, max_length=40)
    cccd: str | None = Field(default=None, max_length=20)
    full_name: str = Field(min_length=1, max_length=120)
    birth_date: date | YearOnly
    facility_code: str = Field(pattern=r"^[0-9A-Za-z]{5}$")

    @model_validator(mode="after")
    def _one_identifier(self) -> EligibilityRequest:
        if not (self.card_number or self.cccd):
            raise ValueError("give a BHYT card number or a CCCD (cần mã thẻ BHYT hoặc số CCCD)")
        return self


class Warning_(BaseModel):
    kind: str
    message_vi: str
    message_en: str


class Eligibility(BaseModel):
    decision: Literal["valid", "valid_with_warning", "invalid", "unverified"]
    result_code: str | None
    action: str
    message_vi: str
    message_en: str
    source: Literal["live", "cache", "unavailable", "local"]
    card_number: str | None = None
    new_card_number: str | None = None
    benefit_level: int | None = None
    benefit_rate: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    registered_facility_code: str | None = None
    five_years_date: date | None = None
    area_code: str | None = None
    person_id: int | None = None
    warnings: list[Warning_] = Field(default_factory=list)
