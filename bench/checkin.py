"""Kiosk check-in throughput and latency on PostgreSQL, against pgbench on the same machine.

Creates a fresh PostgreSQL schema, migrates it, seeds a synthetic population (`smarthealth
seed`, or a small built-in one while that command is unavailable), starts the BHXH simulator
and the server (`--workers`), and drives N concurrent kiosks posting CCCD QR scans of seeded
people. It then runs pgbench's TPC-B-like load in a scratch database and prints, as its last
line, one JSON object: checkins_per_s, p50_ms, p99_ms, max_ms, pgbench_tps, ratio, ...

    python bench/checkin.py                          # gateway latency 0
    python bench/checkin.py --gateway-latency-ms 300
    python bench/checkin.py --gateway-outage
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CLI, free_port, percentile, qr_text, wait_http  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres", "db": "test"}
PG_URL = f"postgresql+asyncpg://{PG['user']}@{PG['host']}:{PG['port']}/{PG['db']}"
STAFF_NAME, STAFF_CCCD = "Nguyễn Thị Lan", "001190000001"








def psql(sql: str, db: str = PG["db"]) -> str:
    return subprocess.run(["psql", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], "-d", db,
                           "-At", "-c", sql], check=True, capture_output=True, text=True).stdout




def seed(env: dict, people: int) -> None:
    """`smarthealth seed`, or the built-in fallback while the synth command is not ready."""
    done = subprocess.run([*CLI, "seed", "--people", str(people)], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode == 0:
        return
    print(f"smarthealth seed unavailable ({done.stderr.strip()[-120:]}); built-in seed",
          file=sys.stderr)
    subprocess.run([sys.executable, "-c", _FALLBACK_SEED, str(people)], env=env, cwd=ROOT,
                   check=True)


_FALLBACK_SEED = r'''
import asyncio, random, sys
from datetime import date, timedelta
from smarthealth.core.db import get_database
from smarthealth.registry.models import Facility, ClinicRoom, Service
from smarthealth.identity.models import Person
from smarthealth.insurance.models import BhytCard

async def main(n):
    rnd = random.Random(1)
    db = get_database()
    async with db.session() as s:
        f = Facility(code="01001", name="Bệnh viện Đa khoa Hà Nội", care_level="basic",
                     tier="city", province_code="01", ward_code=70, ward_name="Hoàn Kiếm")
        s.add(f); await s.flush()
        rooms = []
        for i in range(1, 7):
            r = ClinicRoom(facility_id=f.id, code=f"PK{i:02d}", name=f"Phòng khám {i}", kind="exam")
            s.add(r); await s.flush(); rooms.append(r)
        s.add(Service(facility_id=f.id, code="02.1896", name="Khám Nội", kind="exam",
                      price_bhyt=39000, price_service=100000, room_id=rooms[0].id))
        today = date.today()
        for i in range(n):
            year = rnd.randint(1940, 2020)
            cccd = f"001{'0' if year < 2000 else '2'}{year % 100:02d}{i:06d}"
            p = Person(cccd=cccd, full_name=f"Nguyễn Văn Khách", name_key="nguyen van khach",
                       birth_date=date(year, rnd.randint(1, 12), rnd.randint(1, 28)), sex="male")
            s.add(p); await s.flush()
            code = f"DN401{i:010d}"
            s.add(BhytCard(person_id=p.id, code=code, group_code="DN", benefit_level=4,
                           province_code="01", social_insurance_number=code[5:],
                           registered_facility_code="01001", valid_from=today - timedelta(days=100),
                           valid_to=today + timedelta(days=265)))
    await db.dispose()

asyncio.run(main(int(sys.argv[1])))
'''


_PREPARE = r'''
import asyncio, json, sys
from sqlalchemy import select
from smarthealth.core.auth import issue_token
from smarthealth.core.db import get_database
from smarthealth.identity.models import Person
from smarthealth.registry import users
from smarthealth.registry.models import Facility, Service

async def main(kiosks, limit):
    db = get_database()
    async with db.session() as s:
        code = await s.scalar(select(Facility.code)
                              .join(Service, Service.facility_id == Facility.id)
                              .where(Service.kind == "exam", Service.room_id.is_not(None))
                              .order_by(Facility.code).limit(1))
        rows = (await s.execute(select(Person.cccd, Person.full_name, Person.birth_date, Person.sex)
                                .where(Person.cccd.is_not(None)).limit(limit))).all()
        tokens = []
        for i in range(kiosks):
            u = await users.add_user(s, username=f"bench-kiosk-{i}", role="kiosk",
                                     password="bench-password", facility_code=code)
            tokens.append(issue_token(user_id=u.id, username=u.username, role="kiosk",
                                      facility_code=code, minutes=120))
    await db.dispose()
    print(json.dumps({"facility_code": code, "tokens": tokens,
                      "people": [[c, n, b.isoformat(), x] for c, n, b, x in rows]}))

asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
'''


async def kiosk(client: httpx.AsyncClient, token: str, facility: str, people: list,
                until: float, latencies: list[float], statuses: dict[int, int]) -> None:
    """One kiosk: scan, wait for the ticket, next person, until the time is up."""
    headers = {"Authorization": f"Bearer {token}"}
    while time.monotonic() < until:
        cccd, name, birth, sex = random.choice(people)
        body = {"scan": qr_text(cccd, name, birth, sex), "facility_code": facility,
                "service_code": None, "idempotency_key": uuid.uuid4().hex}
        start = time.perf_counter()
        try:
            response = await client.post("/api/reception/check-ins", json=body, headers=headers)
            status = response.status_code
        except httpx.HTTPError:
            status = 0
        latencies.append((time.perf_counter() - start) * 1000)
        statuses[status] = statuses.get(status, 0) + 1


async def drive(base: str, prepared: dict, concurrency: int, seconds: float,
                warmup: float) -> dict:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as client:
        tokens, facility, people = prepared["tokens"], prepared["facility_code"], \
            prepared["people"]
        if warmup > 0:
            await asyncio.gather(*[kiosk(client, tokens[i], facility, people,
                                         time.monotonic() + warmup, [], {})
                                   for i in range(concurrency)])
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        start = time.monotonic()
        await asyncio.gather(*[kiosk(client, tokens[i], facility, people, start + seconds,
                                     latencies, statuses) for i in range(concurrency)])
        elapsed = time.monotonic() - start
    ok = statuses.get(201, 0) + statuses.get(200, 0)
    return {"checkins": ok, "seconds": round(elapsed, 2),
            "checkins_per_s": round(ok / elapsed, 1),
            "p50_ms": round(percentile(latencies, 0.50), 1),
            "p99_ms": round(percentile(latencies, 0.99), 1),
            "max_ms": round(max(latencies, default=0.0), 1),
            "statuses": {str(k): v for k, v in sorted(statuses.items())}}


def pgbench_tps(seconds: int) -> float:
    """TPC-B-like TPS of this PostgreSQL (scale 1, 8 clients, 2 threads) in a scratch database."""
    scratch = f"bench_pgbench_{uuid.uuid4().hex[:8]}"
    base = ["-h", PG["host"], "-p", PG["port"], "-U", PG["user"]]
    psql(f'CREATE DATABASE "{scratch}"')
    try:
        subprocess.run(["pgbench", *base, "-i", "-s", "1", "-q", scratch], check=True,
                       capture_output=True)
        out = subprocess.run(["pgbench", *base, "-c", "8", "-j", "2", "-T", str(seconds),
                              scratch], check=True, capture_output=True, text=True).stdout
    finally:
        psql(f'DROP DATABASE IF EXISTS "{scratch}"')
    found = re.search(r"tps = ([0-9.]+)", out)
    return float(found.group(1)) if found else 0.0


def start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log.open("w"),
                            stderr=subprocess.STDOUT)


def environment(schema: str, sim_port: int, tmp: Path, pool_size: int) -> dict:
    env = dict(os.environ)
    env.update({
        "SMARTHEALTH_DB_POOL_SIZE": str(pool_size),  # per worker; overflow doubles it
        "SMARTHEALTH_DATABASE_URL": PG_URL, "SMARTHEALTH_DATABASE_SCHEMA": schema,
        "SMARTHEALTH_VAR_DIR": str(tmp), "SMARTHEALTH_SECRET_KEY": "bench-" + "k" * 40,
        "SMARTHEALTH_BHXH_BASE_URL": f"http://127.0.0.1:{sim_port}",
        "SMARTHEALTH_BHXH_STAFF_NAME": STAFF_NAME, "SMARTHEALTH_BHXH_STAFF_CCCD": STAFF_CCCD,
        "PYTHONPATH": str(ROOT / "src"),
    })
    return env


def arguments() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kiosks", type=int, default=32, help="concurrent kiosks")
    p.add_argument("--seconds", type=float, default=20.0, help="measured run length")
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--workers", type=int, default=4, help="server worker processes")
    p.add_argument("--people", type=int, default=2000, help="synthetic population size")
    p.add_argument("--gateway-latency-ms", type=float, default=0.0)
    p.add_argument("--gateway-outage", action="store_true")
    p.add_argument("--pgbench-seconds", type=int, default=10)
    p.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    return p.parse_args()


def main() -> None:
    args = arguments()
    schema = f"bench_checkin_{uuid.uuid4().hex[:8]}"
    tmp = Path(tempfile.mkdtemp(prefix="bench-checkin-"))
    sim_port, app_port = free_port(), free_port()
    # each check-in holds one connection at a time; stay well under max_connections
    env = environment(schema, sim_port, tmp, max(4, -(-args.kiosks // args.workers) // 2 + 2))
    psql(f'CREATE SCHEMA "{schema}"')
    procs: list[subprocess.Popen] = []
    try:
        subprocess.run([*CLI, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
        seed(env, args.people)
        prepared = json.loads(subprocess.run(
            [sys.executable, "-c", _PREPARE, str(args.kiosks), str(args.people)], env=env,
            cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
        sim = [*CLI, "bhxh-sim", "--port", str(sim_port), "--preload", "--latency-ms",
               str(args.gateway_latency_ms)] + (["--outage"] if args.gateway_outage else [])
        procs.append(start(sim, env, tmp / "sim.log"))
        procs.append(start([*CLI, "serve", "--port", str(app_port), "--workers",
                            str(args.workers), "--no-access-log"], env, tmp / "server.log"))
        wait_http(f"http://127.0.0.1:{sim_port}/_sim/stats")
        wait_http(f"http://127.0.0.1:{app_port}/health")
        result = asyncio.run(drive(f"http://127.0.0.1:{app_port}", prepared, args.kiosks,
                                   args.seconds, args.warmup))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if not args.keep:
            psql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    tps = pgbench_tps(args.pgbench_seconds)
    scenario = "outage" if args.gateway_outage else f"latency_{args.gateway_latency_ms:g}ms"
    result.update({"scenario": scenario, "kiosks": args.kiosks, "workers": args.workers,
                   "cpus": os.cpu_count(), "pgbench_tps": round(tps, 1),
                   "ratio": round(result["checkins_per_s"] / tps, 3) if tps else None})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
