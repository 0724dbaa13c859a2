"""Versioned clinical entries: record, amend (new version), mark entered-in-error, history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.catalogue import service as catalogue
from smarthealth.catalogue.text import ingredient_key, search_key
from smarthealth.core import outbox
from smarthealth.core.audit import Actor, record
from smarthealth.core.db import utcnow
from smarthealth.core.errors import Conflict, InvalidInput, NotFound
from smarthealth.emr import clinical
from smarthealth.emr.models import Encounter, Entry
from smarthealth.emr.schemas import DATA_MODELS, EntryOut, Warning_
from smarthealth.emr.service import age_on, encounter_row, require_open
from smarthealth.identity import service as identity

ORDER_KINDS = ("exam", "lab", "imaging", "procedure", "supply", "bed")


@dataclass
class Prepared:
    """Validated data of one version, its index code and its non-blocking warnings."""

    data: dict[str, Any]
    code: str | None = None
    warnings: list[Warning_] = field(default_factory=list)


def _invalid(problems: list[dict[str, Any]], en: str, vi: str, code: str) -> InvalidInput:
    return InvalidInput(en, vi, details={"problems": problems}, code=code)


def _parse(kind: str, data: dict[str, Any]) -> Any:
    try:
        return DATA_MODELS[kind].model_validate(data)
    except ValidationError as exc:
        errors = [{"loc": [str(p) for p in e["loc"]], "msg": str(e["msg"])} for e in exc.errors()]
        raise _invalid(errors, f"The {kind} data is not valid.",
                       "Dữ liệu nhập không hợp lệ.", "invalid_entry") from exc


async def _vitals(session: AsyncSession, enc: Encounter, item: Any, entry_id: int | None
                  ) -> Prepared:
    values = item.model_dump()
    findings = clinical.check_vitals(values)
    errors = [f.__dict__ for f in findings if f.severity == "error"]
    if errors:
        raise _invalid(errors, "A vital sign is outside the possible range.",
                       "Chỉ số sinh tồn nằm ngoài giới hạn cho phép.", "implausible_vitals")
    values["bmi"] = clinical.bmi(item.weight, item.height)
    return Prepared(values, warnings=[Warning_(rule=f"range_{f.field}", message_en=f.message_en,
                                               message_vi=f.message_vi) for f in findings])


async def _diagnosis(session: AsyncSession, enc: Encounter, item: Any, entry_id: int | None
                     ) -> Prepared:
    person = await identity.get_person(session, person_id=enc.person_id)
    day = enc.started_at.date()
    problems = await catalogue.check_diagnosis(
        session, code=item.code, main=item.main, sex=person.sex,
        age_years=age_on(person.birth_date, day), on=day,
        age_days=(day - person.birth_date).days)
    errors = [p.model_dump() for p in problems if p.severity == "error"]
    if errors:
        raise _invalid(errors, errors[0]["message_en"], errors[0]["message_vi"],
                       "diagnosis_rule")
    icd = await catalogue.get_icd10(session, code=item.code, on=day)
    if item.main and await _other_main(session, enc, entry_id):
        raise Conflict("The encounter already has a main diagnosis; amend it instead.",
                       "Lượt khám đã có chẩn đoán chính; hãy sửa chẩn đoán đó.",
                       code="second_main_diagnosis")
    data = {"code": icd.code, "title_vi": icd.title_vi, "title_en": icd.title_en,
            "main": item.main, "text": item.text}
    return Prepared(data, icd.code, [Warning_(rule=p.rule, message_en=p.message_en,
                                              message_vi=p.message_vi) for p in problems])


async def _other_main(session: AsyncSession, enc: Encounter, entry_id: int | None) -> bool:
    rows = (await session.scalars(select(Entry).where(
        Entry.encounter_id == enc.id, Entry.kind == "diagnosis", Entry.status == "current"))).all()
    return any(r.data.get("main") and r.entry_id != entry_id for r in rows)


async def _order(session: AsyncSession, enc: Encounter, item: Any, entry_id: int | None
                 ) -> Prepared:
    found = await catalogue.search_services(session, facility_code=enc.facility_code,
                                            q=item.service_code, kinds=ORDER_KINDS)
    service = next((s for s in found if s.code == item.service_code), None)
    if service is None:
        raise NotFound(f"No service {item.service_code} in this facility's price list.",
                       f"Không có dịch vụ {item.service_code} trong bảng giá của cơ sở.",
                       details={"service_code": item.service_code}, code="unknown_service")
    data = {**item.model_dump(), "name": service.name, "service_kind": service.kind,
            "unit": service.unit, "price_bhyt": service.price_bhyt,
            "price_service": service.price_service}
    return Prepared(data, service.code)


async def _result(session: AsyncSession, enc: Encounter, item: Any, entry_id: int | None
                  ) -> Prepared:
    data = item.model_dump()
    if item.order_entry_id is not None:
        order = await session.scalar(select(Entry).where(
            Entry.entry_id == item.order_entry_id, Entry.kind == "order",
            Entry.encounter_id == enc.id, Entry.status == "current"))
        if order is None:
            raise NotFound("The result names an order this encounter does not have.",
                           "Kết quả gắn với một chỉ định không có trong lượt khám này.",
                           details={"order_entry_id": item.order_entry_id},
                           code="unknown_order")
        data["service_code"] = order.code
    data["abnormal"] = clinical.abnormal_flag(item.value, item.reference_range)
    return Prepared(data)


async def _prescription(session: AsyncSession, enc: Encounter, item: Any, entry_id: int | None
                        ) -> Prepared:
    drug = await catalogue.get_drug(session, code=item.drug_code, facility_code=enc.facility_code)
    quantity = clinical.dispensed_quantity(item.dose, item.frequency_per_day, item.days)
    data = {**item.model_dump(mode="json"), "name": drug.name, "strength": drug.strength,
            "active_ingredient": drug.active_ingredient, "ingredient_key": drug.ingredient_key,
            "unit": drug.unit, "route": drug.route, "price": drug.price,
            "bhyt_covered": drug.bhyt_covered, "quantity": quantity}
    warnings = await _allergy_warnings(session, enc, drug.ingredient_key, drug.name)
    warnings += await _duplicate_warnings(session, enc, drug.ingredient_key, entry_id)
    return Prepared(data, drug.code, warnings)


async def _allergy_warnings(session: AsyncSession, enc: Encounter, key: str, name: str
                            ) -> list[Warning_]:
    """Documented allergies whose substance is one of the drug's ingredients or its name."""
    ingredients = set(key.split("+"))
    allergies = (await session.scalars(select(Entry).where(
        Entry.person_id == enc.person_id, Entry.kind == "allergy",
        Entry.status == "current"))).all()
    out = []
    for allergy in allergies:
        substance = allergy.data.get("substance_key", "")
        if substance and (substance in ingredients or substance in search_key(name)):
            out.append(Warning_(
                rule="allergy",
                message_en=f"Documented allergy to {allergy.data['substance']}: {name}.",
                message_vi=f"Người bệnh có tiền sử dị ứng {allergy.data['substance']}: {name}."))
    return out


