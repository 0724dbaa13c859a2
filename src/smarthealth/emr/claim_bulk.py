"""Bulk writes of finished encounters from claim files (XML 130 import) and synthetic claims.

Core executemany, ids allocated after the current maxima (like `emr.bulk`): run it while
nothing else inserts EMR rows, or inside one transaction that may be retried.

Each row: `encounter` (Encounter columns except id), `entries` ({kind, code, data, recorded_at,
author}; a result's data may carry `order_ref`, the index of its order in `entries`),
`lines` (ChargeLine columns except id/encounter_id; `source` = index of the entry in
`entries` or None) and `admission` (Admission columns except ids, or None).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.emr.bulk import _insert, _next_ids
from smarthealth.emr.claim_facts import CLAIM_KINDS
from smarthealth.emr.models import Admission, ChargeLine, Encounter, Entry

Row = dict[str, Any]


def _table(model: Any) -> Table:
    return model.__table__  # type: ignore[no-any-return]


async def add_finished_encounters(session: AsyncSession, *, rows: list[Row]) -> list[int]:
    """Insert the encounters with entries, charge lines and admissions; their ids in order."""
    enc_ids = await _next_ids(session, _table(Encounter), len(rows))
    for row, enc_id in zip(rows, enc_ids, strict=True):
        row["written"] = {"encounter": {**row["encounter"], "id": enc_id}, "entries": [],
                          "lines": [], "admission": None}
    await _insert(session, _table(Encounter), [r["written"]["encounter"] for r in rows])
    entry_count = sum(len(r["entries"]) for r in rows)
    next_entry = iter(await _next_ids(session, _table(Entry), entry_count))
    entries, lines, admissions = [], [], []
    for row, enc_id in zip(rows, enc_ids, strict=True):
        person_id = row["encounter"]["person_id"]
        facility = row["encounter"]["facility_code"]
        ids = [next(next_entry) for _ in row["entries"]]
        for entry, id_ in zip(row["entries"], ids, strict=True):
            data = entry["data"]
            if "order_ref" in data:
                ref = data["order_ref"]
                data = {k: v for k, v in data.items() if k != "order_ref"}
                data["order_entry_id"] = ids[ref] if ref is not None else None
            entries.append({"id": id_, "entry_id": id_, "version": 1, "kind": entry["kind"],
                            "person_id": person_id, "encounter_id": enc_id,
                            "facility_code": facility, "status": "current",
                            "code": entry.get("code"), "data": data,
                            "author": entry.get("author") or "xml130",
                            "author_role": entry.get("author_role"),
                            "recorded_at": entry["recorded_at"], "reason": None})
            row["written"]["entries"].append(entries[-1])
        for line in row["lines"]:
            source = line.get("source")
            lines.append({**{k: v for k, v in line.items() if k != "source"},
                          "encounter_id": enc_id,
                          "source_entry_id": ids[source] if source is not None else None})
            row["written"]["lines"].append(lines[-1])
        if row.get("admission"):
            admissions.append({**row["admission"], "encounter_id": enc_id,
                               "person_id": person_id, "facility_code": facility})
            row["written"]["admission"] = admissions[-1]
    await _insert(session, _table(Entry), entries)
    line_ids = await _next_ids(session, _table(ChargeLine), len(lines))
    await _insert(session, _table(ChargeLine),
                  [{**line, "id": i} for line, i in zip(lines, line_ids, strict=True)])
    adm_ids = await _next_ids(session, _table(Admission), len(admissions))
    await _insert(session, _table(Admission),
                  [{**a, "id": i} for a, i in zip(admissions, adm_ids, strict=True)])
    return enc_ids


def as_bundle(row: Row) -> Row:
    """The written row in the shape of `claim_facts.encounter_bundles` (no read back)."""
    written = row["written"]
    entries: dict[str, list[Row]] = defaultdict(list)
    for entry in written["entries"]:
        if entry["kind"] in CLAIM_KINDS:
            entries[entry["kind"]].append(entry)
    return {"encounter": written["encounter"], "entries": entries,
            "lines": sorted(written["lines"], key=lambda line: line["line_no"]),
            "admission": written["admission"], "stays": []}
