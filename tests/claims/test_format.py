"""XML 130 layout: the field table as data, number/date formatting, writer ↔ reader."""

import base64
from datetime import UTC, date, datetime
from decimal import Decimal

from lxml import etree

from smarthealth.claims import fields
from smarthealth.claims.episode import CheckIn
from smarthealth.claims.xmlfile import (
    checkin_xml,
    envelope_xml,
    fmt_amount,
    fmt_date8,
    fmt_datetime12,
    fmt_quantity,
    read,
)
from tests.claims.conftest import sample_episode

CREATED = date(2026, 11, 21)


def _by_name(table: str) -> dict[str, fields.FieldSpec]:
    return {f.name: f for f in fields.table_spec(on=date(2026, 11, 1))[table]}


def test_field_table_has_all_16_tables_in_official_order():
    spec = fields.table_spec()
    assert list(spec) == [f"XML{i}" for i in range(16)]
    assert [len(spec[t]) for t in ("XML0", "XML1", "XML2", "XML3", "XML4", "XML5")] == [
        26, 66, 39, 47, 12, 9]
    assert fields.field_names("XML1")[:3] == ("MA_LK", "STT", "MA_BN")
    assert fields.field_names("XML1")[7] == "NHOM_MAU"  # unnumbered in the appendix
    assert fields.field_names("XML2")[34] == "NGAY_TH_YL"


def test_field_attributes_after_4750_and_the_checklist():
    xml1 = _by_name("XML1")
    assert (xml1["MA_DOITUONG_KCB"].kind, xml1["MA_DOITUONG_KCB"].max_length) == ("string", 4)
    assert xml1["SO_CCCD"].kind == "string"
    assert xml1["MA_THE_BHYT"].max_length is None  # "n"
    assert xml1["HO_TEN"].required == "yes"
    assert xml1["DIEN_THOAI"].required == "no"
    assert xml1["NGAY_VAO"].format == "datetime12"
    assert xml1["GT_THE_TU"].format == "date8" and xml1["GT_THE_TU"].list_sep == ";"
    assert xml1["T_TONGCHI_BV"].format == "decimal:2"
    assert xml1["MA_LOAI_KCB"].codes == "MA_LOAI_KCB"
    assert xml1["MA_BENH_CHINH"].codes == "icd10"
    assert _by_name("XML2")["SO_LUONG"].format == "decimal:3"
    tt_thau = _by_name("XML3")["TT_THAU"]
    assert tt_thau.required == "cond"
    assert tt_thau.required_if[0].holds({"MA_NHOM": "10"})
    assert not tt_thau.required_if[0].holds({"MA_NHOM": "13"})


def test_dated_overrides_and_code_lists():
    before = {f.name: f for f in fields.table_spec(on=date(2026, 6, 30))["XML2"]}
    after = {f.name: f for f in fields.table_spec(on=date(2026, 7, 1))["XML2"]}
    assert (before["MUC_HUONG"].max_length, after["MUC_HUONG"].max_length) == (3, 4)
    assert "16" not in fields.code_lists(on=date(2026, 7, 31))["MA_LOAI_KCB"]
    assert "16" in fields.code_lists(on=date(2026, 8, 1))["MA_LOAI_KCB"]
    assert "1.10" in fields.code_lists()["MA_DOITUONG_KCB"]


def test_number_formatting():
    assert fmt_amount(150000) == "150000"
    assert fmt_amount(Decimal("150000.00")) == "150000"
    assert fmt_amount(Decimal("1234.25")) == "1234.25"
    assert fmt_amount(Decimal("1234.50")) == "1234.5"
    assert fmt_amount(Decimal("0.005")) == "0.01"  # half-up to 2 decimals
    assert fmt_amount(Decimal("0")) == "0"
    assert fmt_quantity(Decimal("0.5")) == "0.5"
    assert fmt_quantity(Decimal("12.1255")) == "12.126"
    assert fmt_quantity(Decimal("10.000")) == "10"
    assert fmt_quantity("25000.5") == "25000.5"


def test_date_formatting_in_hanoi_time():
    assert fmt_datetime12(datetime(2026, 11, 20, 17, 30, tzinfo=UTC)) == "202611210030"
    assert fmt_date8(date(2026, 1, 2)) == "20260102"


