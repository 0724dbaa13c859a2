"""Import writing: a file whose rows cannot be made or written is rejected alone
(`write_failed`), the other files of its chunk are written."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from smarthealth.claims import importing, xmlfile
from smarthealth.claims.models import ClaimEpisode
from smarthealth.core.db import get_database
from tests.claims.conftest import sample_episode

pytest.importorskip("smarthealth.claims.validate")
CREATED = date(2026, 11, 21)


def _file(ma_lk: str, cccd: str) -> bytes:
    return xmlfile.envelope_xml(sample_episode(MA_LK=ma_lk, SO_CCCD=cccd, MA_BN=ma_lk),
                                created=CREATED)


async def test_a_file_whose_rows_cannot_be_made_is_rejected_alone(monkeypatch) -> None:
    real = importing.episode_row

    def failing(episode: Any, **kwargs: Any) -> Any:
        if episode.ma_lk == "bad":
            raise ValueError("no rows for this one")
        return real(episode, **kwargs)

    monkeypatch.setattr(importing, "episode_row", failing)
    files = [("a.xml", _file("a", "001185000001")), ("bad.xml", _file("bad", "001185000002")),
             ("c.xml", _file("c", "001185000003"))]
    result = await importing.import_files(get_database(), files=files)
    assert [f.status for f in result.files] == ["imported", "rejected", "imported"]
    [problem] = result.files[1].problems
    assert problem.code == "write_failed" and "no rows for this one" in problem.message_en
    async with get_database().session() as session:
        assert await session.scalar(select(func.count()).select_from(ClaimEpisode)) == 2


async def test_a_file_failing_in_the_database_is_rejected_alone(monkeypatch) -> None:
    real = importing._insert_rows

    async def failing(session: Any, preps: list[Any], *args: Any) -> Any:
        if any(p.ma_lk == "bad" for p in preps):
            raise RuntimeError("the database refused")
        return await real(session, preps, *args)

    monkeypatch.setattr(importing, "_insert_rows", failing)
    files = [("a.xml", _file("a", "001185000001")), ("bad.xml", _file("bad", "001185000002"))]
    result = await importing.import_files(get_database(), files=files)
    assert [f.status for f in result.files] == ["imported", "rejected"]
    assert result.files[1].problems[0].code == "write_failed"
    async with get_database().session() as session:
        assert await session.scalar(select(func.count()).select_from(ClaimEpisode)) == 1


async def test_an_episode_already_imported_is_unchanged_even_if_its_rows_would_fail(
        monkeypatch) -> None:
    files = [("bad.xml", _file("bad", "001185000002"))]
    assert (await importing.import_files(get_database(), files=files)).count("imported") == 1
    real = importing.episode_row

    def failing(episode: Any, **kwargs: Any) -> Any:
        if episode.ma_lk == "bad":
            raise ValueError("no rows for this one")
        return real(episode, **kwargs)

    monkeypatch.setattr(importing, "episode_row", failing)
    again = await importing.import_files(get_database(), files=files)
    assert [f.status for f in again.files] == ["unchanged"]


def test_json_text_reads_back_as_sqlalchemy_json_would() -> None:
    import json
    import math

    from smarthealth.emr.bulk import json_text

    values = [None, {"a": "Nguyễn", "b": [1, 2.5, None], "c": True}, {"big": 10 ** 30},
              {"weight": float("nan")}, [float("inf")], {"deep": {"x": [{"y": -math.inf}]}}]
    for value in values:
        text = json_text(value)
        assert isinstance(text, str)
        assert json.dumps(json.loads(text)) == json.dumps(value)
    assert json_text(None) == "null"
    with pytest.raises(TypeError):  # as json.dumps (SQLAlchemy's JSON type) refuses it
        json_text({"when": date(2026, 1, 1)})


def test_json_text_floatless_is_json_text_for_values_without_floats() -> None:
    from smarthealth.emr.bulk import json_text, json_text_floatless

    class Code(str):
        pass

    values = [None, {"price": 10 ** 30}, {"a": "Nguyễn", "b": None, "c": [1, None, True]},
              {"code": Code("J18")}, {}, {"x": {"y": [None, "z", -(2 ** 63)]}}]
    for value in values:
        assert json_text_floatless(value) == json_text(value)
    with pytest.raises(TypeError):
        json_text_floatless({"when": date(2026, 1, 1)})


def test_prepared_rows_are_the_driver_values_of_episode_row() -> None:
    """_values (driver values of episode_row) against a plain per-column conversion."""
    from smarthealth.emr import bulk as emr_bulk
    from smarthealth.emr import claim_bulk

    episode = sample_episode()
    episode.tables["XML1"][0]["CAN_NANG"] = "nan"
    for dialect in ("sqlite", "postgresql"):
        row = importing.episode_row(episode, person_id=0, practitioner_id=None)
        encounter, entries, lines, _ = importing._values(row, dialect)
        enc = row["encounter"]
        stamp = emr_bulk.sqlite_datetime if dialect == "sqlite" else emr_bulk._utc
        expected = []
        for c in claim_bulk.ENCOUNTER_COLUMNS:
            value = enc.get(c)
            if c == "id":
                value = 0
            elif c in ("coverage", "charge_summary"):
                value = emr_bulk.json_text(value)
            elif value is not None and c in ("started_at", "closed_at", "created_at",
                                             "updated_at"):
                value = stamp(value)
            elif value is not None and c == "follow_up_date" and dialect == "sqlite":
                value = emr_bulk.sqlite_date(value)
            expected.append(value)
        assert encounter == tuple(expected)
        for entry, (kind, _, text, *_rest) in zip(row["entries"], entries, strict=True):
            assert kind == entry["kind"]
            data = {k: v for k, v in entry["data"].items() if k != "order_ref"}
            if "order_ref" in entry["data"]:
                assert text.startswith(emr_bulk.json_text(data)[:-1])
            else:
                assert text == emr_bulk.json_text(data)
        assert any(kind == "vitals" and "NaN" in text for kind, _, text, *_r in entries)
        assert [values[0] for values, _ in lines] == list(range(1, len(lines) + 1))
