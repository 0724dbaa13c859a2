"""Synthetic multi-year visit history written straight to Parquet (benchmarks, demo dashboards).

Vectorised with numpy and pyarrow, one month at a time (bounded memory; months run in
parallel processes). Counts are Poisson per day x category x ward with:
- the 126 real Hanoi wards, urban wards 1.65 times as populous, a per-ward risk for each
  category (dengue and HFMD cluster more), health stations and hospitals of synthetic Hanoi;
- seasonality per category from monthly weights (dengue late summer/autumn, influenza-like
  illness winter/spring, HFMD spring and autumn, diarrhoea summer, measles sporadic), a
  random multiplier per year, fewer visits at weekends;
- injected outbreaks (extra Poisson cases in one ward, syndrome and 2-6 weeks), their truth
  written to `truth.csv`.
Same layout and columns as the platform's extract (schema.py), so dashboards and
surveillance read either. Deterministic for a seed.
"""

from __future__ import annotations

import csv
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from smarthealth.analytics import rollups, schema
from smarthealth.analytics.files import replace_dir, write_parquet
from smarthealth.synth import hanoi

# name: (codes with weights, share of visits %, weights Jan..Dec, age-group weights
#        (0-4, 5-14, 15-24, 25-49, 50-64, 65+), inpatient share, emergency share)
Category = tuple[tuple[tuple[str, float], ...], float, tuple[float, ...], tuple[float, ...],
                 float, float]
