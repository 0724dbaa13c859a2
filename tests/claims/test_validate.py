"""XML 130 validation: a valid sample is clean; hand-built defects are reported precisely."""

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from smarthealth.claims import fields, validate
from smarthealth.claims.episode import CheckIn
from smarthealth.claims.validate import validate_checkin, validate_episode, validate_file
from smarthealth.claims.xmlfile import envelope_xml
from smarthealth.cli import main
from tests.claims.conftest import sample_episode
from tests.conftest import auth

DEFECTS = Path(__file__).parent / "defects"
CREATED = date(2026, 11, 21)


def _where(problems) -> list[tuple]:
    return [(p.table, p.field, p.record, p.code) for p in problems]


def test_sample_episode_is_clean_even_with_warnings():
    episode = sample_episode()
    assert validate_episode(episode, warnings=True) == []
    assert validate_file(envelope_xml(episode, created=CREATED), warnings=True) == []


@pytest.mark.parametrize(("name", "expected"), [
    ("missing_required.xml", [("XML1", "HO_TEN", 1, "required", 1),
                              ("XML2", "DON_VI_TINH", 2, "required", 1)]),
    ("wrong_date_format.xml", [("XML1", "NGAY_VAO", 1, "date_format", 1),
                               ("XML3", "NGAY_YL", 2, "date_format", 1)]),
    ("sums_mismatch.xml", [("XML1", "T_TONGCHI_BV", 1, "sum_mismatch", 1),
                           ("XML1", "T_BHTT", 1, "sum_mismatch", 1)]),
    ("female_code_for_man.xml", [("XML1", "MA_BENH_CHINH", 1, "sex_specific_code", 1),
                                 ("XML1", "MA_BENH_KT", 1, "sex_specific_code", 1)]),
    ("duplicate_ma_lk.xml", [("XML1", "MA_LK", 1, "duplicate_ma_lk", 2)]),
])
def test_defect_files_are_reported_precisely(name, expected):
    problems = validate_file((DEFECTS / name).read_bytes())
    assert [(p.table, p.field, p.record, p.code, p.hoso) for p in problems] == expected
    for p in problems:
        assert p.ma_lk == "01001-20261120-0001"
        assert p.message_vi and p.message_en and p.message_vi != p.message_en


def test_defect_messages_name_the_values():
    [problem, _] = validate_file((DEFECTS / "sums_mismatch.xml").read_bytes())
    assert problem.value == "118500.25"
    assert "117500.25" in problem.message_en and "117500.25" in problem.message_vi
    [sex, _] = validate_file((DEFECTS / "female_code_for_man.xml").read_bytes())
    assert sex.value == "O80" and "nữ" in sex.message_vi and "female" in sex.message_en


def test_field_rules_from_the_table():
    episode = sample_episode(HO_TEN="x" * 256, MA_LOAI_KCB="99", SO_CCCD="12345",
                             MA_THE_BHYT="GD4010123456789;XX12", GT_THE_TU="20260101;20260230",
                             GT_THE_DEN="20261231;20261231", MA_BENH_KT=";".join(["I10"] * 13))
    episode.tables["XML3"][2]["TT_THAU"] = ""  # supply (MA_NHOM 10) without tender info
    episode.tables["XML2"][0]["SO_LUONG"] = "10.0001"
    assert sorted(_where(validate_episode(episode))) == sorted([
        ("XML1", "HO_TEN", 1, "max_length"),
        ("XML1", "MA_LOAI_KCB", 1, "code_list"),
        ("XML1", "SO_CCCD", 1, "pattern"),
        ("XML1", "MA_THE_BHYT", 1, "pattern"),
        ("XML1", "GT_THE_TU", 1, "date_format"),
        ("XML1", "MA_BENH_KT", 1, "too_many_items"),
        ("XML3", "TT_THAU", 3, "required_if"),
        ("XML2", "SO_LUONG", 1, "number_format"),
    ])


def test_dates_must_be_in_order():
    episode = sample_episode(NGAY_RA="202611190800")
    episode.tables["XML3"][1]["NGAY_TH_YL"] = "202611200800"  # before NGAY_YL 08:15
    assert _where(validate_episode(episode)) == [
        ("XML1", "NGAY_RA", 1, "date_order"), ("XML3", "NGAY_TH_YL", 2, "date_order")]


