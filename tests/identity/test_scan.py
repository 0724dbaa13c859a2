"""Scan recognition (identity.md §2–§4): QR layouts, chip JSON, numbers, BHYT, bad input."""

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smarthealth.identity import scan
from smarthealth.identity.config import get_identity_settings
from smarthealth.identity.scan import InvalidScan, ScanResult, recognise

EXAMPLE = "001090123456|012345678|NGUYEN VAN A|01011990|Nam|Phường …, TP. Hồ Chí Minh|15042021"


def test_reference_example_qr_is_read_field_by_field():
    result = recognise(EXAMPLE)
    p = result.person
    assert result.source == "cccd_qr"
    assert (p.cccd, p.old_id, p.full_name, p.birth_date, p.sex, p.address, p.card_issue_date) \
        == ("001090123456", "012345678", "NGUYEN VAN A", date(1990, 1, 1), "male",
            "Phường …, TP. Hồ Chí Minh", date(2021, 4, 15))
    assert result.warnings == []


@pytest.mark.parametrize("payload", [
    "001090123456||NGUYEN VAN A|01011990|Nam|Phường 1, TP. Hồ Chí Minh|15042021",
    "001090123456|NGUYEN VAN A|01011990|Nam|Phường 1, TP. Hồ Chí Minh|15042021",
    "001090123456|NGUYEN VAN A|01/01/1990|Nam|Phường 1, TP. Hồ Chí Minh|15/04/2021",
    "001090123456||NGUYEN VAN A|01/01/1990|nam|Phường 1, TP. Hồ Chí Minh|15/04/2021||",
    "\ufeff001090123456||NGUYEN VAN A|01011990|NAM|Phường 1, TP. Hồ Chí Minh|15042021\r\n",
    "  001090123456||NGUYEN  VAN   A |01011990|Nam|Phường 1, TP. Hồ Chí Minh|15042021  ",
    "001090123456||NGUYEN VAN A||01011990|Nam||Phường 1, TP. Hồ Chí Minh|15042021",
    "|001090123456||NGUYEN VAN A|01011990|Nam|Phường 1, TP. Hồ Chí Minh|15042021|",
])
def test_both_layouts_date_forms_and_stray_separators_read_the_same(payload):
    p = recognise(payload).person
    assert (p.cccd, p.full_name, p.birth_date, p.sex, p.address, p.card_issue_date) == (
        "001090123456", "NGUYEN VAN A", date(1990, 1, 1), "male", "Phường 1, TP. Hồ Chí Minh",
        date(2021, 4, 15))


def test_six_field_layout_can_be_switched_off(monkeypatch):
    monkeypatch.setattr(get_identity_settings(), "accept_six_field_qr", False)
    with pytest.raises(InvalidScan) as info:
        recognise("001090123456|NGUYEN VAN A|01011990|Nam|Hà Nội|15042021")
    assert info.value.details["kind"] == "qr_layout"


@pytest.mark.parametrize(("text", "birth", "precision"), [
    ("00001990", date(1990, 1, 1), "year"),
    ("00/00/1990", date(1990, 1, 1), "year"),
    ("00071990", date(1990, 7, 1), "month"),
    ("15071990", date(1990, 7, 15), "day"),
])
def test_zero_day_or_month_means_unknown_and_keeps_the_year(text, birth, precision):
    p = recognise(f"001090123456||Lê Thị Hoa|{text}|Nữ|Hà Nội|15042021").person
    assert (p.birth_date, p.birth_date_precision) == (birth, precision)


@pytest.mark.parametrize("sex_text", ["Nữ", "NỮ", "nữ", "Nu", "NU", "nu"])
def test_female_is_read_with_or_without_diacritics(sex_text):
    assert recognise(f"001190123456||Lê Thị Hoa|01011990|{sex_text}|Hà Nội|01012022") \
        .person.sex == "female"


def test_mixed_case_name_is_kept_as_given_in_nfc():
    decomposed = "Nguye\u0302\u0303n Va\u0306n An"  # NFD from some scanners
    p = recognise(f"001090123456||{decomposed}|01011990|Nam|Hà Nội|01012022").person
    assert p.full_name == "Nguyễn Văn An"


def test_latin1_mojibake_is_repaired_and_flagged():
    good = "001090123456||Nguyễn Văn An|01011990|Nam|Phường Hoàn Kiếm, Hà Nội|01012022"
    result = recognise(good.encode("utf-8").decode("latin-1"))
    assert result.person.full_name == "Nguyễn Văn An"
    assert result.person.address == "Phường Hoàn Kiếm, Hà Nội"
    assert [w.code for w in result.warnings] == ["encoding_repaired"]


def test_cp1252_mojibake_is_repaired():
    result = recognise("001090123456||Nguyá»…n VÄƒn An|01011990|Nam|Hà Ná»™i|01012022")
    assert result.person.full_name == "Nguyễn Văn An"