async def _duplicate_warnings(session: AsyncSession, enc: Encounter, key: str,
                              entry_id: int | None) -> list[Warning_]:
    """Another current prescription of this encounter shares an active ingredient."""
    ingredients = set(key.split("+"))
    rows = (await session.scalars(select(Entry).where(
        Entry.encounter_id == enc.id, Entry.kind == "prescription",
        Entry.status == "current"))).all()
    return [Warning_(rule="duplicate_ingredient",
                     message_en=f"Same active ingredient as {r.data['name']}.",
                     message_vi=f"Trùng hoạt chất với {r.data['name']}.")
            for r in rows if r.entry_id != entry_id
            and ingredients & set(str(r.data.get("ingredient_key", "")).split("+"))]


async def _allergy(session: AsyncSession, enc: Encounter, item: Any, entry_id: int | None
                   ) -> Prepared:
    data = item.model_dump()
    data["substance_key"] = ingredient_key(item.substance)
    return Prepared(data)


async def _condition(session: AsyncSession, enc: Encounter, item: Any, entry_id: int | None
                     ) -> Prepared:
    data = item.model_dump(mode="json")
    if item.code:
        icd = await catalogue.get_icd10(session, code=item.code)
        data["code"] = icd.code
    return Prepared(data, data["code"])