def test_envelope_layout():
    data = envelope_xml(sample_episode(), created=CREATED)
    root = etree.fromstring(data)
    assert root.tag == "GIAMDINHHS"
    assert root.findtext("THONGTINDONVI/MACSKCB") == "01001"
    assert root.findtext("THONGTINHOSO/NGAYLAP") == "20261121"
    assert root.findtext("THONGTINHOSO/SOLUONGHOSO") == "1"
    assert [e.text for e in root.iterfind(".//LOAIHOSO")] == ["XML1", "XML2", "XML3", "XML4",
                                                              "XML5"]
    assert root[-1].tag == "CHUKYDONVI" and len(root[-1]) == 0
    inner = base64.b64decode(root.findtext(".//FILEHOSO[2]/NOIDUNGFILE"))
    assert inner.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    xml2 = etree.fromstring(inner)
    assert xml2.tag == "CHITIEU_CHITIET_THUOC"
    lines = xml2.findall("DSACH_CHI_TIET_THUOC/CHI_TIET_THUOC")
    assert len(lines) == 2
    assert [c.tag for c in lines[0]] == list(fields.field_names("XML2"))
    xml1 = etree.fromstring(base64.b64decode(root.findtext(".//FILEHOSO[1]/NOIDUNGFILE")))
    assert xml1.tag == "TONG_HOP" and xml1.findtext("HO_TEN") == "Nguyễn Thị Lan"


def test_round_trip_gives_the_same_episode():
    episode = sample_episode()
    episode.tables["XML5"][0]["DIEN_BIEN_LS"] = "A & B < C > D\r\nline 2 \"quoted\" 'x'"
    result = read(envelope_xml(episode, created=CREATED))
    assert result.problems == []
    assert result.episodes == [episode]


def test_checkin_file_round_trip():
    record = fields.empty_record("XML0")
    record.update(MA_LK="LK1", STT="1", MA_BN="BN1", HO_TEN="Lê Văn A", NGAY_SINH="199001010000",
                  GIOI_TINH="1", MA_DOITUONG_KCB="1.1", NGAY_VAO="202611200800",
                  MA_LOAI_KCB="01", MA_CSKCB="01001", MA_DICH_VU="02.1896",
                  TEN_DICH_VU="Khám Nội", NGAY_YL="202611200810")
    checkin = CheckIn(facility_code="01001", records=[record])
    data = checkin_xml(checkin)
    root = etree.fromstring(data)
    assert root.tag == "CHI_TIEU_TRANG_THAI_KCB"
    assert [c.tag for c in root] == ["DSACH_TRANG_THAI_KCB", "CHUKYDONVI"]
    assert root.find("DSACH_TRANG_THAI_KCB/TRANG_THAI_KCB/MA_LK").text == "LK1"
    result = read(data)
    assert result.problems == [] and result.episodes == []
    assert result.checkins == [checkin]


VENDOR_XML1 = """\ufeff<?xml version="1.0" encoding="utf-8"?>
<TONG_HOP xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
          xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <MA_LK>VENDOR-1</MA_LK>
  <STT>1</STT>
  <HO_TEN><![CDATA[Phạm Thị B & con]]></HO_TEN>
  <!-- a vendor comment -->
  <NGAY_SINH>
     199001010000
  </NGAY_SINH>
  <GIOI_TINH>2</GIOI_TINH>
</TONG_HOP>"""
VENDOR_XML2 = """<?xml version="1.0" encoding="utf-8"?>
<v:CHITIEU_CHITIET_THUOC xmlns:v="urn:vendor">
 <v:DSACH_CHI_TIET_THUOC>
  <v:CHI_TIET_THUOC><v:MA_LK>VENDOR-1</v:MA_LK><v:STT>1</v:STT>
   <v:TEN_THUOC><![CDATA[Thuốc <A>]]></v:TEN_THUOC></v:CHI_TIET_THUOC>
  <v:CHI_TIET_THUOC><v:MA_LK>VENDOR-1</v:MA_LK><v:STT>2</v:STT></v:CHI_TIET_THUOC>
 </v:DSACH_CHI_TIET_THUOC>
</v:CHITIEU_CHITIET_THUOC>"""


def _b64(text: str, wrap: int = 0) -> str:
    encoded = base64.b64encode(text.encode("utf-8")).decode()
    if wrap:
        encoded = "\n".join(encoded[i:i + wrap] for i in range(0, len(encoded), wrap))
    return encoded