def test_lost_characters_are_flagged_not_hidden():
    result = recognise("001090123456||Nguy\ufffdn V\ufffdn An|01011990|Nam|H\ufffd N\ufffdi|")
    assert "encoding_damaged" in [w.code for w in result.warnings]


def test_cccd_disagreeing_with_birth_date_and_sex_is_warned():
    result = recognise("001190123456||Lê Văn Bình|01011991|Nam|Hà Nội|01012022")
    mismatches = {w.field: w for w in result.warnings if w.code == "cccd_mismatch"}
    assert set(mismatches) == {"sex", "birth_year"}
    assert (mismatches["sex"].expected, mismatches["sex"].found) == ("female", "male")
    assert (mismatches["birth_year"].expected, mismatches["birth_year"].found) == ("1990", "1991")


def test_truncated_qr_keeps_what_it_has_and_says_what_is_missing():
    result = recognise("001090123456||NGUYEN VAN A|01011990|Nam|Phường 1")
    assert result.person.address == "Phường 1" and result.person.card_issue_date is None
    assert result.warnings[0].code == "qr_truncated"


@pytest.mark.parametrize(("payload", "kind"), [
    ("001090123456||NGUYEN VAN A|0101", "qr_truncated"),
    ("001090123456||NGUYEN VAN", "qr_truncated"),
    ("001090123456|", "qr_truncated"),
    ("a|b|c|d|e|f|g|h|i", "qr_layout"),
    ("001090123456|1|2|01011990|Nam|x|01012020|y|z", "qr_field_count"),
    ("", "empty"), ("   \r\n ", "empty"), ("\x00\x01\x02", "empty"),
    ("x" * 5000, "too_long"),
    ("hello world", "unrecognised"),
    ("{not json", "chip_json"),
    ('{"id_card": ' + "[" * 3000, "chip_json"),
])
def test_malformed_scans_are_refused_with_a_named_reason(payload, kind):
    with pytest.raises(InvalidScan) as info:
        recognise(payload)
    assert info.value.details["kind"] == kind
    assert info.value.status_code == 422
    assert info.value.message_vi and info.value.message_en


@pytest.mark.parametrize(("payload", "field"), [
    ("001090123456||NGUYEN VAN A|31021990|Nam|Hà Nội|01012022", "birth_date"),
    ("001090123456||NGUYEN VAN A|01011990|Khác|Hà Nội|01012022", "sex"),
    ("00109012345X||NGUYEN VAN A|01011990|Nam|Hà Nội|01012022", "cccd"),
    ("003090123456||NGUYEN VAN A|01011990|Nam|Hà Nội|01012022", "cccd"),
    ("001090123456||" + "A" * 130 + "|01011990|Nam|Hà Nội|01012022", "full_name"),
])
def test_invalid_fields_are_named(payload, field):
    with pytest.raises(InvalidScan) as info:
        recognise(payload)
    assert field in [p["field"] for p in info.value.details["problems"]]


def test_bad_issue_date_is_a_warning_not_a_refusal():
    result = recognise("001090123456||NGUYEN VAN A|01011990|Nam|Hà Nội|99999999")
    assert result.person.card_issue_date is None
    assert [w.code for w in result.warnings] == ["invalid_date"]


CHIP = {
    "id_card": "001190123456", "full_name": "Trần Thị Bích", "date_of_birth": "02/03/1990",
    "gender": "Nữ", "nationality": "Việt Nam", "race": "Kinh", "religion": "Không",
    "place_of_origin": "Nam Định", "place_of_residence": "Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội",
    "personal_identification": "Nốt ruồi", "date_of_issue": "10/05/2021",
    "date_of_expiry": "02/03/2040", "father_name": "Trần Văn C", "mother_name": "Lê Thị D",
    "wife_name": "", "old_id_card": "012345678", "id_img": "/9j/4AAQSkZJRg==",
}


def test_chip_reader_json_maps_to_person_fields():
    result = recognise(json.dumps(CHIP, ensure_ascii=False))
    p = result.person
    assert result.source == "chip_reader"
    assert (p.cccd, p.full_name, p.birth_date, p.sex, p.address, p.card_issue_date,
            p.card_expiry_date, p.old_id, p.ethnicity, p.nationality) == (
        "001190123456", "Trần Thị Bích", date(1990, 3, 2), "female",
        "Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội", date(2021, 5, 10), date(2040, 3, 2),
        "012345678", "Kinh", "Việt Nam")
    assert result.warnings == []


def test_chip_reader_face_image_and_family_are_not_kept():
    out = json.dumps(recognise(json.dumps(CHIP)).to_dict(), ensure_ascii=False)
    assert "/9j/" not in out and "Lê Thị D" not in out and "Không" not in out


@pytest.mark.parametrize("dob", ["02031990", "1990-03-02", "2/3/1990"])
def test_chip_reader_dates_in_other_forms(dob):
    assert recognise(json.dumps({**CHIP, "date_of_birth": dob})).person.birth_date \
        == date(1990, 3, 2)


