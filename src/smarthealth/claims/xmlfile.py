"""XML 130 files: the GIAMDINHHS envelope and the XML0 check-in file, written and read.

Writing is plain string building driven by the field table (fast; text is escaped). Reading
takes files exactly as written here through anchored regular expressions (`_read_fast`) and
everything else through lxml (`read_lxml`, the reference), which tolerates any vendor's style:
CDATA, namespaces and prefixes, whitespace, comments, inner files base64-encoded or inline.
Layout: xml130.md §2 and FORMAT.md.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from itertools import chain
from operator import itemgetter

from lxml import etree

from smarthealth.claims import fields
from smarthealth.claims.episode import CheckIn, Episode, Problem, ReadResult

__all__ = ["CheckIn", "Episode", "Problem", "ReadResult", "checkin_xml", "envelope_xml",
           "envelopes_xml", "fmt_amount", "fmt_date8", "fmt_datetime12", "fmt_quantity",
           "inner_xml", "read", "read_lxml"]

HEADER = '<?xml version="1.0" encoding="utf-8"?>'
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # escape or drop
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True,
                          remove_comments=True, remove_pis=True, load_dtd=False)

# Number and date formatting (exporter and validator agree; xml130.md §3)

_CENT, _MILLI = Decimal("0.01"), Decimal("0.001")


def _fmt(value: Decimal | int | str, step: Decimal) -> str:
    if isinstance(value, int):
        return str(value)
    text = format(Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_amount(value: Decimal | int | str) -> str:
    """Money: at most 2 decimals, "." separator, no trailing zeros ("150000", "1234.25")."""
    return _fmt(value, _CENT)


def fmt_quantity(value: Decimal | int | str) -> str:
    """SO_LUONG and unit prices: at most 3 decimals ("0.5", "12.125")."""
    return _fmt(value, _MILLI)


def fmt_datetime12(value: datetime) -> str:
    """yyyymmddHHMM in Asia/Ho_Chi_Minh (a naive datetime is taken as UTC)."""
    if value.tzinfo is None:
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    return value.astimezone(fields.TZ).strftime("%Y%m%d%H%M")


def fmt_date8(value: date) -> str:
    """yyyymmdd."""
    return value.strftime("%Y%m%d")


# Writing


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


@cache
def _template(table: str, tag: str) -> tuple[tuple[str, ...], str]:
    """Field names and a str.format template of one record (empty fields as <X></X>)."""
    names = fields.field_names(table)
    body = "".join(f"<{n}>{{}}</{n}>" for n in names)
    return names, f"<{tag}>{body}</{tag}>"


def _record(table: str, tag: str, record: dict[str, str]) -> str:
    names, template = _template(table, tag)
    if tuple(record) == names:
        values = list(record.values())
    else:
        values = [record.get(n, "") for n in names]
    if _SPECIAL.search("\n".join(values)):
        values = [_escape(_INVALID.sub("", v)) if v else v for v in values]
    return template.format(*values)


@cache
def _printf(table: str, tag: str) -> tuple[Callable[[dict[str, str]], tuple[str, ...]], str]:
    """(values getter in field order, printf template of one record)."""
    names = fields.field_names(table)
    body = "".join(f"<{n}>%s</{n}>" for n in names)
    getter = itemgetter(*names) if len(names) > 1 else lambda r: (r[names[0]],)
    return getter, f"<{tag}>{body}</{tag}>"


def _rows(table: str, tag: str, records: list[dict[str, str]]) -> str:
    """The records of one table as XML text, as `_record` writes each of them."""
    getter, template = _printf(table, tag)
    try:
        rows = [getter(r) for r in records]
    except KeyError:  # a record without some fields
        rows = []
    if not rows or _SPECIAL.search("".join(chain.from_iterable(rows))):
        return "".join([_record(table, tag, r) for r in records])  # escapes, drops, fills
    return "".join([template % row for row in rows])


def inner_xml(table: str, records: list[dict[str, str]]) -> str:
    """The inner XML document of one table (XML0 … XML5) as text."""
    spec = fields.roots().get(table)
    if spec is None or not spec.record:
        raise ValueError(f"No known XML layout for {table}")
    rows = _rows(table, spec.record, records)
    if not spec.list:
        text = f"{HEADER}{rows}"
    else:
        text = f"{HEADER}<{spec.root}><{spec.list}>{rows}</{spec.list}></{spec.root}>"
    return text


def _hoso(episode: Episode) -> bytes:
    parts = [b"<HOSO>"]
    for table in fields.EPISODE_TABLES:
        records = episode.tables.get(table)
        if not records:
            continue
        encoded = binascii.b2a_base64(inner_xml(table, records).encode("utf-8"), newline=False)
        parts += (b"<FILEHOSO><LOAIHOSO>", table.encode(), b"</LOAIHOSO><NOIDUNGFILE>", encoded,
                  b"</NOIDUNGFILE></FILEHOSO>")
    parts.append(b"</HOSO>")
    return b"".join(parts)


def envelopes_xml(episodes: list[Episode], *, created: date) -> bytes:
    """One GIAMDINHHS with several HOSO (TT 48/2017 allows it; the gateway wants one)."""
    facility = _escape(episodes[0].facility_code if episodes else "")
    head = (f"{HEADER}\n<GIAMDINHHS><THONGTINDONVI><MACSKCB>{facility}</MACSKCB>"
            f"</THONGTINDONVI><THONGTINHOSO><NGAYLAP>{fmt_date8(created)}</NGAYLAP>"
            f"<SOLUONGHOSO>{len(episodes)}</SOLUONGHOSO><DANHSACHHOSO>")
    return b"".join([head.encode(), *[_hoso(e) for e in episodes],
                     b"</DANHSACHHOSO></THONGTINHOSO><CHUKYDONVI/></GIAMDINHHS>\n"])


def envelope_xml(episode: Episode, *, created: date) -> bytes:
    """GIAMDINHHS with one HOSO; inner files UTF-8 + base64; an empty CHUKYDONVI to sign."""
    return envelopes_xml([episode], created=created)


def checkin_xml(checkin: CheckIn) -> bytes:
    """The XML0 check-in file: CHI_TIEU_TRANG_THAI_KCB with an empty CHUKYDONVI sibling."""
    spec = fields.roots()["XML0"]
    rows = _rows("XML0", spec.record, checkin.records)
    text = (f"{HEADER}\n<{spec.root}><{spec.list}>{rows}</{spec.list}><CHUKYDONVI/>"
            f"</{spec.root}>\n")
    return text.encode()


# Reading


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return tag[tag.index("}") + 1:] if tag[:1] == "{" else tag


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in element if _local(c.tag) == name]


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    return (element.text or "").strip()


def _problem(code: str, vi: str, en: str, *, table: str = "", field: str = "", record: int = 0,
             ma_lk: str = "", value: str = "", hoso: int = 0,
             severity: str = "error") -> Problem:
    return Problem(table=table, field=field, record=record, ma_lk=ma_lk, code=code,
                   message_vi=vi, message_en=en, value=value, severity=severity, hoso=hoso)


def _records(table: str, root: etree._Element, hoso: int,
             problems: list[Problem]) -> list[dict[str, str]]:
    spec = fields.roots()[table]
    if _local(root.tag) != spec.root:
        problems.append(_problem(
            "wrong_root", f"Bảng {table}: phần tử gốc {_local(root.tag)}, cần {spec.root}.",
            f"{table}: root element {_local(root.tag)}, expected {spec.root}.",
            table=table, value=_local(root.tag), hoso=hoso))
    if not spec.list and _local(root.tag) == spec.record:
        elements = [root]
    elif spec.list:
        elements = [r for w in _children(root, spec.list) for r in _children(w, spec.record)]
    else:
        elements = []
    if not elements:
        elements = [e for e in root.iter() if _local(e.tag) == spec.record]
    template = fields.empty_record(table)
    size = len(template)
    out = []
    for index, element in enumerate(elements, start=1):
        pairs = [(c.tag, c.text or "") for c in element]
        found = dict(pairs)
        record = {**template, **found}
        if len(record) == size and len(found) == len(pairs):
            out.append(dict(zip(record, map(str.strip, record.values()), strict=True)))
        else:
            out.append(_slow_record(table, template, pairs, index, hoso, problems))
    return out


def _slow_record(table: str, template: dict[str, str], pairs: list[tuple[object, str | None]],
                 index: int, hoso: int, problems: list[Problem]) -> dict[str, str]:
    """A record with namespaced, repeated or unknown fields."""
    record = dict(template)
    for raw_tag, raw_text in pairs:
        tag = _local(raw_tag)
        if not tag:
            continue
        text = raw_text.strip() if raw_text else ""
        if tag in record:
            if record[tag] and text:
                problems.append(_problem(
                    "repeated_field", f"Trường {tag} xuất hiện nhiều lần.",
                    f"Field {tag} appears more than once.", table=table, field=tag,
                    record=index, ma_lk=record.get("MA_LK", ""), value=text, hoso=hoso))
                continue
            record[tag] = text
        else:
            problems.append(_problem(
                "unknown_field", f"Trường {tag} không có trong bảng {table} (QĐ 4750).",
                f"Field {tag} is not in table {table} (QĐ 4750).", table=table,
                field=tag, record=index, value=text, hoso=hoso, severity="warning"))
    return record


def _inner(content: etree._Element, table: str, hoso: int,
           problems: list[Problem]) -> etree._Element | None:
    inline = [c for c in content if isinstance(c.tag, str)]
    if inline:
        return inline[0]
    try:
        raw = binascii.a2b_base64(content.text or "")
    except (binascii.Error, ValueError):
        problems.append(_problem(
            "bad_base64", f"NOIDUNGFILE của {table} không phải base64 hợp lệ.",
            f"NOIDUNGFILE of {table} is not valid base64.", table=table, hoso=hoso))
        return None
    try:
        return etree.fromstring(raw, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as error:
        problems.append(_problem(
            "bad_inner_xml", f"Tệp {table} bên trong không phải XML hợp lệ: {error}.",
            f"The inner {table} file is not well-formed XML: {error}.", table=table,
            hoso=hoso))
        return None


def _read_hoso(element: etree._Element, facility: str, hoso: int,
               result: ReadResult) -> None:
    problems = result.problems
    tables: dict[str, list[dict[str, str]]] = {}
    for item in _children(element, "FILEHOSO"):
        loai = _text(next(iter(_children(item, "LOAIHOSO")), None)).upper()
        content = next(iter(_children(item, "NOIDUNGFILE")), None)
        if loai not in fields.roots():
            problems.append(_problem(
                "unsupported_table", f"Không đọc được bảng {loai or '(trống)'}.",
                f"Table {loai or '(empty)'} is not read by this version.", table=loai,
                hoso=hoso, severity="warning" if loai in fields.TABLES else "error"))
            continue
        if content is None:
            problems.append(_problem("missing_content", f"{loai}: thiếu NOIDUNGFILE.",
                                     f"{loai}: NOIDUNGFILE is missing.", table=loai,
                                     hoso=hoso))
            continue
        root = _inner(content, loai, hoso, problems)
        if root is None:
            continue
        records = _records(loai, root, hoso, problems)
        if loai == "XML0":
            result.checkins.append(CheckIn(facility_code=facility, records=records))
            continue
        if loai in tables:
            problems.append(_problem(
                "repeated_table", f"Bảng {loai} xuất hiện nhiều lần trong một hồ sơ.",
                f"Table {loai} appears more than once in one HOSO.", table=loai, hoso=hoso))
            tables[loai].extend(records)
        else:
            tables[loai] = records
    result.episodes.append(Episode(facility_code=facility, tables=tables))


def _read_envelope(root: etree._Element, result: ReadResult) -> None:
    unit = next(iter(_children(root, "THONGTINDONVI")), None)
    facility = _text(next(iter(_children(unit, "MACSKCB")), None)) if unit is not None else ""
    info = next(iter(_children(root, "THONGTINHOSO")), None)
    if info is None:
        result.problems.append(_problem("missing_element", "Thiếu THONGTINHOSO.",
                                        "THONGTINHOSO is missing."))
        return
    listing = next(iter(_children(info, "DANHSACHHOSO")), None)
    elements = _children(listing, "HOSO") if listing is not None else []
    for index, element in enumerate(elements, start=1):
        _read_hoso(element, facility, index, result)
    count = _text(next(iter(_children(info, "SOLUONGHOSO")), None))
    if count and count != str(len(elements)):
        result.problems.append(_problem(
            "count_mismatch", f"SOLUONGHOSO = {count} nhưng tệp có {len(elements)} hồ sơ.",
            f"SOLUONGHOSO = {count} but the file holds {len(elements)} HOSO.",
            field="SOLUONGHOSO", value=count))
    if not elements:
        result.problems.append(_problem("no_episode", "Tệp không có hồ sơ (HOSO) nào.",
                                        "The file holds no HOSO."))


# Fast path: a file exactly as `envelope_xml` / `checkin_xml` write it (no signature) is read
# with anchored regular expressions; anything else (and any file that would give a problem)
# returns None and goes to the lxml reader, which stays the reference.

_HEADER_BYTES = HEADER.encode()
_TEXT = "[^<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]*"  # "&" checked after the match
_ENTITY = re.compile("&(?:amp|lt|gt|#13);")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&#13;": "\r"}
_ENVELOPE_HEAD = re.compile(
    rb"<\?xml version=\"1\.0\" encoding=\"utf-8\"\?>\n<GIAMDINHHS><THONGTINDONVI>"
    rb"<MACSKCB>([^<>&\x00-\x1f\x7f-\xff]*)</MACSKCB></THONGTINDONVI><THONGTINHOSO>"
    rb"<NGAYLAP>[0-9]*</NGAYLAP><SOLUONGHOSO>([0-9]+)</SOLUONGHOSO><DANHSACHHOSO>")
_FILEHOSO = re.compile(rb"<FILEHOSO><LOAIHOSO>(XML[0-9]+)</LOAIHOSO><NOIDUNGFILE>")
_FILEHOSO_END = b"</NOIDUNGFILE></FILEHOSO>"


@cache
def _fast_table(table: str) -> tuple[tuple[str, ...], re.Pattern[str], str, str]:
    """(field names, one-record pattern, document head, document tail) of an inner file."""
    spec = fields.roots()[table]
    names = fields.field_names(table)
    body = "".join(f"<{n}>({_TEXT})</{n}>" for n in names)
    pattern = re.compile(f"<{spec.record}>{body}</{spec.record}>")
    if not spec.list:
        return names, pattern, HEADER, ""
    return names, pattern, f"{HEADER}<{spec.root}><{spec.list}>", f"</{spec.list}></{spec.root}>"


def _unescape(value: str) -> str | None:
    """Text with the writer's four entities replaced; None for any other "&"."""
    if "&" not in value:
        return value
    if value.count("&") != len(_ENTITY.findall(value)):
        return None
    return _ENTITY.sub(lambda m: _ENTITIES[m.group()], value)