def test_treatment_days_per_visit_type():
    assert _where(validate_episode(sample_episode(SO_NGAY_DTRI="3"))) == [
        ("XML1", "SO_NGAY_DTRI", 1, "treatment_days")]
    inpatient = {"MA_LOAI_KCB": "03", "NGAY_VAO_NOI_TRU": "202611200900",
                 "NGAY_RA": "202611231000"}
    assert validate_episode(sample_episode(SO_NGAY_DTRI="4", **inpatient)) == []
    [problem] = validate_episode(sample_episode(SO_NGAY_DTRI="5", **inpatient))
    assert (problem.code, problem.field) == ("treatment_days", "SO_NGAY_DTRI")
    assert "4" in problem.message_en


def test_progress_notes_are_required_for_inpatients():
    episode = sample_episode(MA_LOAI_KCB="03", SO_NGAY_DTRI="1", XML5=[])
    assert _where(validate_episode(episode)) == [("XML5", "", 0, "missing_table")]


def test_episode_links_and_facility():
    episode = sample_episode()
    episode.tables["XML2"][1]["MA_LK"] = "OTHER"
    episode.tables["XML3"][2]["STT"] = "1"
    episode.facility_code = "79001"
    assert sorted(_where(validate_episode(episode))) == sorted([
        ("XML2", "MA_LK", 2, "ma_lk_mismatch"), ("XML3", "STT", 3, "duplicate_stt"),
        ("XML1", "MA_CSKCB", 1, "facility_mismatch")])


def _drugs(**changes) -> list[dict[str, str]]:
    lines = [dict(line) for line in sample_episode().tables["XML2"]]
    lines[0].update(changes)
    return lines


def test_line_money_formulas_with_one_vnd_tolerance():
    # totals follow the lines (the sample sums them), so only the line formula is wrong
    wrong = sample_episode(XML2=_drugs(THANH_TIEN_BV="15100", THANH_TIEN_BH="15100",
                                       T_BHTT="12080", T_BNCCT="3020"))
    assert _where(validate_episode(wrong)) == [("XML2", "THANH_TIEN_BV", 1, "amount_mismatch"),
                                               ("XML2", "THANH_TIEN_BH", 1, "amount_mismatch")]
    rounded = sample_episode(XML2=_drugs(THANH_TIEN_BV="15001", T_BNTT="1", T_BHTT="12001",
                                         T_BNCCT="2999"))
    assert validate_episode(rounded) == []
    shifted = sample_episode(XML2=_drugs(T_BHTT="12100", T_BNCCT="2900"))
    assert _where(validate_episode(shifted)) == [("XML2", "T_BHTT", 1, "share_mismatch"),
                                                 ("XML2", "T_BNCCT", 1, "share_mismatch")]


def test_other_source_money_cases_are_accepted():
    # case a: 5,000 support of a 15,000 drug at 80 %: BNTT' 0 → BNCCT' 3,000 → BHTT' 2,000
    case_a = sample_episode(XML2=_drugs(T_NGUONKHAC_NSNN="5000", T_NGUONKHAC="5000",
                                        T_BNCCT="0", T_BHTT="10000"))
    assert validate_episode(case_a) == []
    not_a_case = sample_episode(XML2=_drugs(T_NGUONKHAC_NSNN="5000", T_NGUONKHAC="5000"))
    assert {p.code for p in validate_episode(not_a_case)} == {"share_mismatch"}


def test_icd10_rules_on_the_main_diagnosis():
    assert _where(validate_episode(sample_episode(MA_BENH_CHINH="B95.0"))) == [
        ("XML1", "MA_BENH_CHINH", 1, "not_primary_icd10")]
    assert _where(validate_episode(sample_episode(MA_BENH_CHINH="Z99.99"))) == [
        ("XML1", "MA_BENH_CHINH", 1, "unknown_icd10")]
    assert _where(validate_episode(sample_episode(GIOI_TINH="2", MA_BENH_CHINH="N40"))) == [
        ("XML1", "MA_BENH_CHINH", 1, "sex_specific_code")]  # male-only code for a woman
    assert validate_episode(sample_episode(MA_BENH_CHINH="J06")) == []
    assert _where(validate_episode(sample_episode(MA_BENH_CHINH="J06"), warnings=True)) == [
        ("XML1", "MA_BENH_CHINH", 1, "unspecific_icd10")]
    episode = sample_episode()
    episode.tables["XML3"][0]["MA_BENH"] = "J06.9;QQQ"
    assert _where(validate_episode(episode)) == [("XML3", "MA_BENH", 1, "unknown_icd10")]


