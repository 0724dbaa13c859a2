"""`smarthealth claims submit FILE...` and `smarthealth claims submissions`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from smarthealth.claims.cli import claims


@claims.command("submit")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False,
                                                                 path_type=Path))
@click.option("--target", type=click.Choice(["bhxh", "hub"]), default=None,
              help="where to send (default: SMARTHEALTH_CLAIMS_DEFAULT_TARGET, bhxh)")
@click.option("--facility", default=None, help="refuse files of any other facility (MACSKCB)")
@click.option("--no-sign", is_flag=True, help="send unsigned files as they are")
def submit_command(files: tuple[Path, ...], target: str | None, facility: str | None,
                   no_sign: bool) -> None:
    """Validate, sign (when unsigned) and send each file; one line per file; exit 1 on any
    rejection or error. Every attempt is logged (`smarthealth claims submissions`)."""
    from smarthealth.claims import submit
    from smarthealth.cli import run
    from smarthealth.core.audit import Actor
    from smarthealth.core.db import get_database

    chosen = target or submit.get_claims_settings().default_target
    actor = Actor(name="cli", role="system", facility_code=facility)

    async def _one(path: Path) -> tuple[bool, str]:
        async with get_database().session() as session:
            try:
                row = await submit.submit(session, data=path.read_bytes(), target=chosen,
                                          actor=actor, file_name=path.name,
                                          facility_code=facility, sign=not no_sign)
            except submit.InvalidClaimFile as exc:
                problems = (exc.details or {}).get("problems", [])
                shown = "; ".join(f"{p.get('table') or '-'}.{p.get('field') or '-'}"
                                  f"[{p.get('record') or '-'}] {p.get('message_en')}"
                                  for p in problems[:10])
                more = f" (+{len(problems) - 10} more)" if len(problems) > 10 else ""
                return False, f"{path}: NOT SENT, {len(problems)} problem(s): {shown}{more}"
            except submit.SubmissionUnavailable as exc:
                await session.commit()
                return False, f"{path}: ERROR {exc.message_en} {exc.details}"
        if row.status == "accepted":
            return True, (f"{path}: accepted by {chosen} maGiaoDich={row.ma_giao_dich} "
                          f"thoiGianTiepNhan={row.thoi_gian_tiep_nhan} MA_LK={row.ma_lk}")
        return False, f"{path}: REJECTED by {chosen} maKetQua={row.ma_ket_qua} {row.thong_diep}"

    async def _all() -> bool:
        ok = True
        for path in files:
            good, line = await _one(path)
            click.echo(line)
            ok = ok and good
        return ok

    if not run(_all()):
        sys.exit(1)


@claims.command("submissions")
@click.option("--facility", default=None)
@click.option("--target", type=click.Choice(["bhxh", "hub"]), default=None)
@click.option("--status", type=click.Choice(["accepted", "rejected", "error"]), default=None)
@click.option("--ma-lk", default=None)
@click.option("--limit", default=50, show_default=True, type=int)
def submissions_command(facility: str | None, target: str | None, status: str | None,
                        ma_lk: str | None, limit: int) -> None:
    """The submission log, newest first (tab-separated)."""
    from smarthealth.claims import submit
    from smarthealth.cli import run
    from smarthealth.core.db import get_database
    from smarthealth.core.i18n import local_time

    async def _list() -> list:
        async with get_database().session() as session:
            return await submit.list_submissions(session, scope=None, facility_code=facility,
                                                 target=target, status=status, ma_lk=ma_lk,
                                                 limit=limit)

    rows = run(_list())
    click.echo("id\tsent_at\ttarget\tfacility\tstatus\tmaKetQua\tmaGiaoDich\tMA_LK\tmessage")
    for r in rows:
        click.echo(f"{r.id}\t{local_time(r.sent_at)}\t{r.target}\t{r.facility_code}\t{r.status}\t"
                   f"{r.ma_ket_qua or ''}\t{r.ma_giao_dich or ''}\t{r.ma_lk}\t"
                   f"{(r.thong_diep or '')[:120]}")