FLAT = (1,) * 12
ADULT = (2, 4, 12, 40, 24, 18)
OLD = (0, 0, 1, 14, 40, 45)
CATEGORIES: dict[str, Category] = {
    "dengue": ((("A90", .82), ("A91", .12), ("A97.0", .06)), 1.6,
               (1, 1, 1, 1, 2, 3, 6, 12, 16, 14, 9, 3), (2, 15, 25, 40, 12, 6), .15, .05),
    "ili": ((("J11.1", .33), ("J10.1", .05), ("J09", .01), ("J06.9", .61)), 8.0,
            (12, 12, 9, 6, 3, 2, 2, 2, 3, 5, 8, 11), (15, 20, 15, 30, 12, 8), .02, .03),
    "hfmd": ((("B08.4", 1.0),), 0.8, (1, 2, 5, 7, 6, 3, 2, 3, 6, 7, 4, 2),
             (85, 15, 0, 0, 0, 0), .05, .02),
    "diarrhoea": ((("A09", .85), ("A08.0", .05), ("A04.9", .05), ("A03.9", .05)), 3.0,
                  (2, 2, 3, 4, 6, 8, 9, 8, 5, 3, 2, 2), (25, 15, 12, 28, 12, 8), .05, .05),
    "measles": ((("B05.9", 1.0),), 0.05, (3, 4, 5, 5, 4, 2, 1, 1, 1, 1, 2, 2),
                (50, 30, 10, 10, 0, 0), .2, .02),
    "chickenpox": ((("B01.9", 1.0),), 0.3, (6, 7, 8, 7, 5, 3, 2, 2, 2, 3, 4, 5),
                   (35, 45, 12, 8, 0, 0), .01, .01),
    "mumps": ((("B26.9", 1.0),), 0.1, (4, 5, 6, 6, 5, 3, 2, 2, 2, 3, 3, 4),
              (20, 60, 15, 5, 0, 0), .01, .01),
    "conjunctivitis": ((("H10.9", 1.0),), 1.0, (3, 3, 3, 3, 4, 5, 6, 8, 9, 7, 4, 3),
                       (20, 20, 15, 30, 10, 5), 0, .01),
    "pneumonia": ((("J18.9", .8), ("J15.9", .2)), 1.5, (10, 10, 8, 6, 4, 3, 3, 3, 4, 6, 8, 10),
                  (30, 10, 5, 15, 15, 25), .3, .1),
    "bronchiolitis": ((("J21.9", 1.0),), 0.5, (8, 8, 7, 6, 5, 4, 4, 5, 6, 7, 8, 8),
                      (100, 0, 0, 0, 0, 0), .15, .05),
    "covid19": ((("U07.1", 1.0),), 0.5, (6, 6, 5, 4, 3, 3, 4, 5, 4, 4, 5, 6),
                (5, 10, 15, 40, 18, 12), .05, .03),
    "typhoid": ((("A01.0", 1.0),), 0.03, (2, 2, 3, 4, 5, 6, 6, 6, 5, 4, 3, 2),
                (10, 20, 25, 35, 7, 3), .2, .02),
    "hepatitis_a": ((("B15.9", 1.0),), 0.05, (3, 3, 4, 4, 5, 5, 5, 5, 4, 4, 3, 3),
                    (10, 30, 25, 30, 4, 1), .1, .02),
    "meningoencephalitis": ((("A87.9", .5), ("G03.9", .3), ("A83.0", .2)), 0.05,
                            (1, 1, 2, 3, 5, 8, 9, 7, 4, 2, 1, 1), (40, 30, 10, 10, 5, 5), .8, .15),
    "pertussis": ((("A37.9", 1.0),), 0.02, (3, 3, 4, 4, 5, 5, 5, 4, 3, 3, 3, 3),
                  (80, 15, 5, 0, 0, 0), .2, .02),
    "rubella": ((("B06.9", 1.0),), 0.02, (4, 5, 6, 6, 4, 2, 1, 1, 1, 2, 3, 3),
                (20, 40, 30, 10, 0, 0), 0, 0),
    "tuberculosis": ((("A15.0", 1.0),), 0.15, FLAT, (1, 2, 15, 45, 22, 15), .2, .01),
    "leptospirosis": ((("A27.9", 1.0),), 0.01, (1, 1, 1, 2, 3, 6, 9, 9, 7, 3, 1, 1),
                      (0, 5, 25, 50, 15, 5), .5, .1),
    "food_poisoning": ((("A05.9", 1.0),), 0.3, (3, 3, 4, 5, 6, 7, 7, 7, 6, 5, 4, 4),
                       (5, 15, 25, 40, 10, 5), .05, .2),
    "skin_infection": ((("L08.9", .6), ("L02.9", .4)), 1.0, (3, 3, 4, 5, 7, 8, 8, 8, 7, 5, 4, 3),
                       (15, 15, 15, 35, 12, 8), .02, .02),
    "otitis": ((("H66.9", 1.0),), 0.6, (8, 8, 7, 6, 5, 4, 4, 4, 5, 6, 7, 8),
               (45, 35, 5, 10, 3, 2), 0, .01),
    "scarlet_fever": ((("A38", 1.0),), 0.01, (6, 6, 7, 6, 4, 2, 2, 2, 3, 4, 5, 6),
                      (40, 55, 5, 0, 0, 0), .05, 0),
    # background: chronic and everyday diagnoses, little seasonality
    "hypertension": ((("I10", 1.0),), 18.0, FLAT, OLD, .02, .02),
    "diabetes": ((("E11.9", .9), ("E11.6", .1)), 8.0, FLAT, OLD, .03, .01),
    "copd_asthma": ((("J44.9", .6), ("J45.9", .4)), 3.0, (12, 12, 11, 10, 8, 7, 7, 7, 8, 9, 10, 11),
                    (2, 8, 5, 15, 30, 40), .08, .05),
    "heart": ((("I25.9", .6), ("I50.9", .2), ("I63.9", .2)), 3.5, FLAT, OLD, .25, .2),
    "digestive": ((("K29.7", .5), ("K21.9", .3), ("K59.0", .2)), 7.0, FLAT, ADULT, .03, .03),
    "musculoskeletal": ((("M54.5", .5), ("M17.9", .3), ("M79.1", .2)), 8.0, FLAT, OLD, .01, .01),
    "respiratory_other": ((("J02.9", .5), ("J20.9", .5)), 6.0, (9, 9, 8, 7, 6, 5, 5, 5, 6, 7, 8, 9),
                          (15, 20, 15, 30, 12, 8), .01, .01),
    "urinary": ((("N39.0", 1.0),), 2.0, FLAT, ADULT, .03, .02),
    "lipids": ((("E78.5", 1.0),), 4.0, FLAT, OLD, 0, 0),
    "checkup": ((("Z00.0", 1.0),), 6.0, FLAT, (15, 15, 20, 35, 10, 5), 0, 0),
    "injury": ((("S93.4", .4), ("S61.9", .3), ("S06.0", .3)), 4.0, FLAT, (5, 15, 30, 35, 10, 5),
               .1, .6),
    "skin_other": ((("L30.9", 1.0),), 3.0, (4, 4, 5, 6, 7, 8, 8, 8, 7, 6, 5, 4), ADULT, 0, 0),
    "headache_fever": ((("R51", .5), ("R50.9", .5)), 4.0, FLAT, (10, 15, 20, 35, 12, 8), 0, .05),
}
# syndromes that outbreaks are injected into
OUTBREAK_SYNDROMES = ("dengue", "hfmd", "ili", "measles", "diarrhoea")
CLUSTERED = {"dengue": 0.8, "hfmd": 0.6, "measles": 0.8, "leptospirosis": 0.7}
DOW = np.array([1.15, 1.1, 1.05, 1.05, 1.0, 0.75, 0.45])  # Monday .. Sunday
AGE_LOW = np.array([0, 5, 15, 25, 50, 65])
AGE_SPAN = np.array([5, 10, 10, 25, 15, 26])
HANOI_PEOPLE = 8_700_000
SECONDARY_SHARE = 0.25
HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
SHIFTS = np.arange(60, -1, -4, dtype=np.uint64)
EPOCH = date(1970, 1, 1)


