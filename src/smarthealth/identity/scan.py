"""One entry point for whatever a kiosk or desk scanner delivers: `recognise(payload)`.

Recognised: the CCCD card QR text (identity.md §2), the JSON a chip-card desktop reader posts
(§3), a typed CCCD / old CMND / passport number, and a BHYT card code (insurance.md §1).
Anything else goes to the pluggable adapters (VNeID: no public spec, §4 Uncertain) and, if
none claims it, is refused with a structured `InvalidScan`. Raw payloads are never logged.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from smarthealth.core.errors import InvalidInput
from smarthealth.identity import fields as F
from smarthealth.identity.cccd import identifier_kind
from smarthealth.identity.config import get_identity_settings
from smarthealth.identity.fields import FieldReader, ScannedPerson, ScanWarning
from smarthealth.identity.names import clean_text, repair_mojibake

log = logging.getLogger(__name__)


class InvalidScan(InvalidInput):
    code = "invalid_scan"
    message_vi = "Không đọc được dữ liệu quét."
    message_en = "The scanned data could not be read."


@dataclass
class ScanResult:
    source: str  # cccd_qr / chip_reader / bhyt_card / cccd_number / cmnd_number / passport_number
    person: ScannedPerson
    warnings: list[ScanWarning] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "person": self.person.to_dict(),
                "warnings": [asdict(w) for w in self.warnings]}


class ScanAdapter(Protocol):
    """A recogniser for a payload kind the core does not know; returns None if not its kind."""

    source: str

    def recognise(self, text: str) -> ScanResult | None: ...


class VneidAdapter:
    """identity.md §4 Uncertain: the VNeID QR has no public spec; recognises nothing for now."""

    source = "vneid"

    def recognise(self, text: str) -> ScanResult | None:
        return None


_adapters: list[ScanAdapter] = [VneidAdapter()]


def register_adapter(adapter: ScanAdapter) -> None:
    """Add a recogniser tried after the built-in ones (first registered, first tried)."""
    _adapters.append(adapter)


def unregister_adapter(adapter: ScanAdapter) -> None:
    if adapter in _adapters:
        _adapters.remove(adapter)


def _configured_adapters() -> list[ScanAdapter]:
    return _load_adapters(get_identity_settings().scan_adapters)


@lru_cache
def _load_adapters(paths: tuple[str, ...]) -> list[ScanAdapter]:
    """Adapters named in SMARTHEALTH_IDENTITY_SCAN_ADAPTERS ("package.module:ClassName")."""
    loaded: list[ScanAdapter] = []
    for path in paths:
        module, _, name = path.partition(":")
        try:
            loaded.append(getattr(importlib.import_module(module), name)())
        except Exception:  # a broken plug-in must not break scanning
            log.exception("scan adapter %s could not be loaded", path)
    return loaded


def _fail(kind: str, en: str, vi: str, **details: Any) -> InvalidScan:
    return InvalidScan(en, vi, details={"kind": kind, **details})


# ---- CCCD card QR (identity.md §2) --------------------------------------------------------

_QR_SEVEN = ("cccd", "old_id", "full_name", "birth_date", "sex", "address", "card_issue_date")
_QR_SIX = ("cccd", "full_name", "birth_date", "sex", "address", "card_issue_date")
_QR_REQUIRED = {"cccd", "full_name", "birth_date", "sex"}


def _qr_fields(text: str) -> list[str]:
    """Split on `|`, drop empty fields at either end and extra empty separators after field 2."""
    parts = [clean_text(p) for p in text.split("|")]
    while parts and not parts[-1]:
        parts.pop()
    while parts and not parts[0]:
        parts.pop(0)
    if len(parts) > len(_QR_SEVEN):
        parts = parts[:2] + [p for p in parts[2:] if p]
    return parts


def _qr_layout(parts: list[str]) -> tuple[str, ...]:
    """7 fields (with the old-ID slot) or 6 (without), told apart by where the birth date sits."""
    if len(parts) >= 4 and (not parts[1] or parts[1].isdigit()) and F.looks_like_date(parts[3]):
        return _QR_SEVEN
    if (get_identity_settings().accept_six_field_qr and len(parts) >= 3
            and F.looks_like_date(parts[2])):
        return _QR_SIX
    if len(parts) < len(_QR_SIX) and re.fullmatch(r"[0-9]{12}", parts[0] if parts else ""):
        raise _fail("qr_truncated", "The QR text is cut short before the birth date.",
                    "Mã QR bị cắt trước ngày sinh.", field_count=len(parts))
    raise _fail("qr_layout",
                f"The QR text has {len(parts)} field(s) in no known CCCD layout (7 or 6 fields).",
                f"Mã QR có {len(parts)} trường, không đúng bố cục thẻ CCCD (7 hoặc 6 trường).",
                field_count=len(parts))


def _parse_qr(text: str) -> ScanResult:
    parts = _qr_fields(text)
    layout = _qr_layout(parts)
    if len(parts) > len(layout):
        raise _fail("qr_field_count",
                    f"The QR text has {len(parts)} fields; a CCCD QR has at most {len(layout)}.",
                    f"Mã QR có {len(parts)} trường; mã QR thẻ CCCD có tối đa {len(layout)}.",
                    field_count=len(parts))
    values = dict(zip(layout, parts, strict=False))
    missing = [name for name in layout if name not in values]
    if _QR_REQUIRED & set(missing):
        raise _fail("qr_truncated", "The QR text is cut short: "
                    f"{', '.join(n for n in missing if n in _QR_REQUIRED)} missing.",
                    "Mã QR bị thiếu (bị cắt): không có "
                    f"{', '.join(F.FIELD_VI[n] for n in missing if n in _QR_REQUIRED)}.",
                    field_count=len(parts))
    reader = FieldReader()
    if missing:
        reader.warn("qr_truncated", missing[0],
                    f"Mã QR bị cắt, thiếu: {', '.join(F.FIELD_VI[n] for n in missing)}.",
                    f"The QR text is cut short; missing: {', '.join(missing)}.")
    person = reader.read_card_fields(values)
    if person.address and text.isascii():
        # identity.md §2: keyboard-wedge scanners may drop diacritics with some layouts
        reader.warn("diacritics_missing", "full_name", "Mã QR không có dấu tiếng Việt; máy quét "
                    "có thể đang ở chế độ bàn phím, nên chuyển sang chế độ gửi UTF-8.",
                    "The QR text has no Vietnamese diacritics; the scanner may be in keyboard "
                    "mode; switch it to a UTF-8 (serial/HID-POS) mode.")
    return _finish(reader, "cccd_qr", person)


# ---- chip-card desktop reader JSON (identity.md §3) ------------------------------------------

# JSON key → our field. Religion, identifying marks, parents, spouse and the face image
# (`id_img`) are deliberately not read: registration does not need them (data minimisation).
CHIP_KEYS = {
    "id_card": "cccd", "full_name": "full_name", "date_of_birth": "birth_date",
    "gender": "sex", "nationality": "nationality", "race": "ethnicity",
    "place_of_origin": "place_of_origin", "place_of_residence": "address",
    "date_of_issue": "card_issue_date", "date_of_expiry": "card_expiry_date",
    "old_id_card": "old_id",
}


def _load_json(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise _fail("chip_json", "The chip reader's data is not valid JSON.",
                    "Dữ liệu đầu đọc chip không phải JSON hợp lệ.") from None
    return data if isinstance(data, dict) else None


def _parse_chip(data: dict[str, Any]) -> ScanResult:
    reader = FieldReader()
    values: dict[str, str] = {}
    for key, name in CHIP_KEYS.items():
        raw = data.get(key)
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raw = str(raw)
        if isinstance(raw, str):
            values[name] = raw
        elif raw is not None:
            reader.warn("chip_field_type", name, f"Trường {key} có kiểu dữ liệu lạ; bỏ qua.",
                        f"Field {key} has an unexpected type; ignored.")
    person = reader.read_card_fields(values)
    return _finish(reader, "chip_reader", person)


# ---- typed numbers and the BHYT card code ---------------------------------------------------

_BHYT_SHAPE = re.compile(r"[A-Z]{2}[1-5][0-9]{2}[0-9]{10}")  # insurance.md §1 layout
_BHYT_LIKE = re.compile(r"[A-Z]{2}[0-9][0-9A-Z]{8,17}")  # near enough to name its fault


def _parse_bhyt(compact: str) -> ScanResult:
    """Validate with the insurance domain's card rules when present, else the layout only."""
    try:
        from smarthealth.insurance.card import parse_card_code
    except ImportError:  # pragma: no cover - the insurance domain ships card.py
        parse_card_code = None
    if parse_card_code is not None:
        try:
            code = parse_card_code(compact).code
        except InvalidInput as exc:
            card = exc.details if isinstance(exc.details, dict) else {}
            raise _fail("bhyt_card", exc.message_en, exc.message_vi, fault=card.get("kind"),
                        result_code=card.get("result_code")) from None
    elif _BHYT_SHAPE.fullmatch(compact):
        code = compact
    else:
        raise _fail("bhyt_card", "This is not a 15-character BHYT card code.",
                    "Đây không phải mã thẻ BHYT 15 ký tự.")
    return ScanResult("bhyt_card", ScannedPerson(bhyt_code=code))


