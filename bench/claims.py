"""XML 130 claims: export, validation and import speed on synthetic finished BHYT visits.

Seeds --visits finished encounters of every visit type (tests/claims/synth_episodes.py) into a
fresh database (SQLite in a temporary folder, or a new schema of --database-url), then times:
export (facts read in bulk, episodes built and validated, files written; unsigned), signing of
a sample of the files (RSA-SHA256 in a process pool), validation of every file as a vendor's
file (`validate.check_file`), and import of every file into a second, empty database (by path,
as `smarthealth claims import` does: the workers read the files), each in --jobs processes
(default: the cores). Prints one JSON object as its last line: export_per_s,
validate_per_s, import_per_s (episodes/second of wall-clock time) with details, among them
*_per_cpu_s (per second of this process's CPU time: comparable when other work shares the
machine; SQLite's own work is in-process, PostgreSQL's is not; with --jobs > 1 the workers'
CPU is not counted; *_per_all_cpu_s counts it) and the load average at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from common import psql  # noqa: E402

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))


def _cpu_all() -> float:
    """CPU seconds of this process and of its finished children (the pool workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _configure(url: str, tmp: Path, name: str) -> str:
    """Point the platform at a fresh database; returns the PostgreSQL schema ("" for SQLite)."""
    os.environ["SMARTHEALTH_VAR_DIR"] = str(tmp)
    os.environ.setdefault("SMARTHEALTH_SECRET_KEY", "bench-secret-key-not-for-production-0123456")
    schema = ""
    if url.startswith("postgresql"):
        schema = f"bench_claims_{name}_{uuid.uuid4().hex[:6]}"
        psql(f'CREATE SCHEMA "{schema}"')
        os.environ.update(SMARTHEALTH_DATABASE_URL=url, SMARTHEALTH_DATABASE_SCHEMA=schema)
    else:
        os.environ["SMARTHEALTH_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp / name}.db"
        os.environ.pop("SMARTHEALTH_DATABASE_SCHEMA", None)
    from smarthealth.core import db as core_db
    from smarthealth.core.settings import get_settings

    get_settings.cache_clear()
    core_db.set_database(None)
    return schema


async def _fresh(url: str, tmp: Path, name: str) -> tuple[object, str]:
    schema = _configure(url, tmp, name)
    from smarthealth.core import migrate
    from smarthealth.core.db import get_database

    database = get_database()
    await migrate.upgrade_async(database.engine)
    return database, schema


async def _run(args: argparse.Namespace, tmp: Path) -> dict:
    from tests.claims.synth_episodes import reference_data, seed_claims

    from smarthealth.claims import export, importing, parallel
    from smarthealth.core.models_index import import_all_models

    import_all_models()
    results: dict = {"database": "postgresql" if args.database_url.startswith("postgresql")
                     else "sqlite", "visits": args.visits, "jobs": args.jobs}
    schemas = []
    database, schema = await _fresh(args.database_url, tmp, "source")
    schemas.append(schema)
    start = time.perf_counter()
    await seed_claims(database, count=args.visits, seed=11)
    results["seed_s"] = round(time.perf_counter() - start, 1)

    out = Path(tempfile.mkdtemp(prefix="sh-bench-claims-files-", dir=args.files_dir)) \
        if args.files_dir else tmp / "files"
    results["files_dir"] = str(out.parent)
    start, cpu, total = time.perf_counter(), time.process_time(), _cpu_all()
    exported = await export.export_period(database, facility_codes=None, start=OCTOBER[0],
                                          end=OCTOBER[1], out=out, sign=False,
                                          chunk=args.chunk, jobs=args.jobs)
    seconds = time.perf_counter() - start
    results.update(exported_episodes=exported.episodes, checkin_files=exported.checkins,
                   export_invalid=len(exported.invalid), export_s=round(seconds, 1),
                   export_per_s=round(exported.episodes / seconds, 1),
                   export_per_cpu_s=round(exported.episodes / (time.process_time() - cpu), 1),
                   export_per_all_cpu_s=round(exported.episodes / (_cpu_all() - total), 1))
    await database.dispose()

    paths = sorted(p for p in out.iterdir() if not p.name.endswith("_XML0.xml"))
    files = sorted(out.iterdir())  # imported by path, as `smarthealth claims import` does
    envelopes = [p.read_bytes() for p in paths]
    results["mean_file_bytes"] = round(sum(map(len, envelopes)) / max(len(envelopes), 1))

    if args.sign_sample:
        from smarthealth.claims.signing import facility_xml_signer, sign_many

        sample = envelopes[:args.sign_sample]
        signer = facility_xml_signer(facility_code="01913", facility_name="Bench")
        start = time.perf_counter()
        sign_many(sample, signer=signer, processes=os.cpu_count())
        results["sign_per_s"] = round(len(sample) / (time.perf_counter() - start), 1)
        results["signed_sample"] = len(sample)

    start, cpu, total = time.perf_counter(), time.process_time(), _cpu_all()
    problems = sum(len(check.problems) for check in parallel.ordered_map(
        parallel.check_datas, envelopes, jobs=args.jobs, chunk=200))
    seconds = time.perf_counter() - start
    results.update(validate_problems=problems, validate_s=round(seconds, 1),
                   validate_per_s=round(len(envelopes) / seconds, 1),
                   validate_per_cpu_s=round(len(envelopes) / (time.process_time() - cpu), 1),
                   validate_per_all_cpu_s=round(len(envelopes) / (_cpu_all() - total), 1))

    database, schema = await _fresh(args.database_url, tmp, "target")
    schemas.append(schema)
    await reference_data(database)
    start, cpu, total = time.perf_counter(), time.process_time(), _cpu_all()
    imported = await importing.import_files(database, files=files, chunk=args.chunk,
                                            jobs=args.jobs)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    summary = imported.summary()
    results.update(import_files=summary["files"], imported_episodes=summary["episodes_imported"],
                   import_rejected=summary["rejected"], import_s=round(seconds, 1),
                   import_per_s=round(summary["episodes_imported"] / seconds, 1),
                   import_per_cpu_s=round(summary["episodes_imported"] / cpu, 1),
                   import_per_all_cpu_s=round(summary["episodes_imported"]
                                              / (_cpu_all() - total), 1),
                   load_average=round(os.getloadavg()[0], 1))
    await database.dispose()
    if args.files_dir:
        shutil.rmtree(out, ignore_errors=True)
    results["_schemas"] = schemas
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visits", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=1000, help="episodes per transaction")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="worker processes for export, validation and import (1: none)")
    parser.add_argument("--sign-sample", type=int, default=2000,
                        help="files signed to measure sign_per_s (0: skip)")
    parser.add_argument("--files-dir", default="",
                        help="folder for the exported files (e.g. /dev/shm: creating files on "
                             "a busy disk costs kernel time); default: the temporary folder")
    parser.add_argument("--database-url", default="",
                        help=f"PostgreSQL URL (e.g. {'postgresql+asyncpg://...'}); "
                             "default: SQLite in a temporary folder")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sh-bench-claims-"))
    results: dict = {}
    try:
        results = asyncio.run(_run(args, tmp))
    finally:
        for schema in results.pop("_schemas", []):
            if schema:
                psql(f'DROP SCHEMA "{schema}" CASCADE')
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