@dataclass
class Outbreak:
    ward_index: int
    category: int
    first_day: int  # index from the start date
    days: int
    per_day: float  # extra expected cases per day at the peak
    cases: int = 0


@dataclass
class Plan:
    """Everything a month's worker needs: drawn once from the seed in the parent."""

    out: Path
    start: date
    days: int
    visits_per_day: float
    seed: int
    ward_codes: np.ndarray
    ward_weight: np.ndarray  # share of the population per ward
    ward_risk: np.ndarray  # (C, W)
    year_factor: np.ndarray  # (C, years+1)
    station_of_ward: np.ndarray  # facility index of each ward's health station
    facility_codes: list[str]
    hospital_index: np.ndarray
    hospital_weight: np.ndarray
    outbreaks: list[Outbreak] = field(default_factory=list)


@dataclass(frozen=True)
class HistoryResult:
    visits: int
    diagnoses: int
    months: int
    seconds: float
    outbreaks: int
    out: Path

    @property
    def rows_per_second(self) -> float:
        return (self.visits + self.diagnoses) / max(self.seconds, 1e-9)


def _season(weights: tuple[float, ...]) -> np.ndarray:
    """Smooth daily factor (mean 1) from monthly weights, interpolated between mid-months."""
    w = np.asarray(weights, dtype=float)
    mids = np.arange(12) * 30.44 + 15.2
    days = np.arange(366)
    curve = np.interp(days, np.concatenate([[mids[-1] - 365.25], mids, [mids[0] + 365.25]]),
                      np.concatenate([[w[-1]], w, [w[0]]]))
    return curve / curve[:365].mean()


NAMES = list(CATEGORIES)
SEASON = np.stack([_season(CATEGORIES[n][2]) for n in NAMES])  # (C, 366)
SHARE = np.array([CATEGORIES[n][1] for n in NAMES]) / sum(CATEGORIES[n][1] for n in NAMES)
CODES = sorted({code for n in NAMES for code, _ in CATEGORIES[n][0]})
CODE_INDEX = {c: i for i, c in enumerate(CODES)}
MAX_CODES = max(len(CATEGORIES[n][0]) for n in NAMES)
CODE_TABLE = np.zeros((len(NAMES), MAX_CODES), dtype=np.int32)
CODE_CUM = np.ones((len(NAMES), MAX_CODES))
for _c, _n in enumerate(NAMES):
    _codes = CATEGORIES[_n][0]
    CODE_TABLE[_c, :len(_codes)] = [CODE_INDEX[code] for code, _ in _codes]
    CODE_CUM[_c, :len(_codes)] = np.cumsum([w for _, w in _codes]) / sum(w for _, w in _codes)
AGE_CUM = np.stack([np.cumsum(CATEGORIES[n][3]) / sum(CATEGORIES[n][3]) for n in NAMES])
INPATIENT = np.array([CATEGORIES[n][4] for n in NAMES])
EMERGENCY = np.array([CATEGORIES[n][5] for n in NAMES])
BACKGROUND = np.array([CODE_INDEX[c] for c in ("I10", "E11.9", "E78.5", "K29.7", "J44.9",
                                               "M54.5", "J20.9", "R50.9")], dtype=np.int32)


