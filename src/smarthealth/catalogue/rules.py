"""ICD-10 coding checks of QĐ 4469/QĐ-BYT (rule sheets A2, A3.x, A4.x) on one diagnosis."""

from __future__ import annotations

from smarthealth.catalogue.schemas import Icd10Out, Problem

# QĐ 4469 sheet A2 lists codes "not to be used as the main diagnosis". Vendor systems make this
# a warn-or-block setting and BHXH's gateway behaviour is unconfirmed (shared/data/
# icd10_vn_rules.md); the platform blocks it, as the EMR contract asks.
NOT_PRIMARY_SEVERITY = "error"


def unknown_code(code: str) -> Problem:
    return Problem(severity="error", rule="unknown_code", code=code,
                   message_en=f"{code} is not an ICD-10 code of the catalogue (QĐ 4469).",
                   message_vi=f"{code} không có trong danh mục ICD-10 (QĐ 4469).")


def _not_primary(icd: Icd10Out) -> Problem:
    return Problem(severity=NOT_PRIMARY_SEVERITY, rule="not_primary", code=icd.code,
                   message_en=f"{icd.code} may not be used as the main diagnosis "
                              "(QĐ 4469, sheet A2); code the underlying disease first.",
                   message_vi=f"Mã {icd.code} không được dùng làm bệnh chính "
                              "(QĐ 4469, phụ lục A2); hãy mã hóa bệnh nền trước.")


def _sex_problem(icd: Icd10Out, sex: str | None) -> Problem | None:
    # QĐ 4469 sheets A4.1 (female only) and A4.2 (male only).
    if sex == "male" and icd.female_only:
        return Problem(severity="error", rule="sex_mismatch", code=icd.code,
                       message_en=f"{icd.code} is a female-only code (QĐ 4469, A4.1); "
                                  "the patient is male.",
                       message_vi=f"Mã {icd.code} chỉ dùng cho nữ (QĐ 4469, A4.1); "
                                  "người bệnh là nam.")
    if sex == "female" and icd.male_only:
        return Problem(severity="error", rule="sex_mismatch", code=icd.code,
                       message_en=f"{icd.code} is a male-only code (QĐ 4469, A4.2); "
                                  "the patient is female.",
                       message_vi=f"Mã {icd.code} chỉ dùng cho nam (QĐ 4469, A4.2); "
                                  "người bệnh là nữ.")
    return None


def _bound(text: str) -> tuple[int, str]:
    """"27d" → (27, "d"); "15y" → (15, "y")."""
    return int(text[:-1]), text[-1]


def _age_in(unit: str, age_years: int | None, age_days: int | None) -> int | None:
    """Age in the bound's unit: completed years, or days (unknown when only "0 years" is known)."""
    if unit == "y":
        return age_years if age_years is not None else (
            age_days // 365 if age_days is not None else None)
    if age_days is not None:
        return age_days
    return age_years * 365 if age_years else None


def _outside_age(icd: Icd10Out, age_years: int | None, age_days: int | None) -> bool:
    # QĐ 4469 sheets A3.1–A3.10; "trên" (over) bounds are exclusive. Boundary handling is
    # unconfirmed with BHXH, so the check only warns.
    if icd.age_min:
        value, unit = _bound(icd.age_min)
        age = _age_in(unit, age_years, age_days)
        if age is not None and (age < value or (icd.age_min_exclusive and age == value)):
            return True
    if icd.age_max:
        value, unit = _bound(icd.age_max)
        age = _age_in(unit, age_years, age_days)
        if age is not None and age > value:
            return True
    return False


def _age_problem(icd: Icd10Out) -> Problem:
    low = ("over " if icd.age_min_exclusive else "") + (icd.age_min or "0d")
    span = f"{low}–{icd.age_max}" if icd.age_max else low
    return Problem(severity="warning", rule="age_range", code=icd.code,
                   message_en=f"{icd.code} is meant for ages {span} (QĐ 4469, {icd.age_rule}).",
                   message_vi=f"Mã {icd.code} dành cho độ tuổi {span} "
                              f"(QĐ 4469, {icd.age_rule}).")


def _unspecific(icd: Icd10Out) -> Problem:
    return Problem(severity="warning", rule="unspecific_code", code=icd.code,
                   message_en=f"{icd.code} is a category; choose a more specific 4-character code.",
                   message_vi=f"Mã {icd.code} là mã nhóm; hãy chọn mã chi tiết 4 ký tự.")


def diagnosis_problems(icd: Icd10Out, *, main: bool, sex: str | None, age_years: int | None,
                       age_days: int | None = None) -> list[Problem]:
    problems: list[Problem] = []
    if main and icd.not_primary:
        problems.append(_not_primary(icd))
    sex_problem = _sex_problem(icd, sex)
    if sex_problem:
        problems.append(sex_problem)
    if _outside_age(icd, age_years, age_days):
        problems.append(_age_problem(icd))
    if icd.is_category and icd.has_subcodes:
        problems.append(_unspecific(icd))
    return problems
