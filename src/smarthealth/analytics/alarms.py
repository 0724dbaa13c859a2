"""Surveillance runs: counts per ward × syndrome → detection → alarms stored once each, every new
alarm published to the outbox (`surveillance.alarm`) for the department's notifications."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.analytics.alarm_models import SurveillanceAlarm
from smarthealth.analytics.counts import SeriesCounts, count_matrix
from smarthealth.analytics.syndromes import SyndromeSet
from smarthealth.core import outbox
from smarthealth.synth import hanoi

TOPIC = "surveillance.alarm"
DEFAULT_METHODS = ("farrington_flexible",)


@dataclass(frozen=True)
class Alarm:
    """A period whose count crossed the method's threshold."""

    ward_code: int
    syndrome: str
    frequency: int
    period_start: date
    method: str
    observed: int
    expected: float | None
    threshold: float | None

    @property
    def key(self) -> tuple[int, str, int, date, str]:
        return (self.ward_code, self.syndrome, self.frequency, self.period_start, self.method)


def _number(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 4)


def alarms_of(series: SeriesCounts, detection: Any, *, method: str,
              last_periods: int | None = None) -> list[Alarm]:
    """The alarms (alarm == 1 on an evaluated period) among the last periods."""
    n_periods = series.counts.shape[1]
    first = 0 if last_periods is None else max(0, n_periods - last_periods)
    flagged = (np.nan_to_num(detection.alarm[:, first:], nan=0.0) == 1) \
        & detection.evaluated[:, first:]
    found = []
    for row, col in zip(*np.nonzero(flagged), strict=True):
        j = first + int(col)
        ward, syndrome = series.keys[int(row)]
        found.append(Alarm(ward_code=ward, syndrome=syndrome, frequency=series.frequency,
                           period_start=series.period_starts[j], method=method,
                           observed=int(series.counts[row, j]),
                           expected=_number(detection.expected[row, j]),
                           threshold=_number(detection.threshold[row, j])))
    return found


def detect_alarms(conn: Any, *, syndromes: SyndromeSet, methods: tuple[str, ...],
                  frequency: int = 52, last_periods: int | None = 8) -> tuple[SeriesCounts,
                                                                               list[Alarm]]:
    """Counts from the extract and every method's alarms in the last periods."""
    from smarthealth.analytics.surveillance import detect

    series = count_matrix(conn, syndromes=syndromes, frequency=frequency)
    found: list[Alarm] = []
    if series.counts.size:
        for method in methods:
            detection = detect(series.counts, frequency=frequency, method=method,
                               last=last_periods)
            found += alarms_of(series, detection, method=method, last_periods=last_periods)
    return series, found


def _payload(alarm: SurveillanceAlarm, syndromes: SyndromeSet) -> dict[str, Any]:
    ward = hanoi.ward_by_code().get(alarm.ward_code)
    syndrome = syndromes.syndromes.get(alarm.syndrome)
    return {
        "alarm_id": alarm.id, "ward_code": alarm.ward_code,
        "ward_name": ward.name if ward else None, "syndrome": alarm.syndrome,
        "syndrome_vi": syndrome.name_vi if syndrome else alarm.syndrome,
        "syndrome_en": syndrome.name_en if syndrome else alarm.syndrome,
        "frequency": alarm.frequency, "period_start": alarm.period_start.isoformat(),
        "method": alarm.method, "observed": alarm.observed, "expected": alarm.expected,
        "threshold": alarm.threshold, "run_id": alarm.run_id,
    }


async def store_alarms(session: AsyncSession, *, alarms: list[Alarm], syndromes: SyndromeSet,
                       run_id: str | None = None) -> list[SurveillanceAlarm]:
    """Insert the alarms not stored yet and publish one outbox event per new alarm."""
    if not alarms:
        return []
    run_id = run_id or str(uuid.uuid4())
    starts = sorted({a.period_start for a in alarms})
    existing = set((await session.execute(
        select(SurveillanceAlarm.ward_code, SurveillanceAlarm.syndrome,
               SurveillanceAlarm.frequency, SurveillanceAlarm.period_start,
               SurveillanceAlarm.method)
        .where(SurveillanceAlarm.period_start.between(starts[0], starts[-1])))).all())
    new = []
    for alarm in alarms:
        if alarm.key in existing:
            continue
        existing.add(alarm.key)
        row = SurveillanceAlarm(ward_code=alarm.ward_code, syndrome=alarm.syndrome,
                                frequency=alarm.frequency, period_start=alarm.period_start,
                                method=alarm.method, observed=alarm.observed,
                                expected=alarm.expected, threshold=alarm.threshold,
                                run_id=run_id)
        session.add(row)
        new.append(row)
    await session.flush()
    for row in new:
        await outbox.publish(session, topic=TOPIC, aggregate_type="surveillance_alarm",
                             aggregate_id=row.id, payload=_payload(row, syndromes))
    return new


def _filtered(stmt: Any, *, date_from: date | None, date_to: date | None, ward: int | None,
              syndrome: str | None, method: str | None) -> Any:
    if date_from is not None:
        stmt = stmt.where(SurveillanceAlarm.period_start >= date_from)
    if date_to is not None:
        stmt = stmt.where(SurveillanceAlarm.period_start <= date_to)
    if ward is not None:
        stmt = stmt.where(SurveillanceAlarm.ward_code == ward)
    if syndrome is not None:
        stmt = stmt.where(SurveillanceAlarm.syndrome == syndrome)
    if method is not None:
        stmt = stmt.where(SurveillanceAlarm.method == method)
    return stmt


async def list_alarms(session: AsyncSession, *, date_from: date | None = None,
                      date_to: date | None = None, ward: int | None = None,
                      syndrome: str | None = None, method: str | None = None,
                      limit: int = 500) -> list[SurveillanceAlarm]:
    """Stored alarms, newest period first, the largest counts first within a period."""
    stmt = _filtered(select(SurveillanceAlarm), date_from=date_from, date_to=date_to, ward=ward,
                     syndrome=syndrome, method=method)
    stmt = stmt.order_by(SurveillanceAlarm.period_start.desc(), SurveillanceAlarm.observed.desc(),
                         SurveillanceAlarm.ward_code, SurveillanceAlarm.syndrome,
                         SurveillanceAlarm.method).limit(limit)
    return list((await session.scalars(stmt)).all())


async def count_alarms(session: AsyncSession, *, date_from: date | None = None,
                       date_to: date | None = None, ward: int | None = None,
                       syndrome: str | None = None, method: str | None = None) -> int:
    """How many stored alarms match."""
    stmt = _filtered(select(func.count()).select_from(SurveillanceAlarm), date_from=date_from,
                     date_to=date_to, ward=ward, syndrome=syndrome, method=method)
    return int(await session.scalar(stmt) or 0)
