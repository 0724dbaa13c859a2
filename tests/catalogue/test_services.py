"""Facility price lists: CSV import through the registry and accent-free search."""

from __future__ import annotations

from pathlib import Path

import pytest

from smarthealth.catalogue import imports, service
from smarthealth.core.audit import Actor
from smarthealth.core.errors import InvalidInput, NotFound

ACTOR = Actor(name="test", role="operator")


async def test_price_list_import_is_idempotent(session, make_facility) -> None:
    await make_facility(code="01001")
    first = await imports.load_services(session, facility_code="01001", actor=ACTOR)
    again = await imports.load_services(session, facility_code="01001", actor=ACTOR)
    assert first.created == first.total > 10
    assert (again.created, again.updated) == (0, 0)


async def test_changed_price_updates_the_service(session, make_facility, tmp_path: Path) -> None:
    await make_facility(code="01001")
    await imports.load_services(session, facility_code="01001", actor=ACTOR)
    changed = tmp_path / "prices.csv"
    changed.write_text("code,name,kind,price_bhyt,price_service\n"
                       "23.0075.1494,Định lượng Glucose [Máu],lab,22000,36000\n", encoding="utf-8")
    result = await imports.load_services(session, facility_code="01001", actor=ACTOR,
                                         path=changed)
    assert result.updated == 1
    glucose = await service.search_services(session, facility_code="01001", q="glucose")
    assert (glucose[0].price_bhyt, glucose[0].price_service) == (22000, 36000)


async def test_bad_row_names_its_line(session, make_facility, tmp_path: Path) -> None:
    await make_facility(code="01001")
    bad = tmp_path / "prices.csv"
    bad.write_text("code,name,kind,price_bhyt,price_service\nX1,Thử,massage,1,2\n",
                   encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        await imports.load_services(session, facility_code="01001", actor=ACTOR, path=bad)
    assert info.value.details == {"line": 2}


async def test_search_without_accents_and_by_kind(session, make_facility) -> None:
    await make_facility(code="01001")
    await imports.load_services(session, facility_code="01001", actor=ACTOR)
    xray = await service.search_services(session, facility_code="01001", q="chup x quang")
    assert [s.code for s in xray] == ["18.0119.0028"]
    labs = await service.search_services(session, facility_code="01001", kinds=["lab"])
    assert labs and all(s.kind == "lab" for s in labs)


async def test_get_service_by_exact_code(session, make_facility) -> None:
    await make_facility(code="01001")
    await imports.load_services(session, facility_code="01001", actor=ACTOR)
    found = await service.get_service(session, facility_code="01001", code="02.1896")
    assert (found.code, found.kind) == ("02.1896", "exam")
    with pytest.raises(NotFound):
        await service.get_service(session, facility_code="01001", code="02.18")
