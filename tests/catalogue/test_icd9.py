"""ICD-9-CM procedures and the MoH technique-code crosswalk (QĐ 4440, appendix 3)."""

from __future__ import annotations

from smarthealth.catalogue import loaders, service
from smarthealth.core.db import get_database


async def _load() -> None:
    async with get_database().session() as s:
        await loaders.load_icd9(s)


async def test_loading_twice_changes_nothing(session) -> None:
    await _load()
    again = await loaders.load_icd9(session)
    assert (again.created, again.updated) == (0, 0)


async def test_search_by_vietnamese_words_without_accents(session) -> None:
    await _load()
    hits = await service.search_icd9(session, q="rua phe quan")
    assert "96.56" in [h.code for h in hits]


async def test_search_by_code_prefix(session) -> None:
    await _load()
    hits = await service.search_icd9(session, q="96.5")
    assert hits and all(h.code.startswith("96.5") for h in hits)


async def test_technique_code_maps_to_its_icd9cm_code(session) -> None:
    await _load()
    mapped = await service.icd9_for_technique(session, equivalent_code="01.0116.0118")
    assert [m.icd9cm_code for m in mapped] == ["96.56"]