async def _note(session: AsyncSession, enc: Encounter, item: Any, entry_id: int | None
                ) -> Prepared:
    return Prepared(item.model_dump())


PREPARE = {"vitals": _vitals, "note": _note, "diagnosis": _diagnosis, "order": _order,
           "result": _result, "prescription": _prescription, "allergy": _allergy,
           "condition": _condition}


async def _prepare(session: AsyncSession, enc: Encounter, kind: str, data: dict[str, Any],
                   entry_id: int | None) -> Prepared:
    return await PREPARE[kind](session, enc, _parse(kind, data), entry_id)


def _out(entry: Entry, warnings: list[Warning_] | None = None) -> EntryOut:
    out = EntryOut.model_validate(entry)
    return out.model_copy(update={"warnings": warnings or []})


async def _log(session: AsyncSession, actor: Actor, entry: Entry, action: str) -> None:
    """Audit and publish one entry write."""
    await record(session, actor=actor, action=f"emr.entry.{action}", entity_type="emr_entry",
                 entity_id=entry.entry_id, patient_id=entry.person_id,
                 details={"kind": entry.kind, "version": entry.version,
                          "encounter_id": entry.encounter_id})
    await outbox.publish(session, topic=f"emr.entry_{action}", aggregate_type="emr_entry",
                         aggregate_id=entry.entry_id, facility_code=entry.facility_code,
                         payload={"entry_id": entry.entry_id, "kind": entry.kind,
                                  "version": entry.version, "person_id": entry.person_id,
                                  "encounter_id": entry.encounter_id})


async def _sync_main(session: AsyncSession, enc: Encounter, entry: Entry) -> None:
    """Keep a closed encounter's main-diagnosis summary in step with amendments."""
    if entry.kind != "diagnosis" or enc.status == "open":
        return
    rows = (await session.scalars(select(Entry).where(
        Entry.encounter_id == enc.id, Entry.kind == "diagnosis",
        Entry.status == "current"))).all()
    main = next((r for r in rows if r.data.get("main")), None)
    enc.main_icd = main.data["code"] if main else None
    enc.main_icd_title = main.data["title_vi"] if main else None
    await session.flush()


async def add_entry(session: AsyncSession, *, encounter_id: int, kind: str,
                    data: dict[str, Any], actor: Actor, scope: str | None) -> EntryOut:
    """Record a new entry (version 1) in an open encounter; warnings come back with it."""
    if kind not in DATA_MODELS:
        raise InvalidInput(f"Unknown entry kind {kind}.", f"Loại mục không hợp lệ: {kind}.",
                           code="bad_kind")
    enc = await encounter_row(session, encounter_id=encounter_id, scope=scope)
    require_open(enc)
    prepared = await _prepare(session, enc, kind, data, None)
    entry = Entry(kind=kind, person_id=enc.person_id, encounter_id=enc.id,
                  facility_code=enc.facility_code, version=1, status="current",
                  code=prepared.code, data=prepared.data, author=actor.name,
                  author_role=actor.role, recorded_at=utcnow())
    session.add(entry)
    await session.flush()
    entry.entry_id = entry.id
    await session.flush()
    await _log(session, actor, entry, "recorded")
    return _out(entry, prepared.warnings)


async def _current(session: AsyncSession, entry_id: int, scope: str | None) -> Entry:
    entry = await session.scalar(select(Entry).where(Entry.entry_id == entry_id)
                                 .order_by(Entry.version.desc()).limit(1).with_for_update())
    if entry is None or (scope is not None and entry.facility_code != scope):
        raise NotFound(f"No entry {entry_id}.", f"Không tìm thấy mục {entry_id}.",
                       details={"entry_id": entry_id}, code="unknown_entry")
    if entry.status != "current":
        raise Conflict("This entry was marked entered in error.",
                       "Mục này đã được đánh dấu ghi nhầm.", code="entry_not_current")
    return entry


