"""Writes that race past the duplicate check still end as 409, and audit never stores passwords."""

import pytest
from sqlalchemy import select

from smarthealth.core.db import get_database
from smarthealth.core.errors import Conflict
from smarthealth.core.models import AuditEntry, OutboxEvent
from smarthealth.registry.models import Facility
from smarthealth.registry.service import flush_unique


async def test_a_unique_violation_at_flush_becomes_a_conflict(make_facility):
    await make_facility(code="01001")
    async with get_database().sessionmaker() as s:
        s.add(Facility(code="01001", name="Trùng", care_level="basic", tier="city"))
        with pytest.raises(Conflict):
            await flush_unique(s, Conflict("duplicate", "trùng"))
        await s.rollback()


async def test_account_changes_are_audited_without_the_password(client, admin):
    await client.post("/api/registry/facilities", headers=admin, json={
        "code": "01001", "name": "Bệnh viện", "care_level": "basic", "tier": "city"})
    user = (await client.post("/api/registry/users", headers=admin, json={
        "username": "thu", "password": "secret-password-1", "role": "nurse",
        "facility_code": "01001"})).json()
    await client.patch(f"/api/registry/users/{user['id']}", headers=admin,
                       json={"password": "secret-password-2"})
    async with get_database().session() as s:
        details = (await s.scalars(select(AuditEntry.details)
                                   .where(AuditEntry.entity_type == "user"))).all()
        payloads = (await s.scalars(select(OutboxEvent.payload)
                                    .where(OutboxEvent.aggregate_type == "user"))).all()
    text = repr(details) + repr(payloads)
    assert len(details) == 2 and "secret-password" not in text and "hash" not in text
    assert details[1]["changes"] == {"password": "changed"}
