"""Append-only audit log with a hash chain: each entry carries the hash of the one before it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.db import utcnow
from smarthealth.core.models import AuditEntry

GENESIS = "0" * 64
_LOCK_KEY = 727_001  # pg_advisory_xact_lock key that serialises appends to the chain


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
    """Append one entry to the chain inside the caller's transaction."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    last = (
        await session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(
            AuditEntry.seq.desc()).limit(1))
    ).first()
    entry = AuditEntry(
        seq=(last.seq + 1) if last else 1,
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
        prev_hash=last.hash if last else GENESIS,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    await session.flush()
    return entry


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str


async def verify(session: AsyncSession, *, batch: int = 5000) -> tuple[int, list[ChainProblem]]:
    """Walk the chain in order; report edited entries, broken links and missing sequence numbers."""
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


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)