def test_chip_reader_expired_card_is_warned():
    result = recognise(json.dumps({**CHIP, "date_of_expiry": "01/01/2020"}))
    assert [w.code for w in result.warnings] == ["card_expired"]


def test_chip_reader_with_wrong_types_is_refused_by_field():
    with pytest.raises(InvalidScan) as info:
        recognise(json.dumps({**CHIP, "full_name": ["x"], "gender": None}))
    assert {p["field"] for p in info.value.details["problems"]} == {"full_name", "sex"}


@pytest.mark.parametrize("payload", ["HS4010120878811", "hs 4 01 0120878811",
                                     "HS4-01-0120878811", " HS4010120878811\r\n"])
def test_bhyt_card_code_is_recognised(payload):
    result = recognise(payload)
    assert (result.source, result.person.bhyt_code) == ("bhyt_card", "HS4010120878811")


@pytest.mark.parametrize("payload", ["HS6010120878811", "HS401012087881", "HS40101208788112"])
def test_malformed_bhyt_code_is_refused(payload):
    with pytest.raises(InvalidScan) as info:
        recognise(payload)
    assert info.value.details["kind"] == "bhyt_card"


@pytest.mark.parametrize(("payload", "source", "field", "value"), [
    ("001090123456", "cccd_number", "cccd", "001090123456"),
    ("001 090 123 456", "cccd_number", "cccd", "001090123456"),
    ("012345678", "cmnd_number", "old_id", "012345678"),
    ("B1234567", "passport_number", "passport", "B1234567"),
])
def test_typed_document_numbers(payload, source, field, value):
    result = recognise(payload)
    assert result.source == source and getattr(result.person, field) == value


def test_vneid_adapter_recognises_nothing_by_default():
    with pytest.raises(InvalidScan):
        recognise('{"vneid": "level2", "token": "abc"}')


class RecordedVneidFixture:
    """A test double standing in for the VNeID adapter until the city provides the spec."""

    source = "vneid"

    def recognise(self, text: str) -> ScanResult | None:
        if not text.startswith("VNEID:"):
            return None
        return ScanResult("vneid", scan.ScannedPerson(cccd=text[6:]))


def test_a_registered_adapter_recognises_its_payload():
    adapter = RecordedVneidFixture()
    scan.register_adapter(adapter)
    try:
        assert recognise("VNEID:001090123456").source == "vneid"
    finally:
        scan.unregister_adapter(adapter)


class BrokenAdapter:
    source = "broken"

    def recognise(self, text: str) -> ScanResult | None:
        raise RuntimeError("bug")


def test_a_failing_adapter_does_not_break_scanning():
    adapter = BrokenAdapter()
    scan.register_adapter(adapter)
    try:
        with pytest.raises(InvalidScan):
            recognise("something odd")
    finally:
        scan.unregister_adapter(adapter)


def test_raw_payload_is_never_logged(caplog):
    with caplog.at_level("DEBUG"):
        for payload in [EXAMPLE, "garbage 001090123456", "x|y"]:
            try:
                recognise(payload)
            except InvalidScan:
                pass
    assert "001090123456" not in caplog.text and "NGUYEN" not in caplog.text


qr_like = st.lists(st.one_of(
    st.text(max_size=20), st.sampled_from(["001090123456", "01011990", "Nam", "Nữ", "00/00/1990",
                                           "", "NGUYỄN VĂN A", "\r\n", "\ufeff", "Ã", "|"])),
    max_size=10).map("|".join)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(st.text(max_size=300), qr_like, st.binary(max_size=200).map(
    lambda b: b.decode("latin-1")), st.text(max_size=50).map(lambda t: "{" + t)))
def test_recognise_never_raises_anything_but_invalid_scan(payload):
    try:
        result = recognise(payload)
    except InvalidScan as exc:
        assert exc.to_dict()["message_vi"]
        return
    json.dumps(result.to_dict())


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(list(CHIP) + ["x"]), st.one_of(
    st.none(), st.integers(), st.floats(), st.text(max_size=30), st.booleans(),
    st.lists(st.integers(), max_size=2)), max_size=12))
def test_chip_json_fuzz_never_raises_anything_but_invalid_scan(data):
    try:
        recognise(json.dumps({"id_card": "001090123456", **data}))
    except InvalidScan:
        pass


def test_an_adapter_named_in_settings_is_loaded(monkeypatch):
    monkeypatch.setattr(get_identity_settings(), "scan_adapters",
                        ("tests.identity.test_scan:RecordedVneidFixture",))
    assert recognise("VNEID:001090123456").person.cccd == "001090123456"


def test_qr_without_any_diacritics_warns_about_keyboard_mode():
    result = recognise("001090123456||NGUYEN VAN A|01011990|Nam|Phuong 1, Ha Noi|15042021")
    assert [w.code for w in result.warnings] == ["diacritics_missing"]