def _fast_records(table: str, text: str, head: str, tail: str) -> list[dict[str, str]] | None:
    """The records of a document `head` + records + `tail`, each field once in table order."""
    names, pattern, _, _ = _fast_table(table)
    if not text.startswith(head) or not text.endswith(tail):
        return None
    pos, end = len(head), len(text) - len(tail)
    if pos > end:
        return None
    entities = "&" in text
    out = []
    match = pattern.match
    while pos < end:
        found = match(text, pos, end)
        if found is None:
            return None
        values: tuple[str, ...] = found.groups()
        if entities:
            unescaped = tuple(map(_unescape, values))
            if None in unescaped:
                return None
            values = unescaped  # type: ignore[assignment]  # no None left
        out.append(dict(zip(names, map(str.strip, values), strict=False)))  # one group a field
        pos = found.end()
    return out


def _fast_inner(table: str, encoded: bytes) -> list[dict[str, str]] | None:
    try:
        raw = binascii.a2b_base64(encoded, strict_mode=True)  # only base64 characters
        if not raw.startswith(_HEADER_BYTES):
            return None
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    _, _, head, tail = _fast_table(table)
    records = _fast_records(table, text, head, tail)
    if records is None or (not tail and len(records) != 1):
        return None
    return records


def _read_fast(data: bytes) -> ReadResult | None:
    """The ReadResult of a file written exactly as `envelope_xml` / `checkin_xml` write it."""
    if data.startswith(b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<GIAMDINHHS>"):
        return _read_fast_envelope(data)
    if data.startswith(b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<CHI_TIEU_TRANG_THAI_KCB>"):
        return _read_fast_checkin(data)
    return None


def _slot(data: bytes, before: bytes, closing: bytes, start: int) -> int:
    """Where `before` begins when the file ends with `before`, a CHUKYDONVI (empty, or holding
    what lxml parses on its own, e.g. a signature), `closing` and an optional newline; else -1.
    A CHUKYDONVI that is well-formed alone is well-formed inside the writer's root (which
    declares no namespaces and has no DTD)."""
    empty = before + b"<CHUKYDONVI/>" + closing + b"\n"
    if data.endswith(empty):
        return len(data) - len(empty)
    at = data.find(before + b"<CHUKYDONVI", start)
    if at < 0:
        return -1
    if data.endswith(closing + b"\n"):
        stop = len(data) - len(closing) - 1
    elif data.endswith(closing):
        stop = len(data) - len(closing)
    else:
        return -1
    try:
        slot = etree.fromstring(data[at + len(before):stop], _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return -1
    return at if slot.tag == "CHUKYDONVI" else -1


def _read_fast_envelope(data: bytes) -> ReadResult | None:
    head = _ENVELOPE_HEAD.match(data)
    if head is None:
        return None
    end = _slot(data, b"</DANHSACHHOSO></THONGTINHOSO>", b"</GIAMDINHHS>", head.end())
    if end < 0:
        return None
    facility = head.group(1).decode("ascii").strip()
    known = fields.roots()
    result = ReadResult()
    pos = head.end()
    match = _FILEHOSO.match
    while pos < end:
        if not data.startswith(b"<HOSO>", pos):
            return None
        pos += 6
        tables: dict[str, list[dict[str, str]]] = {}
        while not data.startswith(b"</HOSO>", pos):
            found = match(data, pos, end)
            if found is None:
                return None
            loai = found.group(1).decode("ascii")
            if loai not in known or loai in tables:
                return None
            stop = data.find(_FILEHOSO_END, found.end(), end)
            if stop < 0:
                return None
            records = _fast_inner(loai, data[found.end():stop])
            if records is None:
                return None
            if loai == "XML0":
                result.checkins.append(CheckIn(facility_code=facility, records=records))
            else:
                tables[loai] = records
            pos = stop + len(_FILEHOSO_END)
        pos += 7
        result.episodes.append(Episode(facility_code=facility, tables=tables))
    if pos != end or not result.episodes or head.group(2) != str(len(result.episodes)).encode():
        return None
    return result


def _read_fast_checkin(data: bytes) -> ReadResult | None:
    spec = fields.roots()["XML0"]
    wrapper = f"</{spec.list}>".encode()
    end = _slot(data, wrapper, f"</{spec.root}>".encode(), 0)
    if end < 0:
        return None
    try:
        text = data[:end + len(wrapper)].decode("utf-8")
    except ValueError:
        return None
    records = _fast_records("XML0", text, f"{HEADER}\n<{spec.root}><{spec.list}>",
                            f"</{spec.list}>")
    if records is None:
        return None
    facility = records[0].get("MA_CSKCB", "") if records else ""
    result = ReadResult()
    result.checkins.append(CheckIn(facility_code=facility, records=records))
    return result


def read(data: bytes) -> ReadResult:
    """Episodes, check-ins and reading problems of one XML 130 file (any vendor's style)."""
    fast = _read_fast(data)
    return fast if fast is not None else read_lxml(data)


def read_lxml(data: bytes) -> ReadResult:
    """`read` through lxml for any file (the reference the fast path must agree with)."""
    result = ReadResult()
    try:
        root = etree.fromstring(data, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as error:
        result.problems.append(_problem(
            "not_xml", f"Tệp không phải XML hợp lệ: {error}.",
            f"The file is not well-formed XML: {error}."))
        return result
    name = _local(root.tag)
    if name == "GIAMDINHHS":
        _read_envelope(root, result)
    elif name == fields.roots()["XML0"].root:
        records = _records("XML0", root, 0, result.problems)
        facility = records[0].get("MA_CSKCB", "") if records else ""
        result.checkins.append(CheckIn(facility_code=facility, records=records))
    else:
        result.problems.append(_problem(
            "unknown_root",
            f"Phần tử gốc {name} không phải GIAMDINHHS hay CHI_TIEU_TRANG_THAI_KCB.",
            f"Root element {name} is neither GIAMDINHHS nor CHI_TIEU_TRANG_THAI_KCB.",
            value=name))
    return result
