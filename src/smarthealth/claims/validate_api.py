"""`POST /api/claims/validate`: check an XML 130 file (multipart upload or raw XML body)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from smarthealth.core.auth import Principal, Role, allow
from smarthealth.core.errors import DomainError, InvalidInput

router = APIRouter(prefix="/api/claims", tags=["claims"])

MAX_BYTES = 50 * 1024 * 1024
Checker = Annotated[Principal, Depends(allow(Role.cashier, Role.facility_admin, Role.admin,
                                             Role.department_analyst))]


class FileTooLarge(DomainError):
    status_code = 413
    code = "file_too_large"
    message_vi = "Tệp quá lớn (tối đa 50 MB)."
    message_en = "The file is too large (at most 50 MB)."


async def _payload(request: Request) -> bytes:
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("Send the XML file in the multipart field 'file'.",
                               "Hãy gửi tệp XML trong trường 'file' của biểu mẫu.",
                               code="no_file")
        return await upload.read()
    return await request.body()


@router.post("/validate")
async def validate_upload(request: Request, principal: Checker,
                          warnings: bool = False) -> dict[str, Any]:
    """Problems of one XML 130 file (GIAMDINHHS or XML0) and the number of episodes in it."""
    from smarthealth.claims.validate import check_file

    data = await _payload(request)
    if len(data) > MAX_BYTES:
        raise FileTooLarge()
    if not data.strip():
        raise InvalidInput("The file is empty.", "Tệp rỗng.", code="empty_file")
    result = await run_in_threadpool(check_file, data, warnings=warnings)
    problems = [p.as_dict() for p in result.problems]
    if any(p["code"] == "not_xml" for p in problems):
        raise InvalidInput("The file is not XML: it cannot be read as an XML 130 file.",
                           "Tệp không phải XML nên không đọc được theo chuẩn XML 130.",
                           code="not_xml", details={"problems": problems})
    return {"problems": problems, "episodes": result.episodes, "checkins": result.checkins}