def _checkin(**changes) -> CheckIn:
    record = fields.empty_record("XML0")
    record.update(MA_LK="LK1", STT="1", MA_BN="BN1", HO_TEN="Lê Văn A",
                  NGAY_SINH="199000000000", GIOI_TINH="1", MA_DOITUONG_KCB="1.1",
                  NGAY_VAO="202611200800", MA_LOAI_KCB="01", MA_CSKCB="01001",
                  MA_DICH_VU="02.1896", TEN_DICH_VU="Khám Nội", NGAY_YL="202611200810")
    record.update(changes)
    return CheckIn(facility_code="01001", records=[record])


def test_checkin_records():
    assert validate_checkin(_checkin(), warnings=True) == []  # partial birth date allowed
    assert _where(validate_checkin(_checkin(NGAY_VAO_NOI_TRU="202611200900"))) == [
        ("XML0", "LY_DO_VNT", 1, "required_if")]
    assert _where(validate_checkin(_checkin(MA_DICH_VU="", TEN_DICH_VU=""))) == [
        ("XML0", "MA_DICH_VU", 1, "required_if"), ("XML0", "MA_THUOC", 1, "required_if"),
        ("XML0", "MA_VAT_TU", 1, "required_if")]  # the first cost is one of the three
    assert _where(validate_checkin(_checkin(MA_DOITUONG_KCB="2"), warnings=True)) == [
        ("XML0", "MA_DOITUONG_KCB", 1, "emergency_checkin")]


BAD_VALUES = ("", "x" * 5000, "abc", "2026-11-20", "20261320", "202611201261", "-1", "1.2345",
              "99", "\x01", "A;B", "0")


def test_fast_path_never_hides_a_problem():
    """Whole-record fast checks give the same problems as the field-by-field checks."""
    compiled = validate._compiled(date.today())
    episode = sample_episode()
    checked = 0
    for table, records in episode.tables.items():
        spec = compiled[table]
        for name in fields.field_names(table):
            for bad in BAD_VALUES:
                record = {**records[-1], name: bad}
                slow: list = []
                _slow_check(spec, record, slow)
                fast: list = []
                validate._check_record(spec, record, 1, "", fast)
                assert fast == slow, (table, name, bad)
                checked += bool(slow)
    assert checked > 500


def _slow_check(spec, record, out) -> None:
    class Never:
        @staticmethod
        def clean(record) -> bool:
            return False

        @staticmethod
        def spotless(record) -> bool:
            return False

    shadow = validate._Table(spec.name, spec.plain, spec.complex, Never())
    validate._check_record(shadow, record, 1, "", out)


def test_an_amendment_is_a_data_change(tmp_path, monkeypatch):
    amended = tmp_path / "overrides.csv"
    rows = list(csv.DictReader(fields.OVERRIDES_FILE.open(encoding="utf-8")))
    rows.append({"table": "XML1", "field": "DIEN_THOAI", "attribute": "required",
                 "value": "yes", "valid_from": "", "source": "test amendment"})
    with amended.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    def clear() -> None:
        fields._overrides.cache_clear()
        fields._table_spec.cache_clear()
        validate._compiled.cache_clear()

    monkeypatch.setattr(fields, "OVERRIDES_FILE", amended)
    clear()
    try:
        assert _where(validate_episode(sample_episode(DIEN_THOAI=""))) == [
            ("XML1", "DIEN_THOAI", 1, "required")]
    finally:
        monkeypatch.undo()
        clear()
    assert validate_episode(sample_episode(DIEN_THOAI="")) == []


# CLI


