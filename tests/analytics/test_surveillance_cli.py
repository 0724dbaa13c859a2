"""`smarthealth surveillance detect`: good input, output rows, and clear errors for bad input."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest
from click.testing import CliRunner

from smarthealth.cli import main
from tests.analytics.surveillance_fixtures import FIXTURES, r_rows


def _run(*args: str):  # noqa: ANN202
    return CliRunner().invoke(main, ["surveillance", "detect", *args])


def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_detect_writes_the_r_rows(tmp_path: Path) -> None:
    src = tmp_path / "counts.csv"
    src.write_bytes(gzip.decompress((FIXTURES / "input_52.csv.gz").read_bytes()))
    out = tmp_path / "alarms.csv"
    result = _run("--input", str(src), "--frequency", "52", "--method", "farrington_flexible",
                  "--out", str(out))
    assert result.exit_code == 0, result.output
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["series_id", "period_index", "method", "expected", "threshold",
                             "alarm"]
    expected = r_rows("farrington_flexible", 52)
    assert [(r["series_id"], r["period_index"]) for r in rows] == \
        [(r["series_id"], r["period_index"]) for r in expected]
    assert [r["alarm"] for r in rows] == [r["alarm"] for r in expected]
    assert [r["threshold"] == "" for r in rows] == [r["threshold"] == "" for r in expected]
    assert {r["method"] for r in rows} == {"farrington_flexible"}


def test_detect_short_series_gives_header_only(tmp_path: Path) -> None:
    src = _write(tmp_path / "c.csv", "series_id,period_index,date,count\n"
                 + "".join(f"w1,{i},2024-01-01,{i % 3}\n" for i in range(1, 8)))
    out = tmp_path / "o.csv"
    result = _run("--input", src, "--frequency", "52", "--method", "ears_c1", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text().strip() == "series_id,period_index,method,expected,threshold,alarm"


def test_missing_count_gives_empty_cells(tmp_path: Path) -> None:
    rows = "".join(f"w1,{i},d,{'' if i == 12 else i % 4}\n" for i in range(1, 16))
    src = _write(tmp_path / "c.csv", "series_id,period_index,date,count\n" + rows)
    out = tmp_path / "o.csv"
    result = _run("--input", src, "--frequency", "365", "--method", "ears_c1", "--out", str(out))
    assert result.exit_code == 0, result.output
    got = {r["period_index"]: r for r in csv.DictReader(open(out, newline=""))}
    assert got["12"]["alarm"] == "" and got["13"]["threshold"] == ""
    assert got["8"]["alarm"] in ("0", "1")


@pytest.mark.parametrize(("text", "message"), [
    ("series_id,period_index,count\nw,1,3\n", "missing column(s) date"),
    ("series_id,period_index,date,count\nw,1,d,3\nw,3,d,2\n", "gap"),
    ("series_id,period_index,date,count\nw,2,d,3\n", "expected 1"),
    ("series_id,period_index,date,count\nw,1,d,-1\n", ">= 0"),
    ("series_id,period_index,date,count\nw,1,d,many\n", "not a number"),
    ("series_id,period_index,date,count\nw,x,d,1\n", "not an integer"),
    ("", "empty"),
])
def test_bad_input_is_refused_clearly(tmp_path: Path, text: str, message: str) -> None:
    src = _write(tmp_path / "bad.csv", text)
    result = _run("--input", src, "--frequency", "52", "--method", "ears_c1",
                  "--out", str(tmp_path / "o.csv"))
    assert result.exit_code != 0
    assert message in result.output
    assert not (tmp_path / "o.csv").exists()


def test_monthly_flexible_refused(tmp_path: Path) -> None:
    src = _write(tmp_path / "c.csv", "series_id,period_index,date,count\nw,1,d,1\n")
    result = _run("--input", src, "--frequency", "12", "--method", "farrington_flexible",
                  "--out", str(tmp_path / "o.csv"))
    assert result.exit_code == 2 and "monthly" in result.output


def test_unknown_method_refused(tmp_path: Path) -> None:
    src = _write(tmp_path / "c.csv", "series_id,period_index,date,count\nw,1,d,1\n")
    result = _run("--input", src, "--frequency", "52", "--method", "cusum",
                  "--out", str(tmp_path / "o.csv"))
    assert result.exit_code == 2
