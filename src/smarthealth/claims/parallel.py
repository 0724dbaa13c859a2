"""Process pools for the claims hot paths: validation, export and import reading.

Work is split in chunks of items, each chunk runs in a `spawn` worker (safe under asyncio and
threads), and results come back in input order, so `jobs=1` (no pool) and `jobs=N` give the
same output. `ordered_chunks` keeps a bounded number of chunks in flight, so the caller can
consume (e.g. write to the database) while the workers read ahead.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_jobs() -> int:
    """Worker processes by default: the number of cores."""
    return os.cpu_count() or 1


def pool(jobs: int) -> ProcessPoolExecutor:
    """A process pool of `jobs` spawned workers."""
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    part: list[T] = []
    for item in items:
        part.append(item)
        if len(part) >= size:
            yield part
            part = []
    if part:
        yield part


def ordered_chunks(func: Callable[..., list[R]], items: Iterable[T], *, jobs: int,
                   chunk: int = 100, ahead: int = 0, **kwargs: Any) -> Iterator[list[R]]:
    """func(chunk_of_items, **kwargs) for each chunk, in order; in a pool when jobs > 1.

    At most `ahead` (default 2 × jobs) chunks are in flight at once."""
    if jobs <= 1:
        for part in _chunks(items, chunk):
            yield func(part, **kwargs)
        return
    limit = ahead or 2 * jobs
    with pool(jobs) as executor:
        pending: deque[Future[list[R]]] = deque()
        for part in _chunks(items, chunk):
            pending.append(executor.submit(func, part, **kwargs))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def ordered_map(func: Callable[..., list[R]], items: Iterable[T], *, jobs: int,
                chunk: int = 100, **kwargs: Any) -> Iterator[R]:
    """Flattened `ordered_chunks`: one result per item, in input order."""
    for results in ordered_chunks(func, items, jobs=jobs, chunk=chunk, **kwargs):
        yield from results


# Worker functions (module level so that spawned workers can import them)


def check_paths(paths: list[Path], *, warnings: bool = False, on: date | None = None) -> list[Any]:
    """validate.check_file of each file (read in the worker)."""
    from smarthealth.claims.validate import check_file

    return [check_file(Path(p).read_bytes(), warnings=warnings, on=on) for p in paths]


def check_datas(datas: list[bytes], *, warnings: bool = False,
                on: date | None = None) -> list[Any]:
    """validate.check_file of each file's bytes."""
    from smarthealth.claims.validate import check_file

    return [check_file(data, warnings=warnings, on=on) for data in datas]


def check_files(paths: Iterable[Path], *, warnings: bool = False, jobs: int = 1,
                chunk: int = 100, on: date | None = None) -> Iterator[Any]:
    """validate.FileCheck of each file path, in order, over `jobs` processes (the rules of
    one day, `on` or today here, for every worker)."""
    from smarthealth.claims import fields

    return ordered_map(check_paths, paths, jobs=jobs, chunk=chunk, warnings=warnings,
                       on=on or fields._today())


_DATABASES: dict[tuple[str, str], Any] = {}
# An export or import worker's garbage collector: gen0 collected every 10,000 new containers
# (instead of 700) and the heap after its first task (modules, the ICD-10 rules, the engine)
# frozen, so full collections no longer rescan it; 15% of the export CPU went into collections
# before (5-10% of an import worker's).
EXPORT_GC_THRESHOLD = (10_000, 10, 10)
_gc_frozen = False


def tune_worker_gc() -> None:
    """Collect less often in this worker (a process of an export's or import's own pool)."""
    if gc.get_threshold() != EXPORT_GC_THRESHOLD:
        gc.set_threshold(*EXPORT_GC_THRESHOLD)


def freeze_worker_heap() -> None:
    """After the first task: collect once, then keep what survives out of later collections."""
    global _gc_frozen
    if not _gc_frozen:
        gc.collect()
        gc.freeze()
        _gc_frozen = True


def export_encounters(encounter_ids: list[int], *, settings: Any, **kwargs: Any) -> Any:
    """export.export_encounters in a worker, reading with its own connection.

    `settings` are the caller's (core.settings.Settings: the same URL and PostgreSQL schema);
    the worker keeps one engine per database and closes its connections after each call, so
    an idle worker holds none (and exits cleanly)."""
    from smarthealth.claims import export
    from smarthealth.core.db import Database

    tune_worker_gc()
    key = (settings.resolved_database_url(), settings.database_schema)
    database = _DATABASES.get(key)
    if database is None:
        database = _DATABASES[key] = Database(settings)

    async def run() -> Any:
        try:
            return await export.export_encounters(database, encounter_ids, sign_processes=1,
                                                  **kwargs)
        finally:
            await database.engine.dispose()

    result = asyncio.run(run())
    freeze_worker_heap()
    return result
