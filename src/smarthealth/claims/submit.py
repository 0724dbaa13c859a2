"""Submission of XML 130 files to the BHXH gateway or the Hanoi hub; every answer is kept.

BHXH (insurance.md §5.1 [vendor]): the token call of insurance/gateway.py (`/api/token/take`,
MD5 password), then `POST /api/qd130/guiHoSoXmlQD3176` (claims) or `checkInKcbQd3176` (XML0),
form-urlencoded `loaiHoSo`, `maTinh`, `maCSKCB`, `fileHSBase64`, headers `accessToken`/`tokenId`;
the answer holds `maKetQua` ("200" = accepted), `maGiaoDich`, `thoiGianTiepNhan`, `thongDiep`.
Hanoi hub (insurance.md §5.2 [vendor]): login `/api/auth/token/take`, submit
`/api/kcb/xml/qd3176/guiHoSoXml` with `loai_ho_so=3176`, `ma_tinh=HN`, status
`/api/kcb/tra-cuu-trang-thai`. The hub's field names and answer shape are not public
(Uncertain): the client sends snake_case fields and reads either spelling of the answer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from lxml import etree
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.claims import signing
from smarthealth.claims.config import ClaimsSettings, get_claims_settings
from smarthealth.claims.submission_models import ClaimSubmission
from smarthealth.claims.validate import validate_file
from smarthealth.core import audit, outbox
from smarthealth.core.audit import Actor
from smarthealth.core.db import utcnow
from smarthealth.core.errors import InvalidInput, NotFound, ServiceUnavailable
from smarthealth.emr import pki
from smarthealth.insurance.gateway import password_md5

TARGETS = ("bhxh", "hub")
ACCEPTED = "200"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


class SubmissionUnavailable(ServiceUnavailable):
    code = "claims_target_unavailable"
    message_vi = "Không kết nối được cổng tiếp nhận hồ sơ; tệp chưa được gửi, hãy gửi lại sau."
    message_en = ("The receiving gateway cannot be reached; the file was not sent, "
                  "send it again later.")


class InvalidClaimFile(InvalidInput):
    code = "claims_invalid_file"
    message_vi = "Tệp XML có lỗi nên không được gửi đi."
    message_en = "The XML file has problems and was not sent."


# --- what a file is ----------------------------------------------------------------------------


@dataclass
class FileFacts:
    """What the log needs to know about a file: kind, facility, episode keys."""

    kind: str  # claim (GIAMDINHHS) / checkin (XML0)
    facility_code: str
    ma_lks: list[str]
    signed: bool
    problems: list[dict[str, Any]] = field(default_factory=list)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _child_text(element: etree._Element, name: str) -> str:
    for child in element.iter():
        if _local(child) == name:
            return (child.text or "").strip()
    return ""


def _problem(code: str, message_vi: str, message_en: str, *, table: str = "",
             field_name: str = "", value: str = "") -> dict[str, Any]:
    return {"table": table, "field": field_name, "record": None, "ma_lk": "", "code": code,
            "message_vi": message_vi, "message_en": message_en, "value": value}


def file_facts(data: bytes) -> FileFacts:
    """Kind, facility, MA_LK list and structural problems of a GIAMDINHHS or XML0 file."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        return FileFacts("claim", "", [], False, [_problem(
            "malformed_xml", f"Tệp không phải XML hợp lệ: {exc}", f"Not well-formed XML: {exc}")])
    signed = any(_local(c) == "Signature" for slot in root if _local(slot) == "CHUKYDONVI"
                 for c in slot)
    if _local(root) == signing.CHECKIN_ROOT:
        records = [r for r in root.iter() if _local(r) == "TRANG_THAI_KCB"]
        facility = next((_child_text(r, "MA_CSKCB") for r in records), "")
        facts = FileFacts("checkin", facility, [_child_text(r, "MA_LK") for r in records], signed)
        if not records:
            facts.problems.append(_problem(
                "no_records", "Tệp XML0 không có bản ghi TRANG_THAI_KCB.",
                "The XML0 file has no TRANG_THAI_KCB record.", table="XML0"))
        return facts
    if _local(root) != signing.ENVELOPE_ROOT:
        return FileFacts("claim", "", [], signed, [_problem(
            "wrong_root", f"Phần tử gốc {_local(root)} không phải GIAMDINHHS hoặc "
            "CHI_TIEU_TRANG_THAI_KCB.", f"The root {_local(root)} is neither GIAMDINHHS nor "
            "CHI_TIEU_TRANG_THAI_KCB.", value=_local(root))])
    facts = FileFacts("claim", _child_text(root, "MACSKCB"), [], signed)
    if not facts.facility_code:
        facts.problems.append(_problem("missing_facility", "Thiếu MACSKCB trong THONGTINDONVI.",
                                       "MACSKCB is missing from THONGTINDONVI.",
                                       field_name="MACSKCB"))
    hosos = [h for h in root.iter() if _local(h) == "HOSO"]
    if not hosos:
        facts.problems.append(_problem("no_episode", "Tệp không có HOSO nào.",
                                       "The file holds no HOSO."))
    for hoso in hosos:
        facts.ma_lks.append(_xml1_ma_lk(hoso, facts.problems))
    return facts


