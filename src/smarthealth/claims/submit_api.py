"""Submission routes: send an uploaded XML 130 file to BHXH or the Hanoi hub; list the log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.claims import submit
from smarthealth.core.auth import Principal, Role, allow
from smarthealth.core.deps import actor_of, db_session

router = APIRouter(prefix="/api/claims", tags=["claims"])

SUBMITTERS = (Role.cashier, Role.facility_admin, Role.admin)
Submitter = Annotated[Principal, Depends(allow(*SUBMITTERS))]
Session = Annotated[AsyncSession, Depends(db_session, scope="function")]


class SubmissionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    target: str
    kind: str
    facility_code: str
    ma_lk: str
    file_name: str
    sha256: str
    size: int
    sent_at: datetime
    answered_at: datetime | None
    status: str
    ma_ket_qua: str | None
    ma_giao_dich: str | None
    thoi_gian_tiep_nhan: str | None
    thong_diep: str | None
    submitted_by: str


class SubmissionDetail(SubmissionOut):
    response: dict | None


async def read_upload(upload: UploadFile) -> bytes:
    """The uploaded bytes, refusing more than the configured maximum."""
    limit = submit.get_claims_settings().max_file_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise submit.InvalidClaimFile(details={"problems": [submit._problem(
            "too_large", f"Tệp lớn hơn {limit} byte.", f"The file is larger than {limit} bytes.")]})
    return data


@router.get("/submissions", response_model=list[SubmissionOut])
async def list_submissions(
        principal: Submitter, session: Session,
        facility_code: str | None = None, target: Literal["bhxh", "hub"] | None = None,
        status: Literal["accepted", "rejected", "error"] | None = None,
        ma_lk: str | None = None, ma_giao_dich: str | None = None,
        since: datetime | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[SubmissionOut]:
    """The submission log, newest first (a facility's staff see their own facility only)."""
    rows = await submit.list_submissions(
        session, scope=principal.facility_scope(), facility_code=facility_code, target=target,
        status=status, ma_lk=ma_lk, ma_giao_dich=ma_giao_dich, since=since, limit=limit)
    return [SubmissionOut.model_validate(r) for r in rows]


@router.get("/submissions/{submission_id}", response_model=SubmissionDetail)
async def get_submission(submission_id: int, principal: Submitter, session: Session
                         ) -> SubmissionDetail:
    """One submission with the target's whole answer (reconciliation)."""
    row = await submit.get_submission(session, submission_id=submission_id,
                                      scope=principal.facility_scope())
    return SubmissionDetail.model_validate(row)


@router.post("/submissions", response_model=SubmissionDetail, status_code=201)
async def create_submission(
        request: Request, principal: Submitter, session: Session,
        file: Annotated[UploadFile, File()],
        target: Annotated[Literal["bhxh", "hub"] | None, Form()] = None,
        sign: Annotated[bool, Form()] = True,
) -> SubmissionDetail:
    """Validate the file (422 with every problem, nothing sent), sign it when unsigned, send it,
    and log the answer; 503 when the target cannot be reached (the attempt is logged too)."""
    data = await read_upload(file)
    try:
        row = await submit.submit(
            session, data=data, target=target or submit.get_claims_settings().default_target,
            actor=actor_of(request, principal), file_name=file.filename or "",
            facility_code=principal.facility_scope(), sign=sign)
    except submit.SubmissionUnavailable:
        await session.commit()  # keep the logged attempt
        raise
    return SubmissionDetail.model_validate(row)
