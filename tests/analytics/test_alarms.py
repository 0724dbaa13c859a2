"""Surveillance: syndrome code sets, weekly counts per ward × syndrome, alarms stored once and
sent to the department's outbox."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from types import SimpleNamespace

import numpy as np
import pytest
from sqlalchemy import select

from smarthealth.analytics import alarms, store, syndromes
from smarthealth.analytics.alarm_models import SurveillanceAlarm
from smarthealth.analytics.counts import count_matrix, period_start
from smarthealth.core.db import get_database
from smarthealth.core.models import OutboxEvent
from tests.analytics.dashboard_fixtures import build_outbreak_history, build_small

DEFINITIONS = syndromes.load()


def test_shipped_syndromes_cover_the_issue_and_expand_ranges():
    assert len(DEFINITIONS.syndromes) == 20
    assert {"dengue", "hfmd", "ili", "measles", "diarrhoea"} <= set(DEFINITIONS.syndromes)
    assert DEFINITIONS.syndromes["diarrhoea"].prefixes == tuple(f"A{n:02d}" for n in range(10))
    assert DEFINITIONS.syndromes["ili"].matches("J10.1")
    assert DEFINITIONS.syndromes["ili"].matches("j06.9")
    assert not DEFINITIONS.syndromes["ili"].matches("J06.0")
    assert DEFINITIONS.syndromes["hfmd"].matches("B08.4")
    assert not DEFINITIONS.syndromes["hfmd"].matches("B08.5")
    assert DEFINITIONS.valid_from == date(2026, 11, 27)


def test_a_bad_syndrome_file_is_refused():
    with pytest.raises(syndromes.SyndromeConfigError):
        syndromes.parse('valid_from = 2026-01-01\n[syndromes.x]\nname_vi="x"\nname_en="x"\n'
                        'codes=["J11-J09"]\n')
    with pytest.raises(syndromes.SyndromeConfigError):
        syndromes.parse('valid_from = 2026-01-01\n[syndromes.x]\nname_vi="x"\ncodes=["A90"]\n')


def test_weekly_counts_per_ward_and_syndrome_fill_empty_weeks(tmp_path):
    conn = store.connect(build_small(tmp_path))
    series = count_matrix(conn, syndromes=DEFINITIONS, frequency=52)
    # 1 March 2026 is a Sunday: its week starts on 23 February
    assert series.period_starts == [date(2026, 2, 23), date(2026, 3, 2), date(2026, 3, 9),
                                    date(2026, 3, 16), date(2026, 3, 23), date(2026, 3, 30)]
    assert {w for w, _ in series.keys} == {4, 70}  # the visit without a ward is left out
    row = {key: series.counts[i].tolist() for i, key in enumerate(series.keys)}
    # v1 (main A90.0, also in diagnoses) counts once; v6 (A90.1) in the week of 30 March
    assert row[(4, "dengue")] == [1, 0, 0, 0, 0, 1]
    assert row[(70, "dengue")] == [0, 1, 0, 0, 0, 0]
    assert row[(4, "hfmd")] == [1, 0, 0, 0, 0, 0]
    assert row[(70, "ili")] == [0, 1, 0, 0, 0, 0]
    assert row[(70, "diarrhoea")] == [0, 1, 0, 0, 0, 0]  # a secondary diagnosis (A09)
    assert row[(4, "measles")] == [0] * 6


def test_daily_counts_run_over_consecutive_days(tmp_path):
    conn = store.connect(build_small(tmp_path))
    series = count_matrix(conn, syndromes=DEFINITIONS, frequency=365)
    assert series.period_starts[0] == date(2026, 3, 1)
    assert len(series.period_starts) == 32
    dengue = series.counts[series.keys.index((4, "dengue"))]
    assert dengue[0] == 1 and dengue[31] == 1 and dengue.sum() == 2
    assert period_start(date(2026, 3, 1), 52) == date(2026, 2, 23)


def _series():  # noqa: ANN202
    return SimpleNamespace(frequency=52, keys=[(4, "dengue"), (70, "dengue")],
                           period_starts=[date(2026, 11, 2), date(2026, 11, 9),
                                          date(2026, 11, 16)],
                           counts=np.array([[1.0, 2.0, 30.0], [3.0, 9.0, 2.0]]))


def test_alarms_are_the_evaluated_periods_flagged_one_in_the_last_periods():
    nan = np.nan
    detection = SimpleNamespace(
        expected=np.array([[1.0, 1.5, 2.0], [2.0, 2.5, nan]]),
        threshold=np.array([[3.0, 4.0, 6.5], [4.0, 5.0, nan]]),
        alarm=np.array([[0.0, 0.0, 1.0], [1.0, 1.0, nan]]),
        evaluated=np.array([[False, True, True], [False, True, True]]))
    found = alarms.alarms_of(_series(), detection, method="ears_c1")
    assert [(a.ward_code, a.period_start, a.observed, a.expected, a.threshold) for a in found] \
        == [(4, date(2026, 11, 16), 30, 2.0, 6.5), (70, date(2026, 11, 9), 9, 2.5, 5.0)]
    assert [a.ward_code for a in alarms.alarms_of(_series(), detection, method="ears_c1",
                                                  last_periods=1)] == [4]


def _alarm(ward: int = 70, method: str = "ears_c1") -> alarms.Alarm:
    return alarms.Alarm(ward_code=ward, syndrome="dengue", frequency=52,
                        period_start=date(2026, 11, 16), method=method, observed=25,
                        expected=2.5, threshold=5.4)


async def test_alarms_are_stored_once_and_each_new_one_is_published():
    async with get_database().session() as s:
        first = await alarms.store_alarms(s, alarms=[_alarm(), _alarm(4)],
                                          syndromes=DEFINITIONS)
    async with get_database().session() as s:
        again = await alarms.store_alarms(s, alarms=[_alarm(), _alarm(method="farrington")],
                                          syndromes=DEFINITIONS)
    assert len(first) == 2 and len(again) == 1
    async with get_database().session() as s:
        stored = (await s.scalars(select(SurveillanceAlarm))).all()
        events = (await s.scalars(select(OutboxEvent).where(
            OutboxEvent.topic == "surveillance.alarm").order_by(OutboxEvent.id))).all()
    assert len(stored) == 3
    assert len(events) == 3
    payload = events[0].payload
    assert payload["ward_code"] == 70 and payload["ward_name"] == "Phường Hoàn Kiếm"
    assert payload["syndrome_vi"] == "Sốt xuất huyết Dengue"
    assert (payload["observed"], payload["expected"], payload["threshold"]) == (25, 2.5, 5.4)
    assert payload["period_start"] == "2026-11-16" and payload["method"] == "ears_c1"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smarthealth.cli", *args], capture_output=True,
                          text=True, env=os.environ, timeout=300)


async def test_surveillance_run_finds_the_injected_outbreak_and_reruns_store_nothing(tmp_path):
    root = build_outbreak_history(tmp_path / "extract")
    first = _cli("surveillance", "run", "--method", "ears_c1", "--method", "ears_c2",
                 "--weeks", "4", "--root", str(root))
    assert first.returncode == 0, first.stderr
    assert "2 new" in first.stdout
    again = _cli("surveillance", "run", "--method", "ears_c1", "--method", "ears_c2",
                 "--weeks", "4", "--root", str(root))
    assert again.returncode == 0 and "0 new" in again.stdout
    async with get_database().session() as s:
        stored = (await s.scalars(select(SurveillanceAlarm)
                                  .order_by(SurveillanceAlarm.method))).all()
        events = (await s.scalars(select(OutboxEvent).where(
            OutboxEvent.topic == "surveillance.alarm"))).all()
    assert [(a.ward_code, a.syndrome, a.period_start, a.method, a.observed) for a in stored] == [
        (70, "dengue", date(2026, 11, 16), "ears_c1", 25),
        (70, "dengue", date(2026, 11, 16), "ears_c2", 25)]
    assert all(a.expected is not None and a.threshold < 25 for a in stored)
    assert len(events) == 2


async def test_the_alarm_table_matches_its_migration():
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from smarthealth.core.db import Base

    def _diff(connection):  # noqa: ANN001, ANN202
        context = MigrationContext.configure(connection)
        return [d for d in compare_metadata(context, Base.metadata)
                if "surveillance_alarms" in repr(d)]

    async with get_database().engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