def _xml1_ma_lk(hoso: etree._Element, problems: list[dict[str, Any]]) -> str:
    """Decode each FILEHOSO of one HOSO (reporting bad base64/XML); the MA_LK of its XML1."""
    ma_lk = ""
    for file_ in (f for f in hoso if _local(f) == "FILEHOSO"):
        kind = _child_text(file_, "LOAIHOSO")
        content = _child_text(file_, "NOIDUNGFILE")
        try:
            inner = etree.fromstring(base64.b64decode("".join(content.split()), validate=True),
                                     _PARSER)
        except (binascii.Error, ValueError, etree.XMLSyntaxError) as exc:
            problems.append(_problem(
                "bad_inner_file", f"NOIDUNGFILE của {kind} không giải mã được: {exc}",
                f"NOIDUNGFILE of {kind} cannot be decoded: {exc}", table=kind,
                field_name="NOIDUNGFILE"))
            continue
        if kind == "XML1":
            ma_lk = _child_text(inner, "MA_LK")
    return ma_lk


def _as_dict(problem: Any) -> dict[str, Any]:
    if isinstance(problem, dict):
        return problem
    if is_dataclass(problem):
        return asdict(problem)
    return {name: getattr(problem, name, None) for name in (
        "table", "field", "record", "ma_lk", "code", "message_vi", "message_en", "value")}


def check_file(data: bytes) -> tuple[FileFacts, list[dict[str, Any]]]:
    """Structural checks, the signature if there is one, then claims.validate.validate_file."""
    facts = file_facts(data)
    problems = list(facts.problems)
    if facts.signed and not problems:
        check = signing.verify_envelope(data, trust_roots=trust_roots())
        if not check.valid:
            problems.append(_problem(
                "bad_signature", f"Chữ ký số trong CHUKYDONVI không hợp lệ ({check.reason}).",
                f"The signature in CHUKYDONVI is not valid ({check.reason}).",
                field_name="CHUKYDONVI", value=check.reason))
    if not problems:
        problems.extend(found for found in map(_as_dict, validate_file(data))
                        if found.get("severity", "error") == "error")  # warnings never block
    return facts, problems


def trust_roots() -> list[x509.Certificate]:
    """The demo CA plus the CAs of SMARTHEALTH_CLAIMS_TRUSTED_CA_FILE."""
    path = get_claims_settings().trusted_ca_file
    extra = _load_bundle(path, Path(path).stat().st_mtime_ns) if path else []
    return [pki.load_ca_certificate(), *extra]


@lru_cache(maxsize=4)
def _load_bundle(path: str, _mtime_ns: int) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(Path(path).read_bytes())


# --- the targets' protocols --------------------------------------------------------------------


