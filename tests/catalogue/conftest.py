"""Catalogue fixtures: the shipped ICD-10 list and demo drug list, loaded through the loaders."""

from __future__ import annotations

import pytest

from smarthealth.catalogue import loaders
from smarthealth.core.db import get_database


@pytest.fixture
async def icd10() -> None:
    async with get_database().session() as s:
        await loaders.load_icd10(s)


@pytest.fixture
async def drugs() -> None:
    async with get_database().session() as s:
        await loaders.load_drugs(s)
