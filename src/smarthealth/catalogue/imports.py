"""Facility-specific imports: a service price list (through the registry) and drug prices."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.catalogue.loaders import DATA, read_csv
from smarthealth.catalogue.models import Drug, DrugFacilityPrice
from smarthealth.catalogue.schemas import LoadResult
from smarthealth.core.audit import Actor, record
from smarthealth.core.errors import InvalidInput
from smarthealth.registry import catalog as registry_catalog
from smarthealth.registry import service as registry_service
from smarthealth.registry.schemas import ServiceIn

SERVICES_FILE = DATA / "services_example.csv"


def _bad_row(line: int, problem: str) -> InvalidInput:
    return InvalidInput(f"Line {line}: {problem}", f"Dòng {line}: {problem}",
                        details={"line": line}, code="bad_row")


async def load_services(session: AsyncSession, *, facility_code: str, actor: Actor,
                        path: Path | None = None) -> LoadResult:
    """Upsert a facility's price list from CSV (code,name,kind,unit,price_bhyt,price_service)."""
    rows = []
    for line, raw in enumerate(read_csv(path or SERVICES_FILE), start=2):
        data: dict[str, object] = {k: v.strip() for k, v in raw.items()
                                   if k and v not in (None, "")}
        for field in ("price_bhyt", "price_service"):  # the model is strict about types
            if str(data.get(field, "")).isdigit():
                data[field] = int(str(data[field]))
        try:
            rows.append(ServiceIn.model_validate({**data, "facility_code": facility_code}))
        except ValidationError as exc:
            first = exc.errors()[0]
            raise _bad_row(line, f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from exc
    created, updated = await registry_catalog.upsert_services(
        session, facility_code=facility_code, rows=rows, actor=actor)
    return LoadResult(kind="services", created=created, updated=updated, total=len(rows))


async def load_drug_prices(session: AsyncSession, *, facility_code: str, path: Path,
                           actor: Actor) -> LoadResult:
    """Upsert a facility's drug prices from CSV (code,price); codes must be in the drug list."""
    facility_id = await registry_service.facility_id_of(session, code=facility_code)
    drug_ids = dict((await session.execute(select(Drug.code, Drug.id))).all())
    current = {p.drug_id: p for p in (await session.scalars(
        select(DrugFacilityPrice).where(DrugFacilityPrice.facility_id == facility_id))).all()}
    created = updated = total = 0
    for line, raw in enumerate(read_csv(path), start=2):
        code, price_text = (raw.get("code") or "").strip(), (raw.get("price") or "").strip()
        if code not in drug_ids:
            raise _bad_row(line, f"unknown drug code {code!r}")
        if not price_text.isdigit():
            raise _bad_row(line, f"price {price_text!r} is not whole VND")
        total += 1
        price, existing = int(price_text), current.get(drug_ids[code])
        if existing is None:
            current[drug_ids[code]] = DrugFacilityPrice(drug_id=drug_ids[code],
                                                        facility_id=facility_id, price=price)
            session.add(current[drug_ids[code]])
            created += 1
        elif existing.price != price:
            existing.price = price
            updated += 1
    await session.flush()
    await record(session, actor=actor, action="import", entity_type="drug_price_list",
                 entity_id=facility_code, details={"facility_code": facility_code,
                                                   "created": created, "updated": updated})
    return LoadResult(kind="drug_prices", created=created, updated=updated, total=total)
