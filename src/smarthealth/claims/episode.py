"""The claims Episode: one visit's XML 130 tables as the exact strings of the file."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Episode:
    """One HOSO of a GIAMDINHHS envelope (one MA_LK)."""

    facility_code: str  # MACSKCB of the envelope
    # "XML1": [one record], "XML2": [...], ... Values are the strings of the file; an absent or
    # empty field is ""; every record has every field of its table, in table order.
    tables: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    @property
    def ma_lk(self) -> str:
        """MA_LK of the XML1 record ("" when there is none)."""
        summary = self.tables.get("XML1") or [{}]
        return summary[0].get("MA_LK", "")


@dataclass
class CheckIn:
    """XML0 check-in records, posted as their own file (CHI_TIEU_TRANG_THAI_KCB)."""

    facility_code: str
    records: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Problem:
    """One finding of reading or validating an XML 130 file."""

    table: str  # "XML1" … "XML15", "XML0", or "" for the envelope
    field: str  # field name or ""
    record: int  # 1-based record index within its table in this episode (0: not a record)
    ma_lk: str
    code: str  # stable code, e.g. "required", "sum_mismatch"
    message_vi: str
    message_en: str
    value: str = ""
    severity: str = "error"  # "error" or "warning"
    hoso: int = 0  # 1-based HOSO index in the file (0: not known / not an envelope)
    file: str = ""  # set by the CLI when several files are checked

    def as_dict(self) -> dict[str, object]:
        return {"table": self.table, "field": self.field, "record": self.record,
                "ma_lk": self.ma_lk, "code": self.code, "message_vi": self.message_vi,
                "message_en": self.message_en, "value": self.value, "severity": self.severity,
                "hoso": self.hoso, "file": self.file}


@dataclass
class ReadResult:
    """What `xmlfile.read` found in one file."""

    episodes: list[Episode] = field(default_factory=list)
    checkins: list[CheckIn] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