def _pick(body: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = body.get(name)
        if value not in (None, ""):
            return str(value)
    data = body.get("data")
    if isinstance(data, dict):
        return _pick(data, *names)
    return None


@dataclass
class Answer:
    """A target's answer, normalised."""

    ma_ket_qua: str | None
    ma_giao_dich: str | None
    thoi_gian_tiep_nhan: str | None
    thong_diep: str | None
    raw: dict[str, Any]

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Answer:
        return cls(_pick(body, "maKetQua", "ma_ket_qua", "code"),
                   _pick(body, "maGiaoDich", "ma_giao_dich"),
                   _pick(body, "thoiGianTiepNhan", "thoi_gian_tiep_nhan"),
                   _pick(body, "thongDiep", "thong_diep", "message"), body)

    @property
    def accepted(self) -> bool:
        return self.ma_ket_qua == ACCEPTED


class _Client:
    """Shared HTTP plumbing: bounded timeouts, failures as SubmissionUnavailable."""

    def __init__(self, settings: ClaimsSettings, transport: httpx.AsyncBaseTransport | None
                 ) -> None:
        self.settings = settings
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(settings.timeout_seconds),
                                       transport=transport)
        self._token: tuple[dict[str, str], float] | None = None

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _post(self, url: str, *, what: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        try:
            response = await self._http.post(url, **kwargs)
        except httpx.TimeoutException as exc:
            raise _unavailable(what, "timeout", url) from exc
        except httpx.HTTPError as exc:
            raise _unavailable(what, type(exc).__name__, url) from exc
        if response.status_code >= 500:
            raise _unavailable(what, f"HTTP {response.status_code}", url)
        try:
            body = response.json()
        except ValueError as exc:
            raise _unavailable(what, "unreadable answer", url) from exc
        if not isinstance(body, dict):
            raise _unavailable(what, "unexpected answer", url)
        return response.status_code, body

    async def headers(self, *, fresh: bool = False) -> dict[str, str]:
        if fresh or self._token is None or self._token[1] <= time.monotonic():
            self._token = (await self.login(), time.monotonic() + 600)
        return self._token[0]

    async def login(self) -> dict[str, str]:
        raise NotImplementedError

    async def send(self, data: bytes, *, kind: str, facility_code: str) -> Answer:
        """Send once; on an authentication answer, log in again and send once more."""
        status, body = await self._send(data, kind=kind, facility_code=facility_code,
                                        headers=await self.headers())
        if status == 401 or str(_pick(body, "maKetQua", "ma_ket_qua")) == "401":
            status, body = await self._send(data, kind=kind, facility_code=facility_code,
                                            headers=await self.headers(fresh=True))
        return Answer.from_body(body)

    async def _send(self, data: bytes, *, kind: str, facility_code: str,
                    headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError


def _unavailable(what: str, reason: str, url: str) -> SubmissionUnavailable:
    return SubmissionUnavailable(details={"target": what, "reason": reason, "url": url})


class BhxhClient(_Client):
    """The BHXH assessment gateway (egw.baohiemxahoi.gov.vn)."""

    name = "bhxh"

    async def login(self) -> dict[str, str]:
        s = self.settings
        status, body = await self._post(s.bhxh_base_url + s.bhxh_token_path, what=self.name,
                                        data={"username": s.bhxh_username,
                                              "password": password_md5(
                                                  s.bhxh_password, s.bhxh_password_md5_case)})
        key = body.get("APIKey") if isinstance(body.get("APIKey"), dict) else None
        if status == 401 or key is None or not key.get("access_token"):
            raise SubmissionUnavailable(
                "The BHXH gateway refused the facility account (token call).",
                "Cổng BHXH từ chối tài khoản cơ sở (lấy token).",
                details={"target": self.name, "token_result": body.get("maKetQua")})
        return {"accessToken": str(key["access_token"]), "tokenId": str(key.get("id_token", ""))}

    async def _send(self, data: bytes, *, kind: str, facility_code: str,
                    headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        s = self.settings
        path = s.bhxh_checkin_path if kind == "checkin" else s.bhxh_submit_path
        form = {"loaiHoSo": s.bhxh_loai_ho_so, "maTinh": facility_code[:2],
                "maCSKCB": facility_code, "fileHSBase64": base64.b64encode(data).decode()}
        return await self._post(s.bhxh_base_url + path, what=self.name, data=form,
                                headers=headers)


class HubClient(_Client):
    """The Hanoi Department of Health data hub (axis-soyt.hanoi.gov.vn)."""

    name = "hub"

    async def login(self) -> dict[str, str]:
        s = self.settings
        status, body = await self._post(s.hub_auth_base_url + s.hub_token_path, what=self.name,
                                        data={"username": s.hub_username,
                                              "password": s.hub_password})
        token = _pick(body, "access_token", "accessToken", "token")
        if status == 401 or not token:
            raise SubmissionUnavailable(
                "The Hanoi health hub refused the facility account (login).",
                "Trục dữ liệu y tế Hà Nội từ chối tài khoản cơ sở (đăng nhập).",
                details={"target": self.name})
        return {"Authorization": f"Bearer {token}"}

    async def _send(self, data: bytes, *, kind: str, facility_code: str,
                    headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        s = self.settings
        form = {"loai_ho_so": s.hub_loai_ho_so, "ma_tinh": s.hub_ma_tinh,
                "ma_cskcb": facility_code, "loai_file": kind,
                "file_hs_base64": base64.b64encode(data).decode()}
        return await self._post(s.hub_base_url + s.hub_submit_path, what=self.name, data=form,
                                headers=headers)

    async def status(self, *, ma_giao_dich: str) -> Answer:
        """The hub's status of one transaction."""
        s = self.settings
        _, body = await self._post(s.hub_base_url + s.hub_status_path, what=self.name,
                                   data={"ma_giao_dich": ma_giao_dich},
                                   headers=await self.headers())
        return Answer.from_body(body)


def client_for(target: str, *, settings: ClaimsSettings | None = None,
               transport: httpx.AsyncBaseTransport | None = None) -> BhxhClient | HubClient:
    settings = settings or get_claims_settings()
    if target not in TARGETS:
        raise InvalidInput(f"unknown target {target!r}; use bhxh or hub",
                           f"đích gửi {target!r} không hợp lệ; dùng bhxh hoặc hub")
    return (BhxhClient if target == "bhxh" else HubClient)(settings, transport)


# --- the service -------------------------------------------------------------------------------


async def _facility_name(session: AsyncSession, code: str) -> str:
    from smarthealth.registry import service as registry

    try:
        return (await registry.get_facility(session, code=code)).name
    except Exception:  # noqa: BLE001 - an unregistered facility still gets a seal named by code
        return code


async def prepare(session: AsyncSession, *, data: bytes, facility_code: str | None = None,
                  sign: bool = True) -> tuple[bytes, FileFacts]:
    """Validate (raise InvalidClaimFile with every problem) and sign an unsigned file."""
    settings = get_claims_settings()
    if len(data) > settings.max_file_bytes:
        raise InvalidClaimFile(details={"problems": [_problem(
            "too_large", f"Tệp lớn hơn {settings.max_file_bytes} byte.",
            f"The file is larger than {settings.max_file_bytes} bytes.")]})
    facts, problems = check_file(data)
    if facility_code is not None and facts.facility_code and facts.facility_code != facility_code:
        problems.append(_problem(
            "other_facility", f"Tệp của cơ sở {facts.facility_code}, không phải {facility_code}.",
            f"The file belongs to facility {facts.facility_code}, not {facility_code}.",
            field_name="MACSKCB", value=facts.facility_code))
    if problems:
        raise InvalidClaimFile(details={"problems": problems, "facility_code": facts.facility_code,
                                        "ma_lk": facts.ma_lks})
    if sign and not facts.signed:
        signer = signing.facility_xml_signer(
            facility_code=facts.facility_code,
            facility_name=await _facility_name(session, facts.facility_code))
        data = signing.sign_file(data, signer=signer)
        facts.signed = True
    return data, facts


async def submit(session: AsyncSession, *, data: bytes, target: str, actor: Actor,
                 file_name: str = "", facility_code: str | None = None, sign: bool = True,
                 client: BhxhClient | HubClient | None = None) -> ClaimSubmission:
    """Validate, sign if unsigned, send, and log the answer; a transport failure is logged
    (status `error`) and then raised as SubmissionUnavailable after the log row is flushed.

    The caller commits; on SubmissionUnavailable commit first to keep the error row.
    """
    data, facts = await prepare(session, data=data, facility_code=facility_code, sign=sign)
    own = client is None
    client = client or client_for(target)
    row = ClaimSubmission(
        target=target, kind=facts.kind, facility_code=facts.facility_code,
        ma_lk=";".join(facts.ma_lks)[:1000], file_name=file_name[:255],
        sha256=hashlib.sha256(data).hexdigest(), size=len(data), sent_at=utcnow(),
        submitted_by=actor.name)
    failure: SubmissionUnavailable | None = None
    try:
        answer = await client.send(data, kind=facts.kind, facility_code=facts.facility_code)
    except SubmissionUnavailable as exc:
        failure = exc
        row.status, row.thong_diep = "error", f"{exc.message_en} {exc.details or ''}".strip()
        row.response = {"error": exc.to_dict()}
    else:
        row.status = "accepted" if answer.accepted else "rejected"
        row.ma_ket_qua, row.ma_giao_dich = answer.ma_ket_qua, answer.ma_giao_dich
        row.thoi_gian_tiep_nhan, row.thong_diep = answer.thoi_gian_tiep_nhan, answer.thong_diep
        row.response = answer.raw
    finally:
        if own:
            await client.aclose()
    row.answered_at = utcnow()
    session.add(row)
    await session.flush()
    await audit.record(session, actor=actor, action="claims.submit",
                       entity_type="claims_submission", entity_id=row.id,
                       details={"target": target, "status": row.status, "ma_lk": row.ma_lk,
                                "sha256": row.sha256})
    await outbox.publish(session, topic="claims.submitted", aggregate_type="claims_submission",
                         aggregate_id=row.id, facility_code=row.facility_code,
                         payload={"target": target, "status": row.status, "ma_lk": row.ma_lk,
                                  "ma_giao_dich": row.ma_giao_dich})
    if failure is not None:
        failure.details = {**(failure.details or {}), "submission_id": row.id}
        raise failure
    return row


async def list_submissions(session: AsyncSession, *, scope: str | None,
                           facility_code: str | None = None, target: str | None = None,
                           status: str | None = None, ma_lk: str | None = None,
                           ma_giao_dich: str | None = None, since: datetime | None = None,
                           limit: int = 100) -> list[ClaimSubmission]:
    """The log, newest first; `scope` limits a facility-bound caller to its facility."""
    stmt = select(ClaimSubmission)
    for column, value in ((ClaimSubmission.facility_code, scope),
                          (ClaimSubmission.facility_code, facility_code),
                          (ClaimSubmission.target, target), (ClaimSubmission.status, status),
                          (ClaimSubmission.ma_giao_dich, ma_giao_dich)):
        if value:
            stmt = stmt.where(column == value)
    if ma_lk:
        stmt = stmt.where(ClaimSubmission.ma_lk.contains(ma_lk))
    if since is not None:
        stmt = stmt.where(ClaimSubmission.sent_at >= since)
    stmt = stmt.order_by(ClaimSubmission.id.desc()).limit(max(1, min(limit, 1000)))
    return list((await session.scalars(stmt)).all())


async def get_submission(session: AsyncSession, *, submission_id: int, scope: str | None
                         ) -> ClaimSubmission:
    """One logged submission with its whole answer; another facility's is not found."""
    row = await session.get(ClaimSubmission, submission_id)
    if row is None or (scope is not None and row.facility_code != scope):
        raise NotFound("No such submission.", "Không tìm thấy lần gửi này.",
                       details={"id": submission_id})
    return row
