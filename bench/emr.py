"""EMR write and read paths through the HTTP API, as a clinic would drive them.

Write path: for checked-in patients, a doctor opens the encounter from the ticket, records
vitals, two diagnoses, a lab order and its result, a prescription, and closes the visit (which
prices it and signs the summary and prescription PDFs). Reported as full visits per second.
Read path: the person header of a patient with 500 past visits (p50/p99).

Starts its own database (SQLite in a temporary folder, or a fresh PostgreSQL schema with
--postgres), the BHXH simulator and the server as subprocesses, and prints one JSON object as
its last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
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

FACILITY = "01013"
LAB = "22.0120.1370"  # complete blood count, in the seeded price list


async def _patients(env: dict, count: int) -> list[tuple]:
    """CCCD, name, birth date, sex of seeded residents (read through the platform's engine)."""
    os.environ.update(env)
    from sqlalchemy import select

    from smarthealth.core.db import get_database
    from smarthealth.identity.models import Person

    database = get_database()
    async with database.session() as session:
        rows = (await session.execute(
            select(Person.cccd, Person.full_name, Person.birth_date, Person.sex)
            .where(Person.cccd.is_not(None)).order_by(Person.id).limit(count))).all()
    await database.dispose()
    return [(r[0], r[1], r[2].isoformat(), r[3]) for r in rows]


async def _add_history(env: dict, person_cccd: str, visits: int) -> int:
    """Write `visits` past encounters at the demo hospital for one person; returns its id."""
    os.environ.update(env)
    from smarthealth.core.db import get_database
    from smarthealth.emr import bulk
    from smarthealth.identity.service import person_id_for_cccd

    database = get_database()
    async with database.session() as session:
        person_id = await person_id_for_cccd(session, cccd=person_cccd)
        start = datetime.now(UTC) - timedelta(days=visits * 3)
        rows = [{"person_id": person_id, "facility_code": FACILITY,
                 "started_at": start + timedelta(days=3 * i), "reason": "Tái khám",
                 "diagnoses": [{"code": "I10", "title_vi": "Bệnh lý tăng huyết áp",
                                "main": True}],
                 "vitals": {"pulse": 80, "systolic": 140, "diastolic": 85}}
                for i in range(visits)]
        await bulk.add_past_encounters(session, rows=rows)
    await database.dispose()
    return person_id


async def _visit(client: httpx.AsyncClient, ticket_id: int) -> float:
    """One full outpatient visit; returns its duration in ms."""
    start = time.perf_counter()

    async def post(path: str, body: dict) -> dict:
        response = await client.post(path, json=body)
        if response.status_code >= 400:
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
        return response.json()

    encounter = await post(f"/api/emr/encounters/from-ticket/{ticket_id}", {})
    base = f"/api/emr/encounters/{encounter['id']}"
    await post(f"{base}/vitals", {"pulse": 88, "systolic": 128, "diastolic": 82,
                                  "temperature": 38.4, "respiratory_rate": 18, "spo2": 98,
                                  "weight": 58, "height": 162})
    await post(f"{base}/diagnoses", {"code": "A90", "main": True})
    await post(f"{base}/diagnoses", {"code": "J06.9"})
    order = await post(f"{base}/orders", {"service_code": LAB})
    await post(f"{base}/results", {"order_entry_id": order["entry_id"], "test": "Tiểu cầu",
                                   "value": "95", "unit": "G/L", "reference_range": "150-400"})
    await post(f"{base}/prescriptions", {"drug_code": "02.001", "dose": 1,
                                         "frequency_per_day": 3, "days": 5,
                                         "instructions": "Uống sau ăn"})
    await post(f"{base}/close", {})
    return (time.perf_counter() - start) * 1000


async def _checkins(base: str, patients: list[tuple]) -> list[int]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        token = (await client.post("/api/auth/token", data={
            "username": "kiosk1", "password": "smarthealth-demo"})).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        tickets = []
        for i, (cccd, name, birth, sex) in enumerate(patients):
            response = await client.post("/api/reception/check-ins", json={
                "scan": qr_text(cccd, name, birth, sex), "facility_code": FACILITY,
                "idempotency_key": f"bench-emr-{i}"})
            response.raise_for_status()
            tickets.append(response.json()["ticket"]["id"])
        return tickets


async def _doctor(base: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=60)
    token = (await client.post("/api/auth/token", data={
        "username": "bacsi", "password": "smarthealth-demo"})).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


async def _write_path(base: str, tickets: list[int], concurrency: int) -> dict:
    client = await _doctor(base)
    queue = list(tickets)
    durations: list[float] = []

    async def worker() -> None:
        while queue:
            durations.append(await _visit(client, queue.pop()))

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    await client.aclose()
    return {"visits": len(durations), "visits_per_s": round(len(durations) / elapsed, 2),
            "visit_p50_ms": round(statistics.median(durations), 1),
            "visit_p99_ms": round(percentile(durations, 0.99), 1)}


async def _read_path(base: str, person_id: int, reads: int) -> dict:
    client = await _doctor(base)
    latencies = []
    for _ in range(reads):
        start = time.perf_counter()
        response = await client.get(f"/api/emr/persons/{person_id}/header")
        latencies.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    count = response.json()["past_encounter_count"]
    await client.aclose()
    return {"header_past_visits": count, "header_p50_ms": round(statistics.median(latencies), 2),
            "header_p99_ms": round(percentile(latencies, 0.99), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visits", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4, help="doctors at once")
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="sh-bench-emr-"))
    env = dict(os.environ, SMARTHEALTH_VAR_DIR=str(tmp), SMARTHEALTH_COOKIE_SECURE="false",
               SMARTHEALTH_DATABASE_URL="")
    schema = ""
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        env.update(SMARTHEALTH_DATABASE_URL=PG_URL, SMARTHEALTH_DATABASE_SCHEMA=schema)
        psql(f'CREATE SCHEMA "{schema}"')
    sim_port, app_port = free_port(), free_port()
    env["SMARTHEALTH_BHXH_BASE_URL"] = f"http://127.0.0.1:{sim_port}"
    procs: list[subprocess.Popen] = []
    try:
        subprocess.run([*CLI, "migrate"], env=env, check=True, capture_output=True)
        subprocess.run([*CLI, "seed", "--people", "3000", "--seed", "13", "--no-history"],
                       env=env, check=True, capture_output=True)
        patients = asyncio.run(_patients(env, args.visits + 1))
        person_id = asyncio.run(_add_history(env, patients[-1][0], 500))
        procs.append(subprocess.Popen([*CLI, "bhxh-sim", "--port", str(sim_port), "--preload"],
                                      env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen(
            [*CLI, "serve", "--port", str(app_port), "--workers", str(args.workers),
             "--no-access-log"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{app_port}"
        wait_http(f"{base}/health")
        wait_http(f"http://127.0.0.1:{sim_port}/_sim/stats")
        tickets = asyncio.run(_checkins(base, patients[:args.visits]))
        results = {"database": "postgresql" if args.postgres else "sqlite",
                   "server_workers": args.workers, "doctors": args.concurrency}
        results.update(asyncio.run(_write_path(base, tickets, args.concurrency)))
        results.update(asyncio.run(_read_path(base, person_id, args.reads)))
        print(json.dumps(results))
    finally:
        stop(procs, schema)


if __name__ == "__main__":
    main()