def test_reads_a_vendor_style_file_with_cdata_namespaces_and_whitespace():
    data = f"""<?xml version="1.0" encoding="utf-8"?>
<GIAMDINHHS xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
            xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <THONGTINDONVI>
    <MACSKCB> 79001 </MACSKCB>
  </THONGTINDONVI>
  <THONGTINHOSO>
    <NGAYLAP>20261121</NGAYLAP>
    <SOLUONGHOSO>1</SOLUONGHOSO>
    <DANHSACHHOSO>
      <HOSO>
        <FILEHOSO>
          <LOAIHOSO>XML1</LOAIHOSO>
          <NOIDUNGFILE>
{_b64(VENDOR_XML1, 76)}
          </NOIDUNGFILE>
        </FILEHOSO>
        <FILEHOSO>
          <LOAIHOSO>XML2</LOAIHOSO>
          <NOIDUNGFILE><![CDATA[{_b64(VENDOR_XML2)}]]></NOIDUNGFILE>
        </FILEHOSO>
      </HOSO>
    </DANHSACHHOSO>
  </THONGTINHOSO>
  <CHUKYDONVI><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/></CHUKYDONVI>
</GIAMDINHHS>""".encode()
    result = read(data)
    assert result.problems == []
    [episode] = result.episodes
    assert episode.facility_code == "79001"
    summary = episode.tables["XML1"][0]
    assert list(summary) == list(fields.field_names("XML1"))
    assert summary["HO_TEN"] == "Phạm Thị B & con"
    assert summary["NGAY_SINH"] == "199001010000"
    assert summary["MA_BN"] == ""
    drugs = episode.tables["XML2"]
    assert [d["STT"] for d in drugs] == ["1", "2"]
    assert drugs[0]["TEN_THUOC"] == "Thuốc <A>"
    assert episode.ma_lk == "VENDOR-1"


def test_inline_inner_files_and_unknown_fields_are_tolerated():
    data = b"""<GIAMDINHHS><THONGTINDONVI><MACSKCB>01001</MACSKCB></THONGTINDONVI>
<THONGTINHOSO><NGAYLAP>20261121</NGAYLAP><SOLUONGHOSO>1</SOLUONGHOSO><DANHSACHHOSO><HOSO>
<FILEHOSO><LOAIHOSO>XML1</LOAIHOSO><NOIDUNGFILE><TONG_HOP><MA_LK>X</MA_LK>
<TRUONG_MOI>1</TRUONG_MOI></TONG_HOP></NOIDUNGFILE></FILEHOSO>
</HOSO></DANHSACHHOSO></THONGTINHOSO></GIAMDINHHS>"""
    result = read(data)
    assert result.episodes[0].ma_lk == "X"
    [warning] = result.problems
    assert (warning.code, warning.field, warning.severity) == ("unknown_field", "TRUONG_MOI",
                                                               "warning")


def test_reading_problems_are_reported_not_raised():
    assert read(b"not xml").problems[0].code == "not_xml"
    assert read(b"<HTML/>").problems[0].code == "unknown_root"
    bad = (b"<GIAMDINHHS><THONGTINHOSO><SOLUONGHOSO>2</SOLUONGHOSO><DANHSACHHOSO><HOSO>"
           b"<FILEHOSO><LOAIHOSO>XML1</LOAIHOSO><NOIDUNGFILE>@@@</NOIDUNGFILE></FILEHOSO>"
           b"<FILEHOSO><LOAIHOSO>XML2</LOAIHOSO><NOIDUNGFILE>" + base64.b64encode(b"<a><b>")
           + b"</NOIDUNGFILE></FILEHOSO></HOSO></DANHSACHHOSO></THONGTINHOSO></GIAMDINHHS>")
    problems = read(bad).problems
    assert [(p.code, p.table) for p in problems] == [
        ("bad_inner_xml", "XML1"), ("bad_inner_xml", "XML2"), ("count_mismatch", "")]


def test_entities_are_not_expanded():
    data = (b'<?xml version="1.0"?><!DOCTYPE GIAMDINHHS [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<GIAMDINHHS><THONGTINDONVI><MACSKCB>&x;</MACSKCB></THONGTINDONVI></GIAMDINHHS>")
    result = read(data)
    assert all("root:" not in e.facility_code for e in result.episodes)


def test_writer_drops_characters_xml_cannot_hold():
    episode = sample_episode()
    episode.tables["XML5"][0]["HOI_CHAN"] = "hội chẩn\x01\x0b xong"
    result = read(envelope_xml(episode, created=CREATED))
    assert result.problems == []
    assert result.episodes[0].tables["XML5"][0]["HOI_CHAN"] == "hội chẩn xong"
