"""Claim submission routes of the BHXH simulator (insurance/simulator.py mounts them).

BHXH: `/api/qd130/guiHoSoXmlQD3176`, `/api/qd130/checkInKcbQd3176` (and the QD4750 names),
tokens from the simulator's own `/api/token/take`. Hanoi hub: `/api/auth/token/take`,
`/api/kcb/xml/qd3176/guiHoSoXml`, `/api/kcb/tra-cuu-trang-thai`. A file is accepted when its
token is good, its base64 decodes, its XML parses with the right root, the facility fields
agree, its signature (if any) verifies, and the validator (claims.validate, once installed)
finds nothing. The rejection codes are the simulator's own (the real ones are not public):

    200 accepted · 401 token · 205 missing field · 400 not base64 / not XML / wrong root ·
    402 signature missing or invalid · 403 facility fields disagree · 422 content invalid
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass
class SubmissionSimState:
    """Hub tokens and every transaction the simulator answered (tests look them up)."""

    require_signature: bool = True
    hub_tokens: dict[str, float] = field(default_factory=dict)
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    forced: str | None = None  # a result code to answer every submission with (tests)
    _serial: Any = field(default_factory=lambda: count(1))

    def next_transaction(self, facility: str, now: datetime) -> str:
        return f"{facility or '00000'}{now:%Y%m%d%H%M%S}{next(self._serial):06d}"


def _answer(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"maKetQua": code, "maGiaoDich": None, "thoiGianTiepNhan": None,
            "thongDiep": message, **extra}


def examine(data: bytes, *, kind: str, facility: str, require_signature: bool
            ) -> tuple[str, str, dict[str, Any]]:
    """(result code, message, facts) for a decoded file."""
    from smarthealth.claims import signing, submit
    from smarthealth.claims.validate import validate_file

    facts = submit.file_facts(data)
    expected_root = "checkin" if kind == "checkin" else "claim"
    if facts.problems:
        first = facts.problems[0]
        return "400", f"{first['message_vi']} / {first['message_en']}", {}
    if facts.kind != expected_root:
        return "400", ("Sai loại hồ sơ cho hàm này / wrong file kind for this call "
                       f"({facts.kind})"), {}
    if facility and facts.facility_code != facility:
        return "403", (f"MACSKCB {facts.facility_code} khác maCSKCB {facility} / "
                       "facility fields disagree"), {}
    if facts.signed:
        check = signing.verify_envelope(data)
        if not check.valid:
            return "402", f"Chữ ký số không hợp lệ / invalid signature ({check.reason})", {}
        if not (check.subject or "").endswith(f"({facts.facility_code})"):
            # stands in for the gateway's list of each facility's registered certificates
            return "402", (f"Chứng thư số {check.subject} không được đăng ký cho cơ sở "
                           f"{facts.facility_code} / certificate not registered for the "
                           "facility"), {}
    elif require_signature:
        return "402", "Hồ sơ chưa có chữ ký số CHUKYDONVI / the file is not signed", {}
    problems = [p for p in map(submit._as_dict, validate_file(data))
                if p.get("severity", "error") == "error"]
    if problems:
        shown = "; ".join(f"{p.get('table')}.{p.get('field')}: {p.get('message_vi')}"
                          for p in problems[:5])
        return "422", f"Hồ sơ có {len(problems)} lỗi / {len(problems)} problems: {shown}", {}
    return "200", "Tiếp nhận thành công / accepted", {"ma_lk": facts.ma_lks,
                                                        "facility_code": facts.facility_code}


def add_submission_routes(app: FastAPI, sim: Any) -> None:
    """Mount the submission routes on the simulator app; state in `app.state.claims_sim`."""
    from smarthealth.insurance.simulator import _form

    state = SubmissionSimState()
    app.state.claims_sim = state

    def receive(form: dict[str, str], *, target: str, kind: str) -> dict[str, Any]:
        facility = form.get("maCSKCB") or form.get("ma_cskcb") or ""
        encoded = form.get("fileHSBase64") or form.get("file_hs_base64") or ""
        if not encoded or not facility:
            return _answer("205", "Thiếu tham số / missing field (maCSKCB, fileHSBase64)")
        province = form.get("maTinh") or form.get("ma_tinh") or ""
        if target == "bhxh" and province != facility[:2]:
            return _answer("403", f"maTinh {province} khác {facility[:2]} / province mismatch")
        try:
            data = base64.b64decode("".join(encoded.split()), validate=True)
        except (binascii.Error, ValueError):
            return _answer("400", "fileHSBase64 không phải base64 / not base64")
        code, message, facts = examine(data, kind=kind, facility=facility,
                                       require_signature=state.require_signature)
        if state.forced:
            code, message = state.forced, f"forced {state.forced}"
        if code != "200":
            return _answer(code, message)
        now = datetime.now(HANOI)
        transaction = state.next_transaction(facility, now)
        received = f"{now:%Y%m%d%H%M%S}"
        state.transactions[transaction] = {
            "target": target, "kind": kind, "facility_code": facility, "received": received,
            "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), **facts,
            "trang_thai": "da_tiep_nhan"}
        return {"maKetQua": "200", "maGiaoDich": transaction, "thoiGianTiepNhan": received,
                "thongDiep": message}

    async def bhxh(request: Request, kind: str) -> JSONResponse:
        sim.stats[f"claims_{kind}"] += 1
        if (switched := await sim.switches()) is not None:
            return switched
        form = await _form(request)
        access = request.headers.get("accessToken") or form.get("token", "")
        id_token = request.headers.get("tokenId") or form.get("id_token", "")
        if not sim.token_ok(access, id_token):
            return JSONResponse(_answer("401", "Token không hợp lệ / invalid token"))
        return JSONResponse(receive(form, target="bhxh", kind=kind))

    def bhxh_route(kind: str) -> Any:
        async def route(request: Request) -> JSONResponse:
            return await bhxh(request, kind)
        return route

    for path, kind in (("/api/qd130/guiHoSoXmlQD3176", "claim"),
                       ("/api/qd130/guiHoSoXmlQD4750", "claim"),
                       ("/api/qd130/checkInKcbQd3176", "checkin"),
                       ("/api/qd130/checkInKcbQd4750", "checkin")):
        app.add_api_route(path, bhxh_route(kind), methods=["POST"])

    def hub_token_ok(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        return state.hub_tokens.get(token, 0.0) > time.monotonic()

    @app.post("/api/auth/token/take")
    async def hub_login(request: Request) -> JSONResponse:
        if (switched := await sim.switches()) is not None:
            return switched
        form = await _form(request)
        if not form.get("username") or not form.get("password"):
            return JSONResponse({"maKetQua": "401", "access_token": None}, status_code=401)
        token = secrets.token_hex(16)
        state.hub_tokens[token] = time.monotonic() + sim.config.token_ttl_seconds
        return JSONResponse({"maKetQua": "200", "access_token": token, "token_type": "Bearer",
                             "expires_in": sim.config.token_ttl_seconds})

    @app.post("/api/kcb/xml/qd3176/guiHoSoXml")
    async def hub_submit(request: Request) -> JSONResponse:
        sim.stats["claims_hub"] += 1
        if (switched := await sim.switches()) is not None:
            return switched
        if not hub_token_ok(request):
            return JSONResponse(_answer("401", "Token không hợp lệ / invalid token"))
        form = await _form(request)
        if form.get("loai_ho_so") != "3176" or form.get("ma_tinh") != "HN":
            return JSONResponse(_answer("205", "loai_ho_so=3176 và ma_tinh=HN / wrong parameters"))
        kind = "checkin" if form.get("loai_file") == "checkin" else "claim"
        return JSONResponse(receive(form, target="hub", kind=kind))

    @app.api_route("/api/kcb/tra-cuu-trang-thai", methods=["GET", "POST"])
    async def hub_status(request: Request) -> JSONResponse:
        if (switched := await sim.switches()) is not None:
            return switched
        if not hub_token_ok(request):
            return JSONResponse(_answer("401", "Token không hợp lệ / invalid token"))
        form = await _form(request)
        found = state.transactions.get(form.get("ma_giao_dich", ""))
        if found is None:
            return JSONResponse(_answer("404", "Không tìm thấy giao dịch / unknown transaction"))
        return JSONResponse({"maKetQua": "200", "maGiaoDich": form["ma_giao_dich"],
                             "thoiGianTiepNhan": found["received"], "thongDiep": "",
                             "data": found})

    @app.get("/_sim/submissions")
    async def transactions() -> dict[str, Any]:
        return {"transactions": state.transactions}

    @app.get("/_sim/submissions/{ma_giao_dich}")
    async def transaction(ma_giao_dich: str) -> JSONResponse:
        found = state.transactions.get(ma_giao_dich)
        return JSONResponse(found or {"error": "unknown"}, status_code=200 if found else 404)

    @app.post("/_sim/submissions/config")
    async def configure(request: Request) -> dict[str, Any]:
        body = await request.json()
        if "require_signature" in body:
            state.require_signature = bool(body["require_signature"])
        if "forced" in body:
            state.forced = body["forced"] or None
        return {"require_signature": state.require_signature, "forced": state.forced}