def _parse_number(compact: str) -> ScanResult | None:
    kind = identifier_kind(compact)
    if kind == "cccd":
        reader = FieldReader()
        person = ScannedPerson(cccd=reader.cccd(compact))
        return _finish(reader, "cccd_number", person)
    if kind == "cmnd":
        return ScanResult("cmnd_number", ScannedPerson(old_id=compact))
    if kind == "passport":
        return ScanResult("passport_number", ScannedPerson(passport=compact))
    return None


# ---- the entry point ----------------------------------------------------------------------

def _finish(reader: FieldReader, source: str, person: ScannedPerson) -> ScanResult:
    if reader.errors:
        raise InvalidScan("Some scanned fields are not valid.",
                          "Một số trường dữ liệu quét không hợp lệ.",
                          details={"kind": "fields", "source": source, "problems": reader.errors})
    reader.cross_check(person)
    return ScanResult(source, person, reader.warnings)


def _prepare(payload: object) -> tuple[str, bool]:
    if not isinstance(payload, str):
        raise _fail("type", "The scan must be text.", "Dữ liệu quét phải là văn bản.")
    limit = get_identity_settings().max_scan_chars
    if len(payload) > limit:
        raise _fail("too_long", f"The scan is too long ({len(payload)} characters; "
                    f"at most {limit}).", f"Dữ liệu quét quá dài ({len(payload)} ký tự; "
                    f"tối đa {limit}).", length=len(payload))
    text = payload.replace("\ufeff", "").strip(" \t\r\n\x00")
    text, repaired = repair_mojibake(text)
    if not clean_text(text):
        raise _fail("empty", "The scan is empty.", "Dữ liệu quét trống.")
    return text, repaired


