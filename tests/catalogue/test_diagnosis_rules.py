"""QĐ 4469 coding rules on a diagnosis, checked against the list's own rows."""

from __future__ import annotations

import pytest

from smarthealth.catalogue import service
from smarthealth.core.errors import NotFound


def rules(problems) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(p.severity, p.rule) for p in problems]


async def test_a_clean_main_diagnosis_has_no_problems(icd10, session) -> None:
    assert await service.check_diagnosis(session, code="A97.0", main=True, sex="female",
                                         age_years=30) == []


async def test_unknown_code_is_an_error(icd10, session) -> None:
    problems = await service.check_diagnosis(session, code="A91", main=True, sex="male",
                                             age_years=30)
    assert rules(problems) == [("error", "unknown_code")]


async def test_code_from_sheet_a2_is_rejected_as_main_diagnosis(icd10, session) -> None:
    problems = await service.check_diagnosis(session, code="B95.0", main=True, sex="male",
                                             age_years=30)
    assert ("error", "not_primary") in rules(problems)


async def test_code_from_sheet_a2_is_accepted_as_secondary_diagnosis(icd10, session) -> None:
    assert await service.check_diagnosis(session, code="B95.0", main=False, sex="male",
                                         age_years=30) == []


async def test_female_only_obstetric_code_is_rejected_for_a_man(icd10, session) -> None:
    problems = await service.check_diagnosis(session, code="O80.0", main=True, sex="male",
                                             age_years=30)
    assert ("error", "sex_mismatch") in rules(problems)


async def test_male_only_prostate_code_is_rejected_for_a_woman(icd10, session) -> None:
    problems = await service.check_diagnosis(session, code="N40", main=True, sex="female",
                                             age_years=60)
    assert ("error", "sex_mismatch") in rules(problems)


async def test_newborn_code_for_an_adult_is_an_age_warning(icd10, session) -> None:
    problems = await service.check_diagnosis(session, code="A33", main=True, sex="male",
                                             age_years=40)
    assert rules(problems) == [("warning", "age_range")]


async def test_newborn_code_for_a_newborn_is_fine(icd10, session) -> None:
    assert await service.check_diagnosis(session, code="A33", main=True, sex="male",
                                         age_years=0, age_days=10) == []


async def test_over_15_rule_excludes_a_child_of_15(icd10, session) -> None:
    problems = await service.check_diagnosis(session, code="A52.0", main=True, sex="male",
                                             age_years=15)
    assert ("warning", "age_range") in rules(problems)


async def test_category_with_subcodes_asks_for_a_more_specific_code(icd10, session) -> None:
    problems = await service.check_diagnosis(session, code="E11", main=True, sex="male",
                                             age_years=50)
    assert rules(problems) == [("warning", "unspecific_code")]


async def test_get_icd10_accepts_the_undotted_form(icd10, session) -> None:
    found = await service.get_icd10(session, code="i10")
    assert (found.code, found.catalogue_version) == ("I10", "QĐ4469")


async def test_get_icd10_of_an_unknown_code_is_not_found(icd10, session) -> None:
    with pytest.raises(NotFound):
        await service.get_icd10(session, code="Z99.99")
