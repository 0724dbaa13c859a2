"""Identity and insurance throughput: scans/s through the API; eligibility checks/s and p99
with the BHXH simulator at 0 ms and at 300 ms latency, 200 concurrent callers.

Starts its own database (SQLite in a temporary folder, or a fresh PostgreSQL schema with
--postgres), seeds a synthetic population, the simulator and the server as subprocesses, and
prints one JSON object as its last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    CLI,
    PG_URL,
    free_port,
    percentile,
    psql,
    qr_text,
    stop,
    wait_http,
)

ROOT = Path(__file__).resolve().parents[1]








async def drive(url: str, headers: dict, bodies: list[dict], concurrency: int) -> dict:
    """Send every body once with `concurrency` callers; throughput and latency percentiles."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(headers=headers, timeout=30.0, limits=limits) as client:

        async def worker() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                start = time.perf_counter()
                try:
                    response = await client.post(url, json=body)
                    status = response.status_code
                except httpx.TransportError:  # counted, not fatal: the run goes on
                    status = 0
                latencies.append((time.perf_counter() - start) * 1000)
                statuses[status] = statuses.get(status, 0) + 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return {
        "requests": len(bodies), "per_s": round(len(bodies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1), "statuses": statuses,
    }


def people_sqlite(db_path: Path, limit: int) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "SELECT p.cccd, p.full_name, p.birth_date, p.sex, p.address, c.code "
            "FROM persons p LEFT JOIN bhyt_cards c ON c.person_id = p.id "
            "WHERE p.cccd IS NOT NULL ORDER BY p.id LIMIT ?", (limit,)).fetchall()


async def people_postgres(schema: str, limit: int) -> list[tuple]:
    import asyncpg

    conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/test")
    try:
        rows = await conn.fetch(
            f'SELECT p.cccd, p.full_name, p.birth_date::text, p.sex, p.address, c.code '
            f'FROM "{schema}".persons p LEFT JOIN "{schema}".bhyt_cards c '
            f'ON c.person_id = p.id WHERE p.cccd IS NOT NULL ORDER BY p.id LIMIT $1', limit)
        return [tuple(r) for r in rows]
    finally:
        await conn.close()




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=12000)
    parser.add_argument("--scans", type=int, default=3000)
    parser.add_argument("--checks", type=int, default=4000, help="per latency scenario")
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="sh-bench-identity-"))
    env = dict(os.environ, SMARTHEALTH_VAR_DIR=str(tmp), SMARTHEALTH_COOKIE_SECURE="false")
    schema = ""
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        env.update(SMARTHEALTH_DATABASE_URL=PG_URL, SMARTHEALTH_DATABASE_SCHEMA=schema)
        psql(f'CREATE SCHEMA "{schema}"')
    else:
        env["SMARTHEALTH_DATABASE_URL"] = ""
    sim_port, app_port = free_port(), free_port()
    env["SMARTHEALTH_BHXH_BASE_URL"] = f"http://127.0.0.1:{sim_port}"
    procs: list[subprocess.Popen] = []
    try:
        subprocess.run([*CLI, "migrate"], env=env, check=True, capture_output=True)
        subprocess.run([*CLI, "seed", "--people", str(args.people), "--seed", "11"], env=env,
                       check=True, capture_output=True)
        procs.append(subprocess.Popen([*CLI, "bhxh-sim", "--port", str(sim_port), "--preload"],
                                      env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen(
            [*CLI, "serve", "--port", str(app_port), "--workers", str(args.workers),
             "--no-access-log"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{app_port}"
        wait_http(f"{base}/health")
        wait_http(f"http://127.0.0.1:{sim_port}/_sim/stats")
        login = httpx.post(f"{base}/api/auth/token",
                           data={"username": "letan", "password": "smarthealth-demo"}).json()
        headers = {"Authorization": f"Bearer {login['access_token']}"}
        facility = login["facility_code"]

        need = args.scans + 2 * args.checks + 100
        rows = (asyncio.run(people_postgres(schema, need * 2)) if args.postgres
                else people_sqlite(tmp / "smarthealth.db", need * 2))
        scans = [{"payload": qr_text(*row[:5])} for row in rows[:args.scans]]
        carded = [row for row in rows if row[5]]
        checks = [{"card_number": row[5], "full_name": row[1], "birth_date": row[2],
                   "facility_code": facility} for row in carded]
        if len(checks) < 2 * args.checks:
            raise SystemExit(f"only {len(checks)} carded people; raise --people")

        results: dict = {"database": "postgresql" if args.postgres else "sqlite",
                         "people": args.people, "concurrency": args.concurrency,
                         "server_workers": args.workers}
        scan = asyncio.run(drive(f"{base}/api/identity/scan", headers, scans, 50))
        results["scans_per_s"] = scan["per_s"]
        results["scan_p99_ms"] = scan["p99_ms"]
        for label, latency, batch in (("0ms", 0, checks[:args.checks]),
                                      ("300ms", 300, checks[args.checks:2 * args.checks])):
            httpx.post(f"http://127.0.0.1:{sim_port}/_sim/config", json={"latency_ms": latency})
            run = asyncio.run(drive(f"{base}/api/insurance/eligibility", headers, batch,
                                    args.concurrency))
            results[f"eligibility_{label}_per_s"] = run["per_s"]
            results[f"eligibility_{label}_p50_ms"] = run["p50_ms"]
            results[f"eligibility_{label}_p99_ms"] = run["p99_ms"]
            results[f"eligibility_{label}_statuses"] = run["statuses"]
        cached = asyncio.run(drive(f"{base}/api/insurance/eligibility", headers,
                                   checks[:args.checks], args.concurrency))
        results["eligibility_cached_per_s"] = cached["per_s"]
        results["eligibility_cached_p99_ms"] = cached["p99_ms"]
        print(json.dumps(results))
    finally:
        stop(procs, schema)


if __name__ == "__main__":
    main()
