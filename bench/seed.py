"""Benchmark `smarthealth seed`: people per second and peak memory on a fresh database.

    .venv/bin/python bench/seed.py                       # 100,000 people, temporary SQLite
    .venv/bin/python bench/seed.py --postgres            # also PostgreSQL (own schema, dropped)
    .venv/bin/python bench/seed.py --people 1000000

Each database is measured in its own subprocess, so peak RSS is that run's own. Every line
printed is one JSON object; with --postgres SQLite's line comes first and PostgreSQL's last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


async def _measure(people: int, seed: int, chunk: int) -> dict[str, object]:
    """Migrate the configured (fresh) database, seed it and measure; runs in the child."""
    from sqlalchemy import text

    from smarthealth.core import migrate
    from smarthealth.core.db import get_database
    from smarthealth.synth.seed import seed_hanoi

    database = get_database()
    schema = os.environ.get("SMARTHEALTH_DATABASE_SCHEMA")
    if schema:
        async with database.engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        await migrate.upgrade_async(database.engine)
        started = time.perf_counter()
        summary = await seed_hanoi(database, people=people, seed=seed, chunk=chunk,
                                   progress=sys.stderr.isatty())
        seconds = time.perf_counter() - started
    finally:
        if schema:
            async with database.engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await database.dispose()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"people": people, "cards": summary.cards, "facilities": summary.facilities,
            "seconds": round(seconds, 2), "people_per_s": round(people / seconds),
            "peak_rss_mb": round(peak_kb / 1024, 1), "database": database.kind}


def _child(args: argparse.Namespace) -> None:
    result = asyncio.run(_measure(args.people, args.seed, args.chunk))
    print(json.dumps(result))


def _run_one(args: argparse.Namespace, database_url: str) -> dict[str, object]:
    """Run the measurement in a fresh interpreter with the database settings in its env."""
    with tempfile.TemporaryDirectory(prefix="smarthealth-bench-") as var_dir:
        env = {**os.environ, "SMARTHEALTH_VAR_DIR": var_dir,
               "SMARTHEALTH_DATABASE_URL": database_url,
               "SMARTHEALTH_SECRET_KEY": "bench-secret-key-not-for-production-0123456789"}
        env.pop("SMARTHEALTH_DATABASE_SCHEMA", None)
        if database_url:
            env["SMARTHEALTH_DATABASE_SCHEMA"] = f"bench_{uuid.uuid4().hex[:10]}"
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--people", str(args.people),
             "--seed", str(args.seed), "--chunk", str(args.chunk)],
            env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_PG, default=None,
                        metavar="URL", help=f"also measure PostgreSQL (default {DEFAULT_PG})")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    urls = [""] + ([args.postgres] if args.postgres else [])
    for url in urls:
        print(json.dumps(_run_one(args, url)), flush=True)


if __name__ == "__main__":
    main()
