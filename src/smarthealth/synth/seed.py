"""Seed synthetic Hanoi: facilities first, then residents and their cards in chunks.

Deterministic: the same seed and reference day give the same rows. Residents are generated
and inserted chunk by chunk (one transaction each), so memory stays flat for a million people.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from tqdm import tqdm

from smarthealth.core.audit import Actor, record
from smarthealth.core.auth import hash_password
from smarthealth.core.db import Database
from smarthealth.identity.bulk import add_persons
from smarthealth.insurance.bulk import add_cards
from smarthealth.registry.bulk import count_facilities
from smarthealth.synth.cards import CardFactory
from smarthealth.synth.facilities import FacilityIndex, seed_registry
from smarthealth.synth.numbers import CccdAllocator, SocialInsuranceNumbers
from smarthealth.synth.people import ResidentFactory
from smarthealth.synth.staff import DEMO_PASSWORD

CHUNK = 10_000


@dataclass(frozen=True)
class SeedSummary:
    facilities: int
    stations: int
    practitioners: int
    staff_users: int
    people: int
    cards: int
    seconds: float


def today_in_hanoi() -> date:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


async def already_seeded(database: Database) -> int:
    """How many facilities exist (0 for an empty database)."""
    async with database.session() as session:
        return await count_facilities(session)


async def _seed_people(database: Database, *, people: int, seed: int, on: date,
                       cccds: CccdAllocator, sins: SocialInsuranceNumbers,
                       index: FacilityIndex, chunk: int, progress: bool) -> int:
    """Generate and insert residents and their cards chunk by chunk; returns the card count."""
    residents = ResidentFactory(random.Random(f"{seed}:people"), on=on, cccds=cccds)
    cards = CardFactory(random.Random(f"{seed}:cards"), on, index, sins)
    issued = 0
    with tqdm(total=people, unit="people", disable=not progress) as bar:
        for start in range(0, people, chunk):
            drawn = [residents.draw() for _ in range(min(chunk, people - start))]
            card_rows = [cards.draw(start + i, r) for i, r in enumerate(drawn)]
            async with database.session() as session:
                ids = await add_persons(session, rows=[r.row for r in drawn])
                held = [{**card, "person_id": pid} for card, pid in zip(card_rows, ids,
                                                                       strict=True) if card]
                await add_cards(session, rows=held)
            issued += len(held)
            bar.update(len(drawn))
    return issued


async def seed_hanoi(database: Database, *, people: int, seed: int, on: date | None = None,
                     chunk: int = CHUNK, progress: bool = False) -> SeedSummary:
    """Seed an empty database with synthetic Hanoi; `on` is the reference day (default today)."""
    started = time.perf_counter()
    on = on or today_in_hanoi()
    rng = random.Random(f"{seed}:registry")
    cccds = CccdAllocator(random.Random(f"{seed}:cccd"))
    sins = SocialInsuranceNumbers(random.Random(f"{seed}:bhxh"))
    async with database.session() as session:
        registry = await seed_registry(session, rng=rng, on=on, cccds=cccds, sins=sins,
                                       password_hash=hash_password(DEMO_PASSWORD))
        await record(session, actor=Actor(name="cli", role="operator"), action="seed",
                     entity_type="synthetic_hanoi",
                     details={"people": people, "seed": seed, "on": on.isoformat()})
    issued = await _seed_people(database, people=people, seed=seed, on=on, cccds=cccds,
                                sins=sins, index=registry.index, chunk=chunk,
                                progress=progress)
    return SeedSummary(registry.facilities, registry.stations, registry.practitioners,
                       registry.staff_users, people, issued, time.perf_counter() - started)
