"""As-you-type ICD-10 search over the QĐ 4469 list, Vietnamese with or without accents."""

from __future__ import annotations

from smarthealth.catalogue import loaders, service


async def test_loading_twice_changes_nothing(icd10, session) -> None:
    again = await loaders.load_icd10(session)
    assert (again.total, again.created, again.updated) == (12137, 0, 0)


async def test_vietnamese_without_accents_finds_dengue_haemorrhagic_fever(icd10, session) -> None:
    hits = await service.search_icd10(session, q="sot xuat huyet dengue")
    assert hits[0].code == "A97"
    assert hits[0].title_vi == "Sốt xuất huyết Dengue"


async def test_vietnamese_with_accents_matches_the_same_codes(icd10, session) -> None:
    plain = await service.search_icd10(session, q="sot xuat huyet")
    accented = await service.search_icd10(session, q="Sốt xuất huyết")
    assert [h.code for h in plain] == [h.code for h in accented]
    assert "A97" in [h.code for h in plain]


async def test_english_words_find_dengue(icd10, session) -> None:
    codes = [h.code for h in await service.search_icd10(session, q="dengue")]
    assert {"A90", "A97"} <= set(codes)


async def test_code_prefix_with_or_without_dot_ranks_the_exact_code_first(icd10, session) -> None:
    for q in ("A97.1", "a971"):
        hits = await service.search_icd10(session, q=q)
        assert hits[0].code == "A97.1"


async def test_category_prefix_lists_its_subcodes(icd10, session) -> None:
    codes = [h.code for h in await service.search_icd10(session, q="E11", limit=50)]
    assert codes[0] == "E11"
    assert "E11.9" in codes


async def test_primary_only_leaves_out_codes_not_allowed_as_main(icd10, session) -> None:
    every = [h.code for h in await service.search_icd10(session, q="B95", limit=50)]
    primary = [h.code for h in await service.search_icd10(session, q="B95", limit=50,
                                                           primary_only=True)]
    assert "B95.0" in every and "B95.0" not in primary


async def test_empty_or_punctuation_query_finds_nothing(icd10, session) -> None:
    assert await service.search_icd10(session, q="%%") == []


async def test_one_letter_is_read_as_the_start_of_a_code(icd10, session) -> None:
    hits = await service.search_icd10(session, q="j", limit=30)
    assert hits and all(h.code.startswith("J") for h in hits)
