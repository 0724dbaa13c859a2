"""The claims submission page `/claims`: upload a file, see its problems or send it, and the log.

A router without prefix: app.py includes it (`app.include_router(claims_pages.router)`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.claims import submit
from smarthealth.claims.submit_api import SUBMITTERS, read_upload
from smarthealth.core.auth import Principal, allow
from smarthealth.core.deps import actor_of, db_session
from smarthealth.web.render import render

router = APIRouter(include_in_schema=False)

Submitter = Annotated[Principal, Depends(allow(*SUBMITTERS))]
Session = Annotated[AsyncSession, Depends(db_session, scope="function")]
STATUSES = ("accepted", "rejected", "error")


def received_label(text: str | None) -> str:
    """The gateway's thoiGianTiepNhan (yyyyMMddHHmmss, Hanoi time) as dd/mm/yyyy HH:MM:SS."""
    if not text or len(text) != 14 or not text.isdigit():
        return text or ""
    return f"{text[6:8]}/{text[4:6]}/{text[:4]} {text[8:10]}:{text[10:12]}:{text[12:]}"


async def _page(request: Request, session: AsyncSession, principal: Principal, *,
                status: str | None = None, result: dict[str, Any] | None = None,
                status_code: int = 200) -> Response:
    rows = await submit.list_submissions(session, scope=principal.facility_scope(),
                                         status=status if status in STATUSES else None, limit=50)
    return render(request, "claims/submissions.html", {
        "rows": rows, "result": result, "status": status, "statuses": STATUSES,
        "targets": submit.TARGETS, "default_target": submit.get_claims_settings().default_target,
        "facility_code": principal.facility_code, "received": received_label},
        status_code=status_code)


@router.get("/claims")
async def claims_page(request: Request, principal: Submitter, session: Session,
                      status: str | None = None) -> Response:
    """Upload form and the facility's recent submissions."""
    return await _page(request, session, principal, status=status)


@router.post("/claims")
async def claims_upload(request: Request, principal: Submitter, session: Session,
                        file: Annotated[UploadFile, File()],
                        target: Annotated[Literal["bhxh", "hub"], Form()] = "bhxh",
                        action: Annotated[Literal["check", "submit"], Form()] = "check"
                        ) -> Response:
    """Check the uploaded file (nothing is sent), or check and send it."""
    name = file.filename or ""
    result: dict[str, Any] = {"file_name": name, "action": action, "target": target}
    try:
        data = await read_upload(file)
        if action == "check":
            facts, problems = submit.check_file(data)
            scope = principal.facility_scope()
            if scope and facts.facility_code and facts.facility_code != scope:
                problems.append(submit._problem(
                    "other_facility", f"Tệp của cơ sở {facts.facility_code}.",
                    f"The file belongs to facility {facts.facility_code}.", field_name="MACSKCB"))
            result.update(kind="problems" if problems else "valid", problems=problems,
                          facts=facts)
        else:
            row = await submit.submit(session, data=data, target=target,
                                      actor=actor_of(request, principal), file_name=name,
                                      facility_code=principal.facility_scope())
            result.update(kind="sent", row=row)
    except submit.InvalidClaimFile as exc:
        result.update(kind="problems", problems=(exc.details or {}).get("problems", []))
    except submit.SubmissionUnavailable as exc:
        await session.commit()  # keep the logged attempt
        result.update(kind="error", error=exc)
    return await _page(request, session, principal, result=result)
