"""`smarthealth claims validate FILE... [--json] [--warnings]`: check XML 130 files offline."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from smarthealth.claims.cli import claims


def _files(paths: tuple[Path, ...]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        out.extend(sorted(path.rglob("*.xml")) if path.is_dir() else [path])
    return out


@claims.command("validate")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of text.")
@click.option("--warnings", is_flag=True,
              help="Also report warnings (uncertain rules); they do not change the exit code.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the number of cores; 1: no pool).")
def validate_command(paths: tuple[Path, ...], as_json: bool, warnings: bool,
                     jobs: int | None) -> None:
    """Check XML 130 files (GIAMDINHHS envelopes or XML0 check-in files; directories are
    searched for *.xml) against the field table and the cross-field rules. Exit code 1 when
    any error is found, 0 otherwise."""
    from smarthealth.claims.parallel import check_files, default_jobs
    from smarthealth.claims.validate import problem

    reports = []
    seen: dict[str, str] = {}
    errors = 0
    files = _files(paths)
    jobs = min(jobs or default_jobs(), max(1, len(files) // 50))  # a pool pays from ~100 files
    for path, result in zip(files, check_files(files, warnings=warnings, jobs=jobs),
                            strict=True):
        for ma_lk in result.ma_lks:
            if ma_lk and ma_lk in seen and seen[ma_lk] != str(path):
                result.problems.append(problem("duplicate_ma_lk", table="XML1", field="MA_LK",
                                               record=1, ma_lk=ma_lk, value=ma_lk,
                                               expected=seen[ma_lk]))
            seen.setdefault(ma_lk, str(path))
        for item in result.problems:
            item.file = str(path)
        errors += sum(1 for p in result.problems if p.severity == "error")
        reports.append((path, result))
    if as_json:
        click.echo(json.dumps({
            "files": [{"file": str(path), "episodes": r.episodes, "checkins": r.checkins,
                       "problems": [p.as_dict() for p in r.problems]} for path, r in reports],
            "errors": errors}, ensure_ascii=False, indent=1))
    else:
        for path, result in reports:
            for p in result.problems:
                where = " ".join(part for part in (
                    f"HOSO {p.hoso}" if p.hoso else "", p.table, p.field,
                    f"record {p.record}" if p.record else "",
                    f"MA_LK {p.ma_lk}" if p.ma_lk else "") if part)
                click.echo(f"{path}: {p.severity.upper()} [{p.code}] {where}")
                click.echo(f"  vi: {p.message_vi}")
                click.echo(f"  en: {p.message_en}")
            click.echo(f"{path}: {result.episodes} episode(s), {result.checkins} check-in "
                       f"record(s), {len(result.problems)} problem(s)")
    sys.exit(1 if errors else 0)
