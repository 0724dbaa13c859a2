"""Claims transfer routes: upload XML 130 files from any vendor's software to import them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.claims import importing
from smarthealth.core.auth import Principal, Role, allow
from smarthealth.core.deps import actor_of, db_session
from smarthealth.core.errors import InvalidInput

router = APIRouter(prefix="/api/claims", tags=["claims"])

Importer = Annotated[Principal, Depends(allow(Role.admin, Role.facility_admin))]
Session = Annotated[AsyncSession, Depends(db_session, scope="function")]
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FILES = 200


class ImportedFile(BaseModel):
    name: str
    status: str  # imported / unchanged / rejected / checkin
    episodes: int
    ma_lk: list[str]
    problems: list[dict[str, object]]


class ImportOut(BaseModel):
    files: int
    imported: int
    episodes_imported: int
    unchanged: int
    rejected: int
    checkin_only: int
    results: list[ImportedFile]


@router.post("/imports", response_model=ImportOut)
async def import_claim_files(request: Request, principal: Importer, session: Session,
                             files: Annotated[list[UploadFile], File()]) -> ImportOut:
    """Import XML 130 files: each is validated (a bad file is rejected whole, with its
    problems) and written in its own savepoint; re-sending a file changes nothing. A facility
    admin may import only files of their own facility."""
    if len(files) > MAX_FILES:
        raise InvalidInput(f"At most {MAX_FILES} files per upload.",
                           f"Tối đa {MAX_FILES} tệp mỗi lần tải lên.", code="too_many_files")
    loaded = []
    for upload in files:
        data = await upload.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise InvalidInput(f"{upload.filename} is larger than {MAX_FILE_BYTES} bytes.",
                               f"Tệp {upload.filename} lớn hơn {MAX_FILE_BYTES} byte.",
                               code="file_too_large")
        loaded.append((upload.filename or "upload.xml", data))
    result = await importing.import_in_session(
        session, files=loaded, actor=actor_of(request, principal),
        scope=principal.facility_scope())
    return ImportOut(**result.summary(), results=[
        ImportedFile(name=f.name, status=f.status, episodes=f.episodes, ma_lk=f.ma_lk,
                     problems=[p.as_dict() for p in f.problems]) for f in result.files])
