"""The demo drug list: search by name or ingredient, accents optional, facility prices."""

from __future__ import annotations

from pathlib import Path

import pytest

from smarthealth.catalogue import imports, loaders, service
from smarthealth.catalogue.text import ingredient_key
from smarthealth.core.audit import Actor
from smarthealth.core.errors import InvalidInput, NotFound

ACTOR = Actor(name="test", role="operator")


async def test_loading_twice_changes_nothing(drugs, session) -> None:
    again = await loaders.load_drugs(session)
    assert again.total >= 150 and (again.created, again.updated) == (0, 0)


async def test_name_search_finds_every_strength(drugs, session) -> None:
    names = [d.name for d in await service.search_drugs(session, q="amlodipin")]
    assert {"Amlodipin 5mg", "Amlodipin 10mg"} <= set(names)


async def test_ingredient_search_without_accents_finds_iron(drugs, session) -> None:
    hits = await service.search_drugs(session, q="sat fumarat")
    assert hits and hits[0].active_ingredient == "Sắt fumarat + Acid folic"


async def test_combination_products_share_an_ingredient_key_with_their_parts(drugs, session
                                                                              ) -> None:
    combo = (await service.search_drugs(session, q="Losartan + Hydroclorothiazid"))[0]
    assert combo.ingredient_key == "hydroclorothiazid+losartan"
    assert ingredient_key("Losartan") in combo.ingredient_key.split("+")


async def test_bhyt_only_leaves_out_on_demand_products(drugs, session) -> None:
    every = await service.search_drugs(session, q="vitamin")
    covered = await service.search_drugs(session, q="vitamin", bhyt_only=True)
    assert any(not d.bhyt_covered for d in every)
    assert all(d.bhyt_covered for d in covered)


async def test_facility_price_overrides_the_reference_price(drugs, session, make_facility,
                                                            tmp_path: Path) -> None:
    await make_facility(code="01001")
    reference = await service.get_drug(session, code="02.001")
    prices = tmp_path / "prices.csv"
    prices.write_text("code,price\n02.001,455\n", encoding="utf-8")
    result = await imports.load_drug_prices(session, facility_code="01001", path=prices,
                                            actor=ACTOR)
    assert result.created == 1
    assert (await service.get_drug(session, code="02.001", facility_code="01001")).price == 455
    assert (await service.get_drug(session, code="02.001")).price == reference.price


async def test_drug_prices_with_an_unknown_code_are_refused(drugs, session, make_facility,
                                                            tmp_path: Path) -> None:
    await make_facility(code="01001")
    prices = tmp_path / "prices.csv"
    prices.write_text("code,price\nNOPE,455\n", encoding="utf-8")
    with pytest.raises(InvalidInput):
        await imports.load_drug_prices(session, facility_code="01001", path=prices, actor=ACTOR)


async def test_unknown_drug_is_not_found(drugs, session) -> None:
    with pytest.raises(NotFound):
        await service.get_drug(session, code="99.999")
