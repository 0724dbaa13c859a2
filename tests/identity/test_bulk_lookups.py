"""Bulk lookups of the claims import by several columns (emr.bulk.fetch_in): every key found,
over several queries (on SQLite an OR of equalities, at most SQLITE_OR_TERMS keys a query)."""

from __future__ import annotations

from datetime import date, timedelta

from smarthealth.core.db import get_database
from smarthealth.emr import bulk as emr_bulk
from smarthealth.identity import bulk as identity_bulk


async def test_name_and_birth_pairs_beyond_one_query_are_all_found() -> None:
    count = 2 * emr_bulk.SQLITE_OR_TERMS + 50
    born = [date(1950, 1, 1) + timedelta(days=n) for n in range(count)]
    async with get_database().session() as session:
        ids = await identity_bulk.add_persons(session, rows=[
            {"full_name": f"Nguyễn Văn Thử {n % 7}", "birth_date": day, "sex": "male"}
            for n, day in enumerate(born)])
        # a twin (same name and birth date as person 3) makes that pair ambiguous: left out
        await identity_bulk.add_persons(session, rows=[
            {"full_name": "Nguyễn Văn Thử 3", "birth_date": born[3], "sex": "male"}])
        wanted = [(f"nguyen van thu {n % 7}", day) for n, day in enumerate(born)]
        found = await identity_bulk.person_ids_by_name_birth(
            session, pairs=wanted + [("nguyen van thu 1", date(1949, 1, 1))])
        numbers = [("01913", f"BN{n}") for n in range(count)]
        await identity_bulk.add_facility_numbers(session, rows=[
            (person_id, facility, number)
            for person_id, (facility, number) in zip(ids, numbers, strict=True)])
        by_number = await identity_bulk.person_ids_by_facility_number(
            session, pairs=numbers + [("01913", "BN-none")])
    assert found == {pair: id_ for n, (pair, id_) in enumerate(zip(wanted, ids, strict=True))
                     if n != 3}
    assert by_number == dict(zip(numbers, ids, strict=True))
