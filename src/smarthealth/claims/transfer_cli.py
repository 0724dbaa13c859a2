"""`smarthealth claims export ...` and `smarthealth claims import FILE...`."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from smarthealth.claims.cli import claims


def _day(_ctx: object, _param: object, value: str) -> object:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise click.BadParameter("use YYYY-MM-DD") from exc


@claims.command("export")
@click.option("--facility", "facilities", multiple=True, help="MACSKCB (repeatable)")
@click.option("--all-facilities", is_flag=True, help="every facility of the platform")
@click.option("--from", "start", required=True, callback=_day, help="first day (YYYY-MM-DD)")
@click.option("--to", "end", required=True, callback=_day, help="last day (YYYY-MM-DD)")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--sign/--no-sign", default=True, show_default=True,
              help="sign each file with the facility's seal (the demo CA issues one)")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="processes building and validating episodes (default: the number of cores)")
def export_command(facilities: tuple[str, ...], all_facilities: bool, start: object,
                   end: object, out: Path, sign: bool, jobs: int | None) -> None:
    """Write one file per finished BHYT episode of the period (<MACSKCB>_<MA_LK>.xml) and its
    check-in (<MACSKCB>_<MA_LK>_XML0.xml). Episodes that do not validate are listed and not
    written; the exit code is 1 when there is any."""
    from smarthealth.claims import export
    from smarthealth.claims.parallel import default_jobs
    from smarthealth.cli import run
    from smarthealth.core.db import get_database

    if bool(facilities) == all_facilities:
        raise click.UsageError("give --facility CODE (repeatable) or --all-facilities")
    result = run(export.export_period(
        get_database(), facility_codes=list(facilities) or None, start=start, end=end,
        out=out, sign=sign, jobs=jobs or default_jobs()))
    for bad in result.invalid:
        shown = "; ".join(f"{p.table}.{p.field}[{p.record}] {p.message_en}"
                          for p in bad.problems[:5])
        click.echo(f"NOT EXPORTED encounter {bad.encounter_id} MA_LK={bad.ma_lk}: {shown}")
    click.echo(f"finished encounters: {result.encounters}; not BHYT-covered: "
               f"{result.not_covered}; episode files: {result.episodes}; check-in files: "
               f"{result.checkins}; invalid: {len(result.invalid)}; "
               f"signed: {'yes' if sign else 'no'}; folder: {out}")
    sys.exit(1 if result.invalid else 0)


def _paths(items: tuple[Path, ...]) -> list[Path]:
    out: list[Path] = []
    for item in items:
        out += sorted(item.glob("*.xml")) if item.is_dir() else [item]
    return out


@claims.command("import")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--facility", default=None, help="accept only files of this facility (MACSKCB)")
@click.option("--chunk", default=500, show_default=True, help="files per transaction")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="processes reading and validating files (default: the number of cores)")
def import_command(files: tuple[Path, ...], facility: str | None, chunk: int,
                   jobs: int | None) -> None:
    """Import XML 130 files (or folders of them) from any vendor. A file with any problem is
    rejected whole (listed with its problems); a file already imported changes nothing. Exit
    code 1 when any file was rejected."""
    from tqdm import tqdm

    from smarthealth.claims import importing
    from smarthealth.claims.parallel import default_jobs
    from smarthealth.cli import run
    from smarthealth.core.audit import Actor
    from smarthealth.core.db import get_database

    paths = _paths(files)
    bar = tqdm(total=len(paths), unit="file", disable=len(paths) < 50, file=sys.stderr)
    result = run(importing.import_files(
        get_database(), files=paths,
        actor=Actor(name="cli", role="system", facility_code=facility), scope=facility,
        chunk=chunk, progress=bar.update,
        jobs=min(jobs or default_jobs(), max(1, len(paths) // 50))))
    bar.close()
    for outcome in result.files:
        if outcome.status == "rejected":
            click.echo(f"REJECTED {outcome.name}: {len(outcome.problems)} problem(s)")
            for p in outcome.problems[:20]:
                click.echo(f"  {p.table or '-'}.{p.field or '-'}[{p.record}] {p.code}: "
                           f"{p.message_vi} / {p.message_en}" + (f" ({p.value})" if p.value
                                                                 else ""))
    summary = result.summary()
    click.echo("files: {files}; imported: {imported} ({episodes_imported} episodes); "
               "unchanged: {unchanged}; check-in only: {checkin_only}; rejected: {rejected}"
               .format(**summary))
    sys.exit(1 if summary["rejected"] else 0)