def _dispatch(text: str) -> ScanResult | None:
    if text.startswith("{"):
        data = _load_json(text)
        if data is not None and "id_card" in data:
            return _parse_chip(data)
        return None
    if "|" in text:
        return _parse_qr(text)
    compact = re.sub(r"[\s\-.]+", "", clean_text(text)).upper()
    by_number = _parse_number(compact)
    if by_number is not None:
        return by_number
    if _BHYT_LIKE.fullmatch(compact):
        return _parse_bhyt(compact)
    return None


def recognise(payload: object) -> ScanResult:
    """Recognise a scan or raise InvalidScan (422) naming what is wrong; never anything else."""
    try:
        return _recognise(payload)
    except InvalidInput as exc:  # identity.md §2: log the refusal and length, never the content
        details = exc.details if isinstance(exc.details, dict) else {}
        log.info("scan refused: %s (%d characters)", details.get("kind", exc.code),
                 len(payload) if isinstance(payload, str) else -1)
        raise


def _recognise(payload: object) -> ScanResult:
    size = len(payload) if isinstance(payload, str) else -1
    try:
        text, repaired = _prepare(payload)
        result = _dispatch(text)
        if result is None:
            result = _try_adapters(text)
    except InvalidScan:
        raise
    except InvalidInput as exc:  # another domain's rule (card, CCCD) speaks as a scan error
        raise _fail("fields", exc.message_en, exc.message_vi) from None
    except Exception as exc:  # a parser bug must still answer with a structured error
        # the type only: an exception's message may quote the payload (data minimisation)
        log.error("scan parser failed (%s) on a %d-character payload", type(exc).__name__,
                  size)
        raise _fail("unreadable", "The scan could not be read.",
                    "Không đọc được dữ liệu quét.") from exc
    if result is None:
        raise _fail("unrecognised", "The scan is not a CCCD QR, chip-reader data, ID number "
                    "or BHYT card code.", "Dữ liệu quét không phải mã QR CCCD, dữ liệu đầu đọc "
                    "chip, số giấy tờ hay mã thẻ BHYT.", length=size)
    if repaired and all(w.code != "encoding_repaired" for w in result.warnings):
        result.warnings.insert(0, ScanWarning(
            "encoding_repaired", None, "Dữ liệu quét bị sai bảng mã (Latin-1) và đã được sửa.",
            "The scan arrived in the wrong encoding (Latin-1) and was repaired."))
    return result


def _try_adapters(text: str) -> ScanResult | None:
    for adapter in [*_adapters, *_configured_adapters()]:
        try:
            result = adapter.recognise(text)
        except Exception as exc:  # a plug-in's fault is reported as "unrecognised", not a 500
            log.error("scan adapter %s failed (%s)", getattr(adapter, "source", "?"),
                      type(exc).__name__)
            continue
        if result is not None:
            return result
    return None
