"""As-you-type catalogue search latency: ICD-10 and drug queries against the shipped lists.

Migrates a scratch database (a temporary SQLite file by default, or SMARTHEALTH_DATABASE_URL
with a fresh PostgreSQL schema), loads the shipped catalogues and times typical queries
through the service layer. Prints, as its last line, one JSON object with p50/p99 in ms.

    python bench/catalogue.py
    SMARTHEALTH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test \
        python bench/catalogue.py
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid

QUERIES = ("sot xuat huyet", "Sốt xuất huyết", "dengue", "viem phoi", "tang huyet ap",
           "dai thao duong type 2", "J06", "a971", "E11.9", "k", "tieu chay", "influenza")
DRUG_QUERIES = ("para", "amoxicilin", "amlodipin 5", "metformin", "oresol", "vitamin")
ROUNDS = 30


def _prepare_env() -> str | None:
    url = os.environ.get("SMARTHEALTH_DATABASE_URL", "")
    if url.startswith("postgresql"):
        schema = f"bench_cat_{uuid.uuid4().hex[:8]}"
        os.environ["SMARTHEALTH_DATABASE_SCHEMA"] = schema
        return schema
    path = os.path.join(tempfile.mkdtemp(prefix="sh-bench-cat-"), "bench.db")
    os.environ["SMARTHEALTH_DATABASE_URL"] = f"sqlite+aiosqlite:///{path}"
    return None


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered), 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2)}


async def _timed(call, queries: tuple[str, ...]) -> list[float]:  # noqa: ANN001
    samples = []
    for _ in range(ROUNDS):
        for q in queries:
            start = time.perf_counter()
            await call(q)
            samples.append((time.perf_counter() - start) * 1000)
    return samples


async def run(schema: str | None) -> dict[str, object]:
    from sqlalchemy import text

    from smarthealth.catalogue import loaders, service
    from smarthealth.core import migrate
    from smarthealth.core.db import get_database

    db = get_database()
    if schema:
        async with db.engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        await migrate.upgrade_async(db.engine)
        async with db.session() as session:
            await loaders.load_defaults(session)
        async with db.session() as session:
            icd = await _timed(lambda q: service.search_icd10(session, q=q), QUERIES)
            drugs = await _timed(lambda q: service.search_drugs(session, q=q), DRUG_QUERIES)
        return {"database": db.kind, "icd10_search": _stats(icd), "drug_search": _stats(drugs),
                "queries": len(icd) + len(drugs)}
    finally:
        if schema:
            async with db.engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await db.dispose()


def main() -> None:
    schema = _prepare_env()
    print(json.dumps(asyncio.run(run(schema))))


if __name__ == "__main__":
    main()
