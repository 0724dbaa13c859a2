"""One error model: every error leaves as {"error": {code, message_vi, message_en, details}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    """Base of every error the platform raises on purpose."""

    status_code = 400
    code = "bad_request"
    message_vi = "Yêu cầu không hợp lệ."
    message_en = "The request is not valid."

    def __init__(
        self,
        message_en: str | None = None,
        message_vi: str | None = None,
        *,
        details: Any = None,
        code: str | None = None,
    ) -> None:
        if message_en is not None:
            self.message_en = message_en
        if message_vi is not None:
            self.message_vi = message_vi
        if code is not None:
            self.code = code
        self.details = details
        super().__init__(self.message_en)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message_vi": self.message_vi,
            "message_en": self.message_en,
            "details": self.details,
        }


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid_input"
    message_vi = "Dữ liệu gửi lên không hợp lệ."
    message_en = "The submitted data is not valid."


class NotFound(DomainError):
    status_code = 404
    code = "not_found"
    message_vi = "Không tìm thấy."
    message_en = "Not found."


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    message_vi = "Dữ liệu bị trùng hoặc xung đột."
    message_en = "The data conflicts with an existing record."


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"
    message_vi = "Bạn cần đăng nhập."
    message_en = "You need to sign in."


class PermissionDenied(DomainError):
    status_code = 403
    code = "permission_denied"
    message_vi = "Bạn không có quyền thực hiện thao tác này."
    message_en = "You are not allowed to do this."


class ServiceUnavailable(DomainError):
    status_code = 503
    code = "service_unavailable"
    message_vi = "Dịch vụ tạm thời không sẵn sàng, vui lòng thử lại sau."
    message_en = "The service is temporarily unavailable; please try again later."


_HTTP_MESSAGES = {
    400: ("bad_request", "Yêu cầu không hợp lệ.", "The request is not valid."),
    401: ("not_authenticated", "Bạn cần đăng nhập.", "You need to sign in."),
    403: ("permission_denied", "Bạn không có quyền.", "You are not allowed to do this."),
    404: ("not_found", "Không tìm thấy.", "Not found."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ.", "Method not allowed."),
    409: ("conflict", "Dữ liệu xung đột.", "Conflict."),
    413: ("too_large", "Dữ liệu gửi lên quá lớn.", "The request is too large."),
    415: ("unsupported_media_type", "Kiểu dữ liệu không được hỗ trợ.", "Unsupported media type."),
    422: ("invalid_input", "Dữ liệu gửi lên không hợp lệ.", "The submitted data is not valid."),
    429: ("too_many_requests", "Quá nhiều yêu cầu.", "Too many requests."),
}


def error_body(code: str, message_vi: str, message_en: str, details: Any = None) -> dict:
    return {"error": {"code": code, "message_vi": message_vi, "message_en": message_en,
                      "details": details}}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def _clean_validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    cleaned = []
    for err in exc.errors():
        cleaned.append(
            {
                "loc": [str(part) for part in err.get("loc", ())],
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
        )
    return cleaned


def install_error_handlers(app: FastAPI) -> None:
    """Turn every exception into the one JSON error model (or a sign-in redirect for pages)."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse | RedirectResponse:
        if isinstance(exc, NotAuthenticated) and _wants_html(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return JSONResponse(error_body(**exc.to_dict()), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        body = error_body(
            "invalid_input",
            "Dữ liệu gửi lên không hợp lệ.",
            "The submitted data is not valid.",
            _clean_validation_errors(exc),
        )
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, vi, en = _HTTP_MESSAGES.get(
            exc.status_code, ("http_error", "Lỗi yêu cầu.", "Request error.")
        )
        return JSONResponse(error_body(code, vi, en, None), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        body = error_body(
            "internal_error",
            "Hệ thống gặp lỗi, vui lòng thử lại sau.",
            "Internal error; please try again later.",
        )
        return JSONResponse(body, status_code=500)
