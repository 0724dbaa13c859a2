"""Duplicate candidates, merging two person records, and undoing a merge.

A merge deletes nothing: the merged record gets `merged_into_id` (searches and look-ups then
resolve to the kept record), empty contact fields of the kept record are filled from the
merged one, and records already merged into the loser are re-pointed so that every pointer
is one level deep. The PersonMerge row keeps who, when, why and what changed; undo reverses
exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core import audit
from smarthealth.core.audit import Actor
from smarthealth.core.db import utcnow
from smarthealth.core.errors import Conflict, InvalidInput, NotFound
from smarthealth.identity.config import get_identity_settings
from smarthealth.identity.matching import Candidate, candidate_pairs, score_pair
from smarthealth.identity.models import Person, PersonMerge
from smarthealth.identity.names import clean_text

FILLED_FIELDS = ("phone", "address", "ward_code", "province_code")


@dataclass(frozen=True)
class DuplicatePair:
    first: Person
    second: Person
    score: float
    parts: dict[str, float]


async def find_duplicates(session: AsyncSession, *, threshold: float | None = None,
                          limit: int = 50) -> list[DuplicatePair]:
    """Candidate pairs among active records, at least one without a CCCD, best first."""
    settings = get_identity_settings()
    threshold = settings.duplicate_threshold if threshold is None else threshold
    active = Person.merged_into_id.is_(None)
    without = list(await session.scalars(select(Person).where(
        active, Person.cccd.is_(None)).order_by(Person.id).limit(settings.duplicate_scan_limit)))
    if not without:
        return []
    names = {p.name_key for p in without}
    phones = {p.phone for p in without if p.phone}
    with_cccd = list(await session.scalars(select(Person).where(
        active, Person.cccd.is_not(None),
        or_(Person.name_key.in_(names), Person.phone.in_(phones)))))
    by_id = {p.id: p for p in [*without, *with_cccd]}
    pairs: list[Candidate] = candidate_pairs(by_id.values(), threshold=threshold)[:limit]
    return [DuplicatePair(by_id[c.first_id], by_id[c.second_id], c.score, c.parts)
            for c in pairs]


async def _locked(session: AsyncSession, person_id: int) -> Person:
    person = await session.scalar(
        select(Person).where(Person.id == person_id).with_for_update())
    if person is None:
        raise NotFound("The person was not found.", "Không tìm thấy người bệnh.",
                       details={"person_id": person_id})
    return person


def _check_mergeable(keep: Person, loser: Person) -> None:
    if keep.id == loser.id:
        raise InvalidInput("A record cannot be merged into itself.",
                           "Không thể gộp một hồ sơ vào chính nó.")
    for person in (keep, loser):
        if person.merged_into_id is not None:
            raise Conflict("This record was already merged into another one.",
                           "Hồ sơ này đã được gộp vào hồ sơ khác.",
                           details={"person_id": person.id, "merged_into_id":
                                    person.merged_into_id})
    if keep.cccd and loser.cccd:
        raise Conflict("Two records with different CCCD numbers are two people.",
                       "Hai hồ sơ có hai số CCCD khác nhau là hai người khác nhau.")


async def merge_persons(session: AsyncSession, *, actor: Actor, keep_id: int, merge_id: int,
                        reason: str) -> PersonMerge:
    """Merge `merge_id` into `keep_id`, keeping both histories; audited."""
    reason = clean_text(reason)[:500]
    if len(reason) < 3:
        raise InvalidInput("Give the reason for the merge.", "Cần ghi lý do gộp hồ sơ.")
    keep = await _locked(session, keep_id)
    loser = await _locked(session, merge_id)
    _check_mergeable(keep, loser)
    filled = {}
    for name in FILLED_FIELDS:
        if getattr(keep, name) is None and getattr(loser, name) is not None:
            filled[name] = getattr(loser, name)
            setattr(keep, name, getattr(loser, name))
    repointed = list(await session.scalars(
        select(Person.id).where(Person.merged_into_id == loser.id)))
    if repointed:
        await session.execute(update(Person).where(Person.id.in_(repointed)).values(
            merged_into_id=keep.id))
    loser.merged_into_id = keep.id
    row = PersonMerge(keep_id=keep.id, merge_id=loser.id, reason=reason,
                      score=score_pair(keep, loser)[0], merged_by=actor.name,
                      changes={"filled": filled, "repointed": repointed})
    session.add(row)
    await session.flush()
    await audit.record(session, actor=actor, action="person.merge", entity_type="person_merge",
                       entity_id=row.id, patient_id=keep.id,
                       details={"merge_id": loser.id, "reason": reason,
                                "filled": sorted(filled), "repointed": repointed})
    return row


async def get_merge(session: AsyncSession, *, merge_row_id: int) -> PersonMerge:
    row = await session.scalar(
        select(PersonMerge).where(PersonMerge.id == merge_row_id).with_for_update())
    if row is None:
        raise NotFound("The merge was not found.", "Không tìm thấy thao tác gộp hồ sơ.",
                       details={"merge_id": merge_row_id})
    return row


async def undo_merge(session: AsyncSession, *, actor: Actor, merge_row_id: int) -> PersonMerge:
    """Restore the merged record and take back what the merge filled in; audited."""
    row = await get_merge(session, merge_row_id=merge_row_id)
    if row.undone_at is not None:
        raise Conflict("This merge was already undone.", "Thao tác gộp này đã được hoàn tác.")
    keep = await _locked(session, row.keep_id)
    loser = await _locked(session, row.merge_id)
    loser.merged_into_id = None
    for name, value in (row.changes.get("filled") or {}).items():
        if getattr(keep, name) == value:  # only if nobody changed it since
            setattr(keep, name, None)
    repointed = row.changes.get("repointed") or []
    if repointed:
        await session.execute(update(Person).where(
            Person.id.in_(repointed), Person.merged_into_id == keep.id).values(
            merged_into_id=loser.id))
    row.undone_at, row.undone_by = utcnow(), actor.name
    await session.flush()
    await audit.record(session, actor=actor, action="person.merge_undo",
                       entity_type="person_merge", entity_id=row.id, patient_id=loser.id,
                       details={"keep_id": keep.id, "merge_id": loser.id})
    return row
