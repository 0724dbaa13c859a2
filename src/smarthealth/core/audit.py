"""Append-only audit log with a hash chain: each sealed entry carries the hash of the one before.

Writers only insert (no lock, no read), so audited transactions never wait on each other. A
sealer (`seal`, run every second by the app and before `smarthealth audit verify`) takes the
unsealed entries in id order and gives each its sequence number, the previous entry's hash and its
own hash. As in the outbox, ids may commit out of order, so the sealer stops at a gap in ids until
the gap is older than a grace period (then it was a rolled-back transaction). An entry changed
in the second before it is sealed is not detected; after that, any change is.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.db import utcnow
from smarthealth.core.models import AuditEntry

GENESIS = "0" * 64
_SEAL_LOCK_KEY = 727_001  # pg_advisory_xact_lock key: one sealer at a time across processes


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff user, a kiosk device, or the system itself."""

    name: str
    role: str | None = None
    facility_code: str | None = None
    source_ip: str | None = None


SYSTEM = Actor(name="system", role="system")


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 over the entry's canonical content and the previous hash."""
    content = {
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "actor_role": entry.actor_role,
        "facility_code": entry.facility_code,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "patient_id": entry.patient_id,
        "source_ip": entry.source_ip,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
    }
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


async def record(
    session: AsyncSession,
    *,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: str | int | None = None,
    patient_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry inside the caller's transaction; the sealer chains it shortly after."""
    entry = AuditEntry(
        at=utcnow(),
        actor=actor.name,
        actor_role=actor.role,
        facility_code=actor.facility_code,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        patient_id=patient_id,
        source_ip=actor.source_ip,
        details=details,
    )
    session.add(entry)
    await session.flush()
    return entry


async def seal(session: AsyncSession, *, grace: timedelta = timedelta(seconds=30),
               batch: int = 5000) -> int:
    """Chain the unsealed entries in id order; returns how many were sealed."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SEAL_LOCK_KEY})
    last = (await session.execute(
        select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.seq.is_not(None))
        .order_by(AuditEntry.seq.desc()).limit(1))).first()
    last_id = await session.scalar(select(func.max(AuditEntry.id))
                                   .where(AuditEntry.seq.is_not(None))) or 0
    seq, prev_hash = (last.seq, last.hash) if last else (0, GENESIS)
    rows = (await session.scalars(select(AuditEntry).where(AuditEntry.seq.is_(None))
                                  .order_by(AuditEntry.id).limit(batch))).all()
    now, sealed = utcnow(), 0
    for entry in rows:
        if entry.id > last_id + 1 and now - entry.at < grace:
            break  # a lower id may still commit: wait for it
        seq += 1
        entry.seq, entry.prev_hash = seq, prev_hash
        entry.hash = prev_hash = entry_hash(entry)
        last_id = max(last_id, entry.id)
        sealed += 1
    await session.flush()
    return sealed


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str


async def verify(session: AsyncSession, *, batch: int = 5000) -> tuple[int, list[ChainProblem]]:
    """Walk the sealed chain in order; report edited entries, broken links and missing entries."""
    problems: list[ChainProblem] = []
    prev_hash, prev_seq, checked = GENESIS, 0, 0
    while True:
        rows = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.seq > prev_seq).order_by(AuditEntry.seq)
                .limit(batch)
            )
        ).all()
        if not rows:
            break
        for entry in rows:
            checked += 1
            if entry.seq != prev_seq + 1:
                problems.append(ChainProblem(
                    prev_seq + 1, f"entries {prev_seq + 1}..{entry.seq - 1} are missing (deleted)"))
            if entry.prev_hash != prev_hash:
                problems.append(ChainProblem(entry.seq, "link to the previous entry is broken"))
            if entry_hash(entry) != entry.hash:
                problems.append(ChainProblem(entry.seq, "content was changed after it was written"))
            prev_hash, prev_seq = entry.hash, entry.seq
    return checked, problems


async def head(session: AsyncSession) -> tuple[int, str]:
    """Sequence number and hash of the newest sealed entry (keep it outside the database)."""
    last = (await session.execute(
        select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.seq.is_not(None))
        .order_by(AuditEntry.seq.desc()).limit(1))).first()
    return (last.seq, last.hash) if last else (0, GENESIS)


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)
