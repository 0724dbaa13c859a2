"""The transactional outbox: events exist only with their change, and are read in order."""

from datetime import timedelta

import pytest
from sqlalchemy import insert

from smarthealth.core import outbox
from smarthealth.core.db import get_database, utcnow
from smarthealth.core.models import OutboxEvent


async def _publish(n: int, topic: str = "registry.facility.created") -> None:
    async with get_database().session() as session:
        for i in range(n):
            await outbox.publish(session, topic=topic, aggregate_type="facility",
                                 aggregate_id=i, payload={"i": i})


async def test_an_event_of_a_rolled_back_transaction_never_appears():
    with pytest.raises(RuntimeError):
        async with get_database().session() as session:
            await outbox.publish(session, topic="t", aggregate_type="x", aggregate_id=1,
                                 payload={})
            raise RuntimeError("the change failed")
    async with get_database().session() as session:
        batch = await outbox.read(session, consumer="analytics")
    assert batch.events == []


async def test_consumers_read_in_order_and_remember_their_position():
    await _publish(5)
    async with get_database().session() as session:
        first = await outbox.read(session, consumer="analytics", limit=3)
        assert [e.payload["i"] for e in first.events] == [0, 1, 2]
        await outbox.acknowledge(session, consumer="analytics", up_to=first.last_id)
    async with get_database().session() as session:
        rest = await outbox.read(session, consumer="analytics")
        other = await outbox.read(session, consumer="notifications")
    assert [e.payload["i"] for e in rest.events] == [3, 4]
    assert len(other.events) == 5


async def test_topic_filter_still_advances_past_other_topics():
    await _publish(2, topic="a")
    await _publish(1, topic="b")
    async with get_database().session() as session:
        batch = await outbox.read(session, consumer="c", topics=["b"])
    assert [e.topic for e in batch.events] == ["b"] and batch.last_id == 3


async def _insert_raw(event_id: int, age: timedelta) -> None:
    async with get_database().session() as session:
        await session.execute(insert(OutboxEvent).values(
            id=event_id, occurred_at=utcnow() - age, topic="t", aggregate_type="x",
            aggregate_id=str(event_id), payload={}))


async def test_a_recent_gap_stops_the_reader_so_a_late_commit_is_not_skipped():
    await _insert_raw(1, timedelta(0))
    await _insert_raw(3, timedelta(0))
    async with get_database().session() as session:
        batch = await outbox.read(session, consumer="c")
    assert [e.id for e in batch.events] == [1]


async def test_an_old_gap_is_a_rolled_back_transaction_and_is_passed():
    await _insert_raw(1, timedelta(minutes=5))
    await _insert_raw(3, timedelta(minutes=5))
    async with get_database().session() as session:
        batch = await outbox.read(session, consumer="c")
    assert [e.id for e in batch.events] == [1, 3]