async def amend_entry(session: AsyncSession, *, entry_id: int, data: dict[str, Any],
                      reason: str, actor: Actor, scope: str | None) -> EntryOut:
    """Add a new version with the amended data; the previous version stays, superseded."""
    previous = await _current(session, entry_id, scope)
    enc = await encounter_row(session, encounter_id=previous.encounter_id, scope=scope)
    prepared = await _prepare(session, enc, previous.kind, data, entry_id)
    previous.status = "superseded"
    await session.flush()
    entry = Entry(entry_id=entry_id, version=previous.version + 1, kind=previous.kind,
                  person_id=previous.person_id, encounter_id=previous.encounter_id,
                  facility_code=previous.facility_code, status="current", code=prepared.code,
                  data=prepared.data, author=actor.name, author_role=actor.role,
                  recorded_at=utcnow(), reason=reason)
    session.add(entry)
    await session.flush()
    await _sync_main(session, enc, entry)
    await _log(session, actor, entry, "amended")
    return _out(entry, prepared.warnings)


async def mark_entered_in_error(session: AsyncSession, *, entry_id: int, reason: str,
                                actor: Actor, scope: str | None) -> EntryOut:
    """Flag the entry as entered in error (with a reason); the row is kept and still readable."""
    if not reason.strip():
        raise InvalidInput("A reason is required.", "Cần ghi lý do.", code="reason_required")
    entry = await _current(session, entry_id, scope)
    entry.status, entry.reason = "entered_in_error", reason
    await session.flush()
    if entry.encounter_id is not None:
        enc = await encounter_row(session, encounter_id=entry.encounter_id, scope=None)
        await _sync_main(session, enc, entry)
    await _log(session, actor, entry, "entered_in_error")
    return _out(entry)


async def entry_versions(session: AsyncSession, *, entry_id: int, actor: Actor,
                         scope: str | None) -> list[EntryOut]:
    """Every version of an entry, oldest first (audited read)."""
    rows = (await session.scalars(select(Entry).where(Entry.entry_id == entry_id)
                                  .order_by(Entry.version))).all()
    if not rows or (scope is not None and rows[0].facility_code != scope):
        raise NotFound(f"No entry {entry_id}.", f"Không tìm thấy mục {entry_id}.",
                       details={"entry_id": entry_id}, code="unknown_entry")
    await record(session, actor=actor, action="emr.entry.read", entity_type="emr_entry",
                 entity_id=entry_id, patient_id=rows[0].person_id)
    return [_out(r) for r in rows]


async def validate_for_close(session: AsyncSession, *, encounter: Encounter
                             ) -> tuple[str, str]:
    """(main code, title) after checking exactly one current main diagnosis."""
    rows = (await session.scalars(select(Entry).where(
        Entry.encounter_id == encounter.id, Entry.kind == "diagnosis",
        Entry.status == "current"))).all()
    mains = [r for r in rows if r.data.get("main")]
    if len(mains) != 1:
        raise InvalidInput("Exactly one main diagnosis is needed to close the encounter.",
                           "Cần đúng một chẩn đoán chính để kết thúc lượt khám.",
                           details={"main_diagnoses": len(mains)}, code="main_diagnosis")
    person = await identity.get_person(session, person_id=encounter.person_id)
    day = encounter.started_at.date()
    for row in rows:  # the rules again: the catalogue or the person may have changed since
        problems = await catalogue.check_diagnosis(
            session, code=row.data["code"], main=bool(row.data.get("main")), sex=person.sex,
            age_years=age_on(person.birth_date, day), on=day,
            age_days=(day - person.birth_date).days)
        errors = [p.model_dump() for p in problems if p.severity == "error"]
        if errors:
            raise _invalid(errors, errors[0]["message_en"], errors[0]["message_vi"],
                           "diagnosis_rule")
    return mains[0].data["code"], mains[0].data["title_vi"]
