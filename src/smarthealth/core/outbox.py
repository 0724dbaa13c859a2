"""Transactional outbox: publish inside the writer's transaction, read in order per consumer.

Ids come from a sequence, and on PostgreSQL a transaction holding a lower id may commit after
one holding a higher id. A consumer therefore stops at the first gap in ids unless the event
after the gap is older than a grace period (the gap was then a rolled-back transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.db import utcnow
from smarthealth.core.models import OutboxConsumer, OutboxEvent


@dataclass(frozen=True)
class Event:
    id: int
    occurred_at: datetime
    topic: str
    aggregate_type: str
    aggregate_id: str
    facility_code: str | None
    payload: dict[str, Any]


async def publish(
    session: AsyncSession,
    *,
    topic: str,
    aggregate_type: str,
    aggregate_id: str | int,
    payload: dict[str, Any],
    facility_code: str | None = None,
) -> None:
    """Add an event to the caller's transaction; it exists only if that transaction commits."""
    session.add(
        OutboxEvent(
            topic=topic,
            aggregate_type=aggregate_type,
            aggregate_id=str(aggregate_id),
            payload=payload,
            facility_code=facility_code,
            occurred_at=utcnow(),
        )
    )


async def position(session: AsyncSession, *, consumer: str) -> int:
    row = await session.get(OutboxConsumer, consumer)
    return row.position if row else 0


@dataclass(frozen=True)
class Batch:
    """Events for a consumer, and the id up to which it may acknowledge after handling them."""

    events: list[Event]
    last_id: int


async def read(
    session: AsyncSession,
    *,
    consumer: str,
    limit: int = 1000,
    topics: list[str] | None = None,
    grace: timedelta = timedelta(seconds=30),
) -> Batch:
    """The next events after the consumer's position, in id order, never skipping a pending id."""
    start = await position(session, consumer=consumer)
    stmt = select(OutboxEvent).where(OutboxEvent.id > start).order_by(OutboxEvent.id).limit(limit)
    rows = (await session.scalars(stmt)).all()
    now = utcnow()
    events: list[Event] = []
    last = start
    for row in rows:
        if row.id != last + 1 and now - row.occurred_at < grace:
            break
        last = row.id
        if topics is None or row.topic in topics:
            events.append(
                Event(
                    id=row.id,
                    occurred_at=row.occurred_at,
                    topic=row.topic,
                    aggregate_type=row.aggregate_type,
                    aggregate_id=row.aggregate_id,
                    facility_code=row.facility_code,
                    payload=row.payload,
                )
            )
    return Batch(events=events, last_id=last)


async def acknowledge(session: AsyncSession, *, consumer: str, up_to: int) -> None:
    """Remember that the consumer has handled every event up to and including `up_to`."""
    row = await session.get(OutboxConsumer, consumer)
    if row is None:
        session.add(OutboxConsumer(name=consumer, position=up_to, updated_at=utcnow()))
    elif up_to > row.position:
        row.position = up_to
        row.updated_at = utcnow()
    await session.flush()
