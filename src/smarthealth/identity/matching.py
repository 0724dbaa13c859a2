"""Duplicate finding for records without a CCCD: blocking keys, a pair score, a threshold.

Blocking (which pairs are compared at all): two records share a key if they have the same
birth year and given name (last token of the name key), the same full name key, the same
birth date and ward, or the same phone. Only pairs sharing a key are scored; a block larger
than MAX_BLOCK (a very common name) is skipped.

Score (0..1) = 0.45 name + 0.25 birth date + 0.10 sex + 0.10 ward + 0.10 phone, where
  name        similarity of the diacritic-free names (names.name_similarity),
  birth date  1 same day · 0.7 day and month swapped · 0.5 same year and month or year-only
              · 0.3 same year · 0,
  sex         1 same · 0,
  ward, phone 1 same · 0.5 one side unknown · 0 different.
Pairs at or above the threshold (IdentitySettings.duplicate_threshold, default 0.85) are
shown to staff. Two records with different CCCD numbers are never candidates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from itertools import combinations
from typing import Protocol

from smarthealth.identity.names import name_similarity

MAX_BLOCK = 300  # a larger block (a very common name) is skipped rather than compared pairwise
WEIGHTS = {"name": 0.45, "birth_date": 0.25, "sex": 0.10, "ward": 0.10, "phone": 0.10}


class PersonLike(Protocol):
    id: int
    cccd: str | None
    full_name: str
    name_key: str
    birth_date: date
    birth_date_precision: str
    sex: str
    ward_code: int | None
    phone: str | None


@dataclass(frozen=True)
class Candidate:
    first_id: int
    second_id: int
    score: float
    parts: dict[str, float]


def blocking_keys(p: PersonLike) -> set[str]:
    keys = {f"n:{p.name_key}", f"y:{p.birth_date.year}:{p.name_key.rsplit(' ', 1)[-1]}"}
    if p.ward_code is not None:
        keys.add(f"d:{p.birth_date.isoformat()}:{p.ward_code}")
    if p.phone:
        keys.add(f"p:{p.phone}")
    return keys


def _birth_date_score(a: PersonLike, b: PersonLike) -> float:
    da, db = a.birth_date, b.birth_date
    if da.year != db.year:
        return 0.0
    if "year" in (a.birth_date_precision, b.birth_date_precision):
        return 0.5
    if da == db:
        return 1.0
    if (da.day, da.month) == (db.month, db.day):
        return 0.7
    return 0.5 if da.month == db.month else 0.3


def _known_equal(x: object, y: object) -> float:
    if x is None or y is None:
        return 0.5
    return 1.0 if x == y else 0.0


def score_pair(a: PersonLike, b: PersonLike) -> tuple[float, dict[str, float]]:
    """The weighted score of a pair and its parts (see the module docstring)."""
    parts = {
        "name": round(name_similarity(a.name_key, b.name_key), 3),
        "birth_date": _birth_date_score(a, b),
        "sex": 1.0 if a.sex == b.sex else 0.0,
        "ward": _known_equal(a.ward_code, b.ward_code),
        "phone": _known_equal(a.phone, b.phone),
    }
    return round(sum(WEIGHTS[k] * v for k, v in parts.items()), 3), parts


def candidate_pairs(people: Iterable[PersonLike], *, threshold: float) -> list[Candidate]:
    """Scored pairs sharing a blocking key, best first; at least one side has no CCCD."""
    blocks: dict[str, list[PersonLike]] = defaultdict(list)
    for person in people:
        for key in blocking_keys(person):
            blocks[key].append(person)
    seen: set[tuple[int, int]] = set()
    found: list[Candidate] = []
    for members in blocks.values():
        if len(members) > MAX_BLOCK:
            continue
        for a, b in combinations(members, 2):
            pair = (min(a.id, b.id), max(a.id, b.id))
            if pair in seen or a.id == b.id or (a.cccd and b.cccd):
                continue
            seen.add(pair)
            score, parts = score_pair(a, b)
            if score >= threshold:
                found.append(Candidate(pair[0], pair[1], score, parts))
    found.sort(key=lambda c: (-c.score, c.first_id, c.second_id))
    return found
