"""Outbreak detection speed: 126 wards x 20 syndromes x 10 years of weekly counts, every method.

Synthetic negative-binomial seasonal counts (per-series level from 0.05 to 20 a week, random
season and phase, injected outbreaks). Times each method of smarthealth.analytics.surveillance
over all series and reports evaluated points and ms per point. When `Rscript` and the R package
`surveillance` are installed, times R on a sample of the same series in the same run (the last
weeks of a few series), checks that R gives the same alarms there, and prints the speed ratio.
Prints, as its last line, one JSON object. bench/analytics.py imports `measure`.

    python bench/surveillance.py
    python bench/surveillance.py --wards 10 --years 7 --r-series 3 --r-points 20
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from smarthealth.analytics.surveillance import METHODS, detect  # noqa: E402

R_SCRIPT = r"""
suppressMessages(library(surveillance))
args <- commandArgs(trailingOnly = TRUE)
counts <- as.matrix(read.csv(args[1], header = FALSE))
points <- as.integer(args[2]); out <- args[3]
freq <- 52; n <- ncol(counts)
res <- NULL
for (method in c("ears_c1", "ears_c2", "ears_c3", "farrington", "farrington_flexible")) {
  rng <- (n - points + 1):n
  t0 <- proc.time()[["elapsed"]]; c0 <- sum(proc.time()[c("user.self", "sys.self")])
  for (i in seq_len(nrow(counts))) {
    y <- as.numeric(counts[i, ])
    if (method %in% c("ears_c1", "ears_c2", "ears_c3")) {
      s <- sts(observed = matrix(y, ncol = 1), frequency = freq)
      r <- earsC(s, control = list(method = toupper(sub("ears_", "", method)), range = rng))
      a <- as.logical(alarms(r)); u <- as.numeric(upperbound(r))
    } else if (method == "farrington") {
      dp <- create.disProg(week = 1:n, observed = y, state = rep(0, n), freq = freq)
      r <- algo.farrington(dp, control = list(range = rng, b = 5, w = 3, reweight = TRUE,
        alpha = 0.05, trend = TRUE, limit54 = c(5, 4), powertrans = "2/3",
        fitFun = "algo.farrington.fitGLM.fast"))
      a <- as.logical(r$alarm); u <- as.numeric(r$upperbound)
    } else {
      s <- sts(observed = matrix(y, ncol = 1), frequency = freq)
      r <- suppressWarnings(farringtonFlexible(s, control = list(range = rng, b = 5, w = 3,
        noPeriods = 10, pastWeeksNotIncluded = 26, weightsThreshold = 2.58, alpha = 0.05,
        pThresholdTrend = 1, thresholdMethod = "nbPlugin", trend = TRUE, reweight = TRUE,
        populationOffset = FALSE, limit54 = c(5, 4), glmWarnings = FALSE)))
      a <- as.logical(alarms(r)); u <- as.numeric(upperbound(r))
    }
    res <- rbind(res, data.frame(method = method, series = i, period = rng,
                                 alarm = ifelse(is.na(a), "", as.integer(a)),
                                 threshold = ifelse(is.na(u), "", sprintf("%.15g", u))))
  }
  cat(sprintf("TIME %s %d %.6f %.6f\n", method, nrow(counts) * points,
              proc.time()[["elapsed"]] - t0,
              sum(proc.time()[c("user.self", "sys.self")]) - c0))
}
write.csv(res, out, row.names = FALSE, quote = FALSE)
"""


def synthetic_counts(*, wards: int = 126, syndromes: int = 20, years: int = 10,
                     seed: int = 7) -> np.ndarray:
    """(wards * syndromes, 52 * years) weekly counts: seasonal negative binomial + outbreaks."""
    rng = np.random.default_rng(seed)
    n_series, n = wards * syndromes, 52 * years
    t = np.arange(n)
    level = np.exp(rng.uniform(np.log(0.05), np.log(20.0), n_series))[:, None]
    amplitude = rng.uniform(0.0, 1.2, n_series)[:, None]
    phase = rng.uniform(0, 2 * np.pi, n_series)[:, None]
    mu = level * np.exp(amplitude * np.sin(2 * np.pi * t / 52 + phase))
    size = rng.uniform(1.0, 10.0, n_series)[:, None]
    counts = rng.negative_binomial(size, size / (size + mu)).astype(float)
    for s in rng.choice(n_series, n_series // 10, replace=False):  # injected outbreaks
        start = int(rng.integers(270, n - 4))
        counts[s, start: start + 4] += rng.poisson(3 * level[s, 0] + 4, size=min(4, n - start))
    return counts


def _r_available() -> bool:
    if not shutil.which("Rscript"):
        return False
    probe = subprocess.run(["Rscript", "-e", "suppressMessages(library(surveillance))"],
                           capture_output=True, timeout=120)
    return probe.returncode == 0


def _time_r(sample: np.ndarray, points: int, ours: dict[str, dict]) -> dict[str, object]:
    """Run R on the sample; per method: points, ms per point, alarm agreement with ours."""
    with tempfile.TemporaryDirectory(prefix="sh-bench-surv-") as tmp:
        data, script, out = (Path(tmp) / "counts.csv", Path(tmp) / "run.R",
                             Path(tmp) / "r.csv")
        np.savetxt(data, sample, fmt="%d", delimiter=",")
        script.write_text(R_SCRIPT, encoding="utf-8")
        proc = subprocess.run(["Rscript", str(script), str(data), str(points), str(out)],
                              capture_output=True, text=True, timeout=3600)
        if proc.returncode != 0:
            return {"error": proc.stderr[-500:]}
        timing = {}
        for line in proc.stdout.splitlines():
            if line.startswith("TIME "):
                _, method, n_points, seconds, cpu = line.split()
                timing[method] = (int(n_points), float(seconds), float(cpu))
        with open(out, newline="") as handle:
            rows = list(csv.DictReader(handle))
    result: dict[str, object] = {}
    for method in METHODS:
        det = ours[method]["sample_detection"]
        agree = total = 0
        for row in (r for r in rows if r["method"] == method):
            i, j = int(row["series"]) - 1, int(row["period"]) - 1
            mine = det.alarm[i, j]
            theirs = np.nan if row["alarm"] == "" else float(row["alarm"])
            total += 1
            agree += (np.isnan(mine) and np.isnan(theirs)) or mine == theirs
        n_points, seconds, cpu = timing.get(method, (0, float("nan"), float("nan")))
        r_ms = 1000 * seconds / max(n_points, 1)
        result[method] = {"points": n_points, "ms_per_point": round(r_ms, 4),
                          "cpu_ms_per_point": round(1000 * cpu / max(n_points, 1), 4),
                          "alarm_agreement": round(agree / max(total, 1), 4),
                          "ratio_r_over_smarthealth": round(r_ms / ours[method]["ms_per_point"],
                                                            1)}
    return result


def measure(*, wards: int = 126, syndromes: int = 20, years: int = 10,
            methods: tuple[str, ...] = METHODS, r_series: int = 4, r_points: int = 26,
            with_r: bool = True) -> dict[str, object]:
    """Time every method on the synthetic counts (and R on a sample); a JSON-ready dict."""
    counts = synthetic_counts(wards=wards, syndromes=syndromes, years=years)
    report: dict[str, object] = {"series": counts.shape[0], "periods": counts.shape[1],
                                 "frequency": 52, "threads": 1,
                                 "load_average": round(os.getloadavg()[0], 2)}
    ours: dict[str, dict] = {}
    rng = np.random.default_rng(1)
    sample_rows = np.sort(rng.choice(counts.shape[0], min(r_series, counts.shape[0]),
                                     replace=False))
    for method in methods:
        start, cpu_start = time.perf_counter(), time.process_time()
        det = detect(counts, frequency=52, method=method, threads=1)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        points = int(det.evaluated.sum())
        ms = 1000 * seconds / max(points, 1)
        ours[method] = {"points": points, "seconds": round(seconds, 3),
                        "ms_per_point": round(ms, 5),
                        "cpu_ms_per_point": round(1000 * cpu / max(points, 1), 5),
                        "alarms": int(np.nansum(det.alarm)),
                        "sample_detection": detect(counts[sample_rows], frequency=52,
                                                   method=method)}
        print(f"{method}: {points} points in {seconds:.2f} s = {ms:.4f} ms/point", flush=True)
    report["smarthealth"] = {m: {k: v for k, v in d.items() if k != "sample_detection"}
                             for m, d in ours.items()}
    if with_r and r_series > 0 and _r_available():
        print(f"R surveillance on {len(sample_rows)} series x last {r_points} weeks ...",
              flush=True)
        report["r"] = _time_r(counts[sample_rows], r_points, ours)
        ratios = {m: v.get("ratio_r_over_smarthealth") for m, v in report["r"].items()
                  if isinstance(v, dict)}
        report["speedup_vs_r"] = ratios
    else:
        report["r"] = "not installed (Rscript with package surveillance)"
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wards", type=int, default=126)
    parser.add_argument("--syndromes", type=int, default=20)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--r-series", type=int, default=4, help="series of the R sample")
    parser.add_argument("--r-points", type=int, default=26, help="last weeks timed in R")
    parser.add_argument("--no-r", action="store_true")
    args = parser.parse_args()
    report = measure(wards=args.wards, syndromes=args.syndromes, years=args.years,
                     methods=tuple(args.methods.split(",")), r_series=args.r_series,
                     r_points=args.r_points, with_r=not args.no_r)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