def test_cli_clean_file_exits_zero(tmp_path):
    path = tmp_path / "ok.xml"
    path.write_bytes(envelope_xml(sample_episode(), created=CREATED))
    result = CliRunner().invoke(main, ["claims", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 episode(s), 0 check-in record(s), 0 problem(s)" in result.output


def test_cli_prints_every_problem_and_exits_one():
    result = CliRunner().invoke(main, ["claims", "validate", str(DEFECTS / "missing_required.xml"),
                                       str(DEFECTS / "wrong_date_format.xml")])
    assert result.exit_code == 1
    assert "[required] HOSO 1 XML1 HO_TEN record 1 MA_LK 01001-20261120-0001" in result.output
    assert "vi: XML2.DON_VI_TINH là trường bắt buộc nhưng để trống." in result.output
    assert "en: XML3.NGAY_YL = '20261120' is not in the yyyymmddHHMM format." in result.output


def test_cli_json_and_duplicates_across_files(tmp_path):
    for name in ("a.xml", "b.xml"):
        (tmp_path / name).write_bytes(envelope_xml(sample_episode(), created=CREATED))
    result = CliRunner().invoke(main, ["claims", "validate", "--json", str(tmp_path)])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["errors"] == 1
    assert report["files"][0]["problems"] == []
    [duplicate] = report["files"][1]["problems"]
    assert (duplicate["code"], duplicate["table"], duplicate["field"]) == (
        "duplicate_ma_lk", "XML1", "MA_LK")


# API


async def test_api_validates_an_upload_and_a_raw_body(client, make_facility, token_for):
    await make_facility(code="01001")
    headers = auth(await token_for("cashier", "01001"))
    data = (DEFECTS / "female_code_for_man.xml").read_bytes()
    response = await client.post("/api/claims/validate", headers=headers,
                                 files={"file": ("claim.xml", data, "application/xml")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["episodes"] == 1
    assert [(p["table"], p["field"], p["record"], p["code"]) for p in body["problems"]] == [
        ("XML1", "MA_BENH_CHINH", 1, "sex_specific_code"),
        ("XML1", "MA_BENH_KT", 1, "sex_specific_code")]
    clean = envelope_xml(sample_episode(), created=CREATED)
    response = await client.post("/api/claims/validate", content=clean,
                                 headers={**headers, "content-type": "application/xml"})
    assert response.status_code == 200
    assert response.json() == {"problems": [], "episodes": 1, "checkins": 0}


async def test_api_refuses_a_file_that_is_not_xml(client, make_facility, token_for):
    await make_facility(code="01001")
    headers = auth(await token_for("department_analyst"))
    response = await client.post("/api/claims/validate", content=b"%PDF-1.4 not xml",
                                 headers={**headers, "content-type": "application/pdf"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "not_xml"
    assert error["message_vi"] and error["message_en"]


async def test_api_refuses_other_roles(client, make_facility, token_for):
    await make_facility(code="01001")
    headers = auth(await token_for("doctor", "01001"))
    response = await client.post("/api/claims/validate", content=b"<x/>", headers=headers)
    assert response.status_code == 403


def test_partial_records_are_checked_as_if_the_missing_fields_were_empty():
    episode = sample_episode()
    del episode.tables["XML1"][0]["HO_TEN"]
    del episode.tables["XML3"][2]["TT_THAU"]
    assert _where(validate_episode(episode)) == [("XML1", "HO_TEN", 1, "required"),
                                                 ("XML3", "TT_THAU", 3, "required_if")]


def test_checkin_files_are_validated(tmp_path):
    from smarthealth.claims.xmlfile import checkin_xml

    data = checkin_xml(_checkin(NGAY_VAO="20261120"))
    assert [(p.table, p.field, p.record, p.code) for p in validate_file(data)] == [
        ("XML0", "NGAY_VAO", 1, "date_format")]
    assert validate_file(checkin_xml(_checkin())) == []


def test_cli_warnings_do_not_change_the_exit_code(tmp_path):
    path = tmp_path / "warn.xml"
    path.write_bytes(envelope_xml(sample_episode(MA_BENH_CHINH="J06"), created=CREATED))
    quiet = CliRunner().invoke(main, ["claims", "validate", str(path)])
    assert quiet.exit_code == 0 and "WARNING" not in quiet.output
    loud = CliRunner().invoke(main, ["claims", "validate", "--warnings", str(path)])
    assert loud.exit_code == 0
    assert "WARNING [unspecific_icd10] HOSO 1 XML1 MA_BENH_CHINH record 1" in loud.output
