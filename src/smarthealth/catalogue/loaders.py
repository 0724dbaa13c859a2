"""Idempotent catalogue loads (upsert by natural key) from the shipped or given CSV files."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.catalogue.models import Drug, Icd9Procedure, Icd10Code, TechniqueCrosswalk
from smarthealth.catalogue.schemas import LoadResult
from smarthealth.catalogue.text import ingredient_key, search_key
from smarthealth.core.errors import InvalidInput

DATA = Path(__file__).parent / "data"
ICD10_FILE = DATA / "icd10_vn.csv.gz"
ICD9_FILE = DATA / "icd9cm_vn.csv.gz"
CROSSWALK_FILE = DATA / "icd9cm_vn_crosswalk.csv.gz"
DRUGS_FILE = DATA / "drugs_demo.csv"
# QĐ 4469/QĐ-BYT, signed 28/10/2020. TT 06/2026/TT-BYT replaces it for episodes ending from
# 01/07/2026, but no copy of the new list exists yet, so 4469 stays open-ended until one is loaded.
ICD10_VERSION = "QĐ4469"
ICD10_VALID_FROM = date(2020, 10, 28)
BATCH = 2000
Row = dict[str, Any]


def read_csv(path: Path) -> Iterator[Row]:
    """Rows of a UTF-8 CSV, gzip-compressed when the name ends in .gz."""
    if not path.exists():
        raise InvalidInput(f"No file {path}.", f"Không có tệp {path}.", code="no_file")
    raw = gzip.open(path, "rb").read() if path.suffix == ".gz" else path.read_bytes()
    yield from csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "x", "có", "co")


async def _upsert(session: AsyncSession, model: Any, key: str, rows: list[Row],
                  where: Any = None) -> tuple[int, int]:
    """Insert new rows and update changed ones by `key`; Core executemany in batches."""
    table: Table = model.__table__
    stmt = select(table)
    if where is not None:
        stmt = stmt.where(where)
    existing = {r._mapping[key]: dict(r._mapping) for r in (await session.execute(stmt)).all()}
    new = [row for row in rows if row[key] not in existing]
    changed = [{**row, "id": existing[row[key]]["id"]} for row in rows if row[key] in existing
               and any(existing[row[key]].get(k) != v for k, v in row.items())]
    for start in range(0, len(new), BATCH):
        await session.execute(insert(table), new[start:start + BATCH])
    for start in range(0, len(changed), BATCH):
        await session.execute(update(model), changed[start:start + BATCH])
    return len(new), len(changed)


def _icd10_row(row: Row, parents: set[str]) -> Row:
    title_vi, title_en = row["title_vi"].strip(), row["title_en"].strip()
    return {
        "catalogue_version": ICD10_VERSION, "valid_from": ICD10_VALID_FROM, "valid_to": None,
        "code": row["code"], "code_nodot": row["code_nodot"], "title_vi": title_vi,
        "title_en": title_en, "chapter": row["chapter_no"],
        "chapter_title_vi": row["chapter_title_vi"], "group_code": row["group_code"],
        "category_code": row["category_code"],
        "search_key": search_key(row["code_nodot"], row["code"], title_vi, title_en),
        "title_key": search_key(title_vi),
        "not_primary": _flag(row["not_primary"]), "female_only": _flag(row["female_only"]),
        "male_only": _flag(row["male_only"]), "age_rule": row["age_rule"] or None,
        "age_min": row["age_min"] or None, "age_min_exclusive": _flag(row["age_min_exclusive"]),
        "age_max": row["age_max"] or None, "dagger_asterisk": row["dagger_asterisk"] or None,
        "is_category": _flag(row["is_category"]),
        "has_subcodes": _flag(row["is_category"]) and row["code_nodot"] in parents,
    }


async def load_icd10(session: AsyncSession, *, path: Path | None = None) -> LoadResult:
    """Upsert the QĐ 4469 ICD-10 list (columns as in shared/data/icd10_vn.csv)."""
    source = list(read_csv(path or ICD10_FILE))
    parents = {r["category_code"] for r in source if not _flag(r["is_category"])}
    rows = [_icd10_row(r, parents) for r in source]
    created, updated = await _upsert(session, Icd10Code, "code_nodot", rows,
                                     where=Icd10Code.catalogue_version == ICD10_VERSION)
    return LoadResult(kind="icd10", created=created, updated=updated, total=len(rows))


async def load_icd9(session: AsyncSession, *, path: Path | None = None,
                    crosswalk_path: Path | None = None) -> LoadResult:
    """Upsert ICD-9-CM procedures and the technique → ICD-9-CM crosswalk (QĐ 4440, app. 3)."""
    rows = [{"code": r["code"], "title_vi": r["title_vi"], "chapter": r.get("chapter_vi", ""),
             "search_key": search_key(r["code"], r["title_vi"])}
            for r in read_csv(path or ICD9_FILE)]
    created, updated = await _upsert(session, Icd9Procedure, "code", rows)
    walk: dict[tuple[str, str], Row] = {}
    for r in read_csv(crosswalk_path or CROSSWALK_FILE):
        pair = (r["equivalent_code"], r.get("icd9cm_code") or "")
        walk.setdefault(pair, {
            "equivalent_code": pair[0], "icd9cm_code": pair[1],
            "technique_vi": r.get("technique_vi", ""), "specialty_vi": r.get("specialty_vi", ""),
            "level": r.get("level") or None, "klass": r.get("class") or None})
    existing = {(e, c) for e, c in (await session.execute(
        select(TechniqueCrosswalk.equivalent_code, TechniqueCrosswalk.icd9cm_code))).all()}
    new = [row for pair, row in walk.items() if pair not in existing]
    for start in range(0, len(new), BATCH):
        await session.execute(insert(TechniqueCrosswalk), new[start:start + BATCH])
    return LoadResult(kind="icd9", created=created + len(new), updated=updated,
                      total=len(rows) + len(walk))


def _drug_row(r: Row) -> Row:
    try:
        price = int(r["price"])
    except (KeyError, ValueError) as exc:
        raise InvalidInput(f"Drug {r.get('code')}: price must be whole VND.",
                           f"Thuốc {r.get('code')}: giá phải là số nguyên (VND).",
                           code="bad_price") from exc
    return {
        "code": r["code"].strip(), "name": r["name"].strip(),
        "active_ingredient": r["active_ingredient"].strip(),
        "ingredient_key": ingredient_key(r["active_ingredient"]),
        "strength": r.get("strength", ""), "dosage_form": r.get("dosage_form", ""),
        "route": r.get("route", ""), "unit": r.get("unit", ""), "price": price,
        "bhyt_covered": _flag(r.get("bhyt_covered", "1")), "atc": r.get("atc") or None,
        "search_key": search_key(r["code"], r["name"], r["active_ingredient"],
                                 r.get("strength", "")),
        "active": True,
    }


async def load_drugs(session: AsyncSession, *, path: Path | None = None) -> LoadResult:
    """Upsert the drug list by code (columns as in data/drugs_demo.csv)."""
    rows = [_drug_row(r) for r in read_csv(path or DRUGS_FILE)]
    created, updated = await _upsert(session, Drug, "code", rows)
    return LoadResult(kind="drugs", created=created, updated=updated, total=len(rows))


async def load_defaults(session: AsyncSession) -> list[LoadResult]:
    """Load every shipped catalogue (ICD-10, ICD-9-CM + crosswalk, demo drugs); idempotent."""
    return [await load_icd10(session), await load_icd9(session), await load_drugs(session)]