def hex16(values: np.ndarray) -> pa.Array:
    """16 lower-case hex digits of each uint64, as an Arrow string array (no Python loop)."""
    values = values.astype(np.uint64, copy=False)
    chars = HEX[((values[:, None] >> SHIFTS[None, :]) & np.uint64(15)).astype(np.uint8)]
    n = len(values)
    offsets = np.arange(0, 16 * n + 1, 16, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets),
                                       pa.py_buffer(np.ascontiguousarray(chars).tobytes()))


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a well-spread pseudonym of an integer."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _strings(index: np.ndarray, values: list[str]) -> pa.Array:
    return pa.array(values, pa.string()).take(pa.array(index.astype(np.int32)))


def _pick(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index drawn per row from per-row cumulative weights (rows x k) and uniforms."""
    return np.minimum((u[:, None] > cum).sum(axis=1), cum.shape[1] - 1)


def make_plan(*, out: Path, years: int, visits_per_day: float, seed: int, start: date,
              outbreaks: int) -> Plan:
    """Draw wards, facilities, risks, year factors and outbreaks from the seed."""
    rng = np.random.default_rng([seed, 0])
    wards = hanoi.wards()
    codes = np.array([w.code for w in wards], dtype=np.int32)
    weight = np.array([1.65 if w.urban else 1.0 for w in wards]) * rng.lognormal(0, .25,
                                                                                  len(wards))
    weight /= weight.sum()
    n_cat, n_ward = len(NAMES), len(wards)
    sigma = np.array([CLUSTERED.get(n, .3) for n in NAMES])
    risk = rng.lognormal(0, 1, (n_cat, n_ward)) ** sigma[:, None]
    risk /= (risk * weight[None, :]).sum(axis=1, keepdims=True)
    year_factor = rng.lognormal(0, .25, (n_cat, years + 2))
    year_factor[[NAMES.index(n) for n in NAMES if n not in CLUSTERED and
                 NAMES.index(n) >= NAMES.index("hypertension")]] = 1.0
    stations = [hanoi.station_code(i) for i in range(n_ward)]
    hospitals = hanoi.hospitals()
    facility_codes = stations + [h.code for h in hospitals]
    tier_weight = {"central": 1.4, "city": 1.0, "district": 1.2}
    h_weight = np.array([tier_weight[h.tier] for h in hospitals])
    days = (_add_years(start, years) - start).days
    plan = Plan(out=out, start=start, days=days, visits_per_day=visits_per_day, seed=seed,
                ward_codes=codes, ward_weight=weight, ward_risk=risk, year_factor=year_factor,
                station_of_ward=np.arange(n_ward), facility_codes=facility_codes,
                hospital_index=np.arange(n_ward, n_ward + len(hospitals)),
                hospital_weight=h_weight / h_weight.sum())
    plan.outbreaks = _outbreaks(plan, rng, outbreaks)
    return plan


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _expected(plan: Plan, day_index: np.ndarray) -> np.ndarray:
    """Expected visits per day x category (before wards)."""
    days = [plan.start + timedelta(days=int(d)) for d in day_index]
    doy = np.array([d.timetuple().tm_yday - 1 for d in days])
    dow = DOW[[d.weekday() for d in days]] / DOW.mean()
    year = np.array([d.year - plan.start.year for d in days])
    growth = 1.02 ** (day_index / 365.25)
    return (plan.visits_per_day * (dow * growth)[:, None] * SHARE[None, :]
            * SEASON[:, doy].T * plan.year_factor[:, year].T)


def _outbreaks(plan: Plan, rng: np.random.Generator, count: int) -> list[Outbreak]:
    """Outbreaks after enough history for the detectors (3 years when there is room)."""
    earliest = min(3 * 365, plan.days // 2)
    latest = plan.days - 6 * 7
    found: list[Outbreak] = []
    for _ in range(count if latest > earliest else 0):
        name = OUTBREAK_SYNDROMES[int(rng.integers(len(OUTBREAK_SYNDROMES)))]
        c = NAMES.index(name)
        w = int(rng.integers(len(plan.ward_codes)))
        first = int(rng.integers(earliest, latest))
        weeks = int(rng.integers(2, 7))
        base = _expected(plan, np.arange(first, first + 7 * weeks))[:, c].mean()
        base *= plan.ward_weight[w] * plan.ward_risk[c, w]
        per_day = 4.0 * base + 1.5  # about 10 extra cases a week at least
        found.append(Outbreak(w, c, first, 7 * weeks, per_day))
    return found


def _months(plan: Plan) -> list[tuple[int, int]]:
    """(first day index, day count) of each calendar month in the span."""
    spans, day = [], 0
    while day < plan.days:
        current = plan.start + timedelta(days=day)
        nxt = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
        length = min((nxt - current).days, plan.days - day)
        spans.append((day, length))
        day += length
    return spans


def _month(plan: Plan, first: int, length: int, month_number: int) -> tuple[str, int, int,
                                                                              list[int]]:
    """Draw and write one month; returns (month, visits, diagnoses, extra cases per outbreak)."""
    rng = np.random.default_rng([plan.seed, 1, month_number])
    days = np.arange(first, first + length)
    lam = _expected(plan, days)[:, :, None] * (plan.ward_weight[None, None, :]
                                               * plan.ward_risk[None, :, :])
    counts = rng.poisson(lam)
    extra_cases = []
    for ob in plan.outbreaks:
        lo, hi = max(first, ob.first_day), min(first + length, ob.first_day + ob.days)
        if lo >= hi:
            extra_cases.append(0)
            continue
        rel = (np.arange(lo, hi) - ob.first_day + .5) / ob.days
        shape = 1.0 - np.abs(2 * rel - 1) * .7  # rises and falls
        extra = rng.poisson(ob.per_day * shape)
        counts[lo - first:hi - first, ob.category, ob.ward_index] += extra
        extra_cases.append(int(extra.sum()))
    n_cat, n_ward = counts.shape[1:]
    cell = np.repeat(np.arange(counts.size, dtype=np.int64), counts.ravel())
    n = len(cell)
    day = (cell // (n_cat * n_ward)).astype(np.int32)
    cat = ((cell // n_ward) % n_cat).astype(np.int32)
    ward = (cell % n_ward).astype(np.int32)
    u = rng.random((8, n))
    code = CODE_TABLE[cat, _pick(CODE_CUM[cat], u[0])]
    group = _pick(AGE_CUM[cat], u[1])
    age = (AGE_LOW[group] + np.floor(u[2] * AGE_SPAN[group])).astype(np.int16)
    male = u[3] < np.where(age < 15, .525, np.where(age < 60, .495, .42))
    kind = np.where(u[4] < INPATIENT[cat], 2, np.where(u[4] < INPATIENT[cat] + EMERGENCY[cat],
                                                        1, 0))  # 0 out, 1 emergency, 2 in
    at_station = (kind == 0) & (u[5] < .55)
    hospital = plan.hospital_index[np.searchsorted(np.cumsum(plan.hospital_weight),
                                                   u[6] * .999999)]
    facility = np.where(at_station, plan.station_of_ward[ward], hospital)
    insured = u[7] < np.where(age < 6, .98, np.where(age >= 60, .95, .88))
    admitted = (kind == 2) | ((kind == 1) & (rng.random(n) < .3))
    date0 = (plan.start - EPOCH).days
    visit_date = (date0 + first + day).astype(np.int32)
    local_min = np.where(kind == 1, rng.integers(0, 1440, n), 420 + rng.integers(0, 600, n))
    started = (visit_date.astype(np.int64) * 1440 + local_min - 7 * 60) * 60_000_000
    los_days = 1 + rng.gamma(2.0, 2.0, n)
    discharged = started + (los_days * 86_400e6).astype(np.int64)
    closed = np.where(admitted, discharged, started + rng.integers(8, 40, n) * 60_000_000)
    checkin_ms = np.exp(rng.normal(np.log(3500), .5, n)).astype(np.int32)
    wait = np.round(rng.gamma(np.where(kind == 1, 1.0, 2.0),
                              np.where(kind == 1, 3.0, np.where(at_station, 6.0, 16.0))), 1)
    person = mix64(ward.astype(np.uint64) << np.uint64(32) | rng.integers(
        0, np.maximum(plan.ward_weight[ward] * HANOI_PEOPLE, 1).astype(np.int64)).astype(
        np.uint64) | np.uint64(plan.seed) << np.uint64(56))
    serial = (np.uint64(plan.seed & 0xFF) << np.uint64(56)) | (np.uint64(month_number)
                                                               << np.uint64(36)) | np.arange(
        n, dtype=np.uint64)
    visit_key = hex16(serial)
    fac = _strings(facility, plan.facility_codes)
    sex = _strings(np.where(male, 0, 1), ["male", "female"])
    age_group = _strings(group, list(schema.AGE_GROUPS))
    main_icd = _strings(code, CODES)
    icd3 = _strings(code, [c[:3] for c in CODES])
    ward_code = pa.array(plan.ward_codes[ward])
    vdate = pa.array(visit_date, pa.date32())
    visits = pa.Table.from_arrays([
        visit_key, fac, ward_code, hex16(person), sex, pa.array(age), age_group,
        pa.array(started, schema.TS), vdate,
        _strings(kind, ["outpatient", "emergency", "inpatient"]), pa.array(insured), main_icd,
        icd3, pa.array(admitted), pa.array(discharged, schema.TS, mask=~admitted),
        pa.array(checkin_ms, mask=kind == 1), pa.array(wait),
        _strings(kind, ["KB", "CC", "NOI"]),
        _strings(np.zeros(n, dtype=np.int32), ["signed"]),
        pa.array(closed, schema.TS),
        _strings(np.where(insured, 0, np.where(u[7] < .97, 1, 2)),
                 ["valid", "no_card", "invalid"]),
    ], schema=schema.VISITS)
    second = np.flatnonzero(rng.random(n) < np.where(age >= 50, .5, .1) * SECONDARY_SHARE * 3)
    second_code = BACKGROUND[rng.integers(0, len(BACKGROUND), len(second))]
    rows = np.concatenate([np.arange(n), second])
    codes = np.concatenate([code, second_code])
    diagnoses = pa.Table.from_arrays([
        visit_key.take(pa.array(rows)), vdate.take(pa.array(rows)), fac.take(pa.array(rows)),
        ward_code.take(pa.array(rows)), sex.take(pa.array(rows)),
        age_group.take(pa.array(rows)), _strings(codes, CODES),
        _strings(codes, [c[:3] for c in CODES]),
        pa.array(np.arange(len(rows)) < n),
    ], schema=schema.DIAGNOSES)
    adm = np.flatnonzero(admitted)
    admissions = pa.Table.from_arrays([
        hex16(serial[adm] | np.uint64(1 << 35)), visit_key.take(pa.array(adm)),
        fac.take(pa.array(adm)),
        _strings(np.where(kind[adm] == 1, 0, 1), ["CC", "NOI"]), ward_code.take(pa.array(adm)),
        sex.take(pa.array(adm)), age_group.take(pa.array(adm)),
        pa.array(started[adm], schema.TS), vdate.take(pa.array(adm)),
        pa.array(discharged[adm], schema.TS),
        pa.array(["discharged"] * len(adm), pa.string()),
        pa.array(["improved"] * len(adm), pa.string()),
    ], schema=schema.ADMISSIONS)
    current = plan.start + timedelta(days=first)
    month = f"{current:%Y-%m}"
    for name, table in (("visits", visits), ("diagnoses", diagnoses),
                        ("admissions", admissions)):
        _write_month(plan.out, name, month, table)
    return month, n, len(rows), extra_cases


def _write_month(out: Path, table_name: str, month: str, table: pa.Table) -> None:
    staging = out / "_staging" / f"{table_name}-{month}"
    staging.mkdir(parents=True, exist_ok=True)
    write_parquet(table, staging / "part-0.parquet")
    replace_dir(staging, out / table_name / f"month={month}")


def _snapshots(plan: Plan) -> None:
    """Population per ward, sex and age group, and beds per hospital department."""
    rng = np.random.default_rng([plan.seed, 2])
    shares = np.array([.085, .155, .13, .325, .17, .135])
    rows = {"ward_code": [], "sex": [], "age_group": [], "persons": [], "insured_persons": []}
    for w, code in enumerate(plan.ward_codes):
        for g, group in enumerate(schema.AGE_GROUPS):
            for sex, share in (("male", .49), ("female", .51)):
                persons = int(HANOI_PEOPLE * plan.ward_weight[w] * shares[g] * share)
                rows["ward_code"].append(int(code))
                rows["sex"].append(sex)
                rows["age_group"].append(group)
                rows["persons"].append(persons)
                rows["insured_persons"].append(int(persons * rng.uniform(.86, .97)))
    _write_snapshot(plan.out, "population", pa.Table.from_pydict(rows, schema=schema.POPULATION))
    beds = {"facility_code": [], "department_code": [], "beds": []}
    for i in plan.hospital_index:
        for dept, size in (("NOI", 120), ("NHI", 60), ("NGOAI", 80), ("CC", 20)):
            beds["facility_code"].append(plan.facility_codes[i])
            beds["department_code"].append(dept)
            beds["beds"].append(int(size * rng.uniform(.5, 2.0)))
    _write_snapshot(plan.out, "beds", pa.Table.from_pydict(beds, schema=schema.BEDS))


def _write_snapshot(out: Path, name: str, table: pa.Table) -> None:
    staging = out / "_staging" / name
    staging.mkdir(parents=True, exist_ok=True)
    write_parquet(table, staging / "part-0.parquet")
    replace_dir(staging, out / name)


def _write_truth(plan: Plan) -> Path:
    path = plan.out / "truth.csv"
    names = {w.code: w.name for w in hanoi.wards()}
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["outbreak", "ward_code", "ward_name", "syndrome", "first_day",
                         "last_day", "first_week", "last_week", "first_iso_week",
                         "last_iso_week", "extra_cases"])
        for n, ob in enumerate(plan.outbreaks, start=1):
            first = plan.start + timedelta(days=ob.first_day)
            last = first + timedelta(days=ob.days - 1)
            monday = (first - timedelta(days=first.weekday()),
                      last - timedelta(days=last.weekday()))
            iso = [f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}" for d in (first, last)]
            code = int(plan.ward_codes[ob.ward_index])
            writer.writerow([n, code, names.get(code, ""), NAMES[ob.category],
                             first.isoformat(), last.isoformat(), monday[0].isoformat(),
                             monday[1].isoformat(), iso[0], iso[1], ob.cases])
    return path


def _run_month(args: tuple[Plan, int, int, int]) -> tuple[str, int, int, list[int]]:
    return _month(*args)


def write_history(*, out: Path, years: int, visits_per_day: float, seed: int = 1,
                  start: date | None = None, outbreaks: int = 10, jobs: int = 1,
                  progress: bool = False) -> HistoryResult:
    """Write `years` of synthetic visits, diagnoses and admissions under `out`."""
    began = time.perf_counter()
    if start is None:
        today = date.today()
        start = date(today.year - years, today.month, 1)
    out.mkdir(parents=True, exist_ok=True)
    plan = make_plan(out=out, years=years, visits_per_day=visits_per_day, seed=seed,
                     start=start, outbreaks=outbreaks)
    spans = _months(plan)
    tasks = [(plan, first, length, n) for n, (first, length) in enumerate(spans)]
    visits = diagnoses = 0
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = pool.map(_run_month, tasks)
            done = list(_progress(results, progress))
    else:
        done = list(_progress(map(_run_month, tasks), progress))
    for _, v, d, extra in done:
        visits, diagnoses = visits + v, diagnoses + d
        for ob, cases in zip(plan.outbreaks, extra, strict=True):
            ob.cases += cases
    _snapshots(plan)
    _write_truth(plan)
    rollups.build(out)  # the dashboard's pre-aggregates (analytics/rollups.py)
    staging = out / "_staging"
    if staging.exists() and not any(staging.iterdir()):
        staging.rmdir()
    return HistoryResult(visits=visits, diagnoses=diagnoses, months=len(spans),
                         seconds=time.perf_counter() - began, outbreaks=len(plan.outbreaks),
                         out=out)


def _progress(results, progress: bool):  # noqa: ANN001, ANN202
    for item in results:
        if progress:
            print(f"  {item[0]}: {item[1]:,} visits", flush=True)
        yield item
