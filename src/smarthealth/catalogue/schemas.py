"""Catalogue API shapes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class Icd10Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    code_nodot: str
    title_vi: str
    title_en: str
    chapter: str
    category_code: str
    catalogue_version: str
    not_primary: bool
    female_only: bool
    male_only: bool
    age_rule: str | None
    age_min: str | None
    age_min_exclusive: bool
    age_max: str | None
    dagger_asterisk: str | None
    is_category: bool
    has_subcodes: bool


class Problem(BaseModel):
    """One finding of a diagnosis check; errors block, warnings inform."""

    severity: Literal["error", "warning"]
    rule: str  # unknown_code, not_primary, sex_mismatch, age_range, unspecific_code
    code: str
    message_en: str
    message_vi: str


class DiagnosisCheckOut(BaseModel):
    code: str
    icd10: Icd10Out | None
    problems: list[Problem]


class Icd9Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    title_vi: str
    chapter: str


class CrosswalkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    equivalent_code: str
    technique_vi: str
    icd9cm_code: str


class DrugOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    active_ingredient: str
    ingredient_key: str
    strength: str
    dosage_form: str
    route: str
    unit: str
    price: int  # the facility's price when a facility was named, else the reference price
    bhyt_covered: bool
    atc: str | None


class LoadResult(BaseModel):
    kind: str
    created: int
    updated: int
    total: int
