"""The facility's XML signature in CHUKYDONVI: it verifies, and any change is detected."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from smarthealth.claims import signing
from smarthealth.claims.episode import CheckIn
from smarthealth.claims.fields import empty_record
from smarthealth.claims.xmlfile import checkin_xml, envelope_xml
from tests.claims.conftest import FACILITY, sample_episode

DS = {"ds": signing.DS}


@pytest.fixture(scope="module")
def seal() -> signing.XmlSigner:
    return signing.facility_xml_signer(facility_code=FACILITY, facility_name="BV Thử nghiệm")


def envelope(**overrides) -> bytes:
    return envelope_xml(sample_episode(**overrides), created=date(2026, 11, 20))


def checkin() -> bytes:
    record = empty_record("XML0")
    record.update(MA_LK="01001-20261120-0001", STT="1", MA_BN="BN001", HO_TEN="Nguyễn Văn An",
                  NGAY_SINH="199005030000", GIOI_TINH="1", MA_DOITUONG_KCB="1.1",
                  NGAY_VAO="202611200800", MA_LOAI_KCB="01", MA_CSKCB=FACILITY,
                  MA_DICH_VU="02.1896", TEN_DICH_VU="Khám Nội", NGAY_YL="202611200805")
    return checkin_xml(CheckIn(facility_code=FACILITY, records=[record]))


def test_a_signed_envelope_verifies_and_names_the_facility(seal):
    signed = signing.sign_envelope(envelope(), signer=seal)
    check = signing.verify_envelope(signed)
    assert check == signing.SignatureCheck(True, f"BV Thử nghiệm ({FACILITY})", "ok",
                                           "GIAMDINHHS")
    root = etree.fromstring(signed)
    assert root[-1].tag == "CHUKYDONVI" and len(root[-1]) == 1
    sig = root.find("CHUKYDONVI/ds:Signature", DS)
    assert sig.find("ds:SignedInfo/ds:SignatureMethod", DS).get("Algorithm") == signing.RSA_SHA256
    reference = sig.find("ds:SignedInfo/ds:Reference", DS)
    assert reference.get("URI") == ""
    assert reference.find("ds:DigestMethod", DS).get("Algorithm") == signing.SHA256
    assert [t.get("Algorithm") for t in reference.find("ds:Transforms", DS)] == [
        signing.ENVELOPED, signing.C14N]


def test_the_original_content_is_kept_byte_for_byte_apart_from_the_signature(seal):
    original = envelope()
    signed = signing.sign_envelope(original, signer=seal)
    before = original[original.index(b"<GIAMDINHHS>"):original.index(b"<CHUKYDONVI/>")]
    assert before in signed


@pytest.mark.parametrize("change", [
    (b"<MACSKCB>01001</MACSKCB>", b"<MACSKCB>01002</MACSKCB>"),
    (b"<NGAYLAP>20261120</NGAYLAP>", b"<NGAYLAP>20261121</NGAYLAP>"),
    (b"<LOAIHOSO>XML2</LOAIHOSO>", b"<LOAIHOSO>XML3</LOAIHOSO>"),
])
def test_any_change_to_the_signed_content_is_detected(seal, change):
    signed = signing.sign_envelope(envelope(), signer=seal)
    assert change[0] in signed
    check = signing.verify_envelope(signed.replace(*change))
    assert not check.valid and check.reason == "tampered"


def test_a_changed_amount_inside_an_inner_file_is_detected(seal):
    original = envelope()
    signed = signing.sign_envelope(original, signer=seal)
    other = envelope(T_TONGCHI_BV="999999")
    root, changed = etree.fromstring(signed), etree.fromstring(other)
    first = root.find(".//FILEHOSO/NOIDUNGFILE")
    first.text = changed.find(".//FILEHOSO/NOIDUNGFILE").text
    assert b"999999" in base64.b64decode(first.text)
    check = signing.verify_envelope(etree.tostring(root))
    assert (check.valid, check.reason) == (False, "tampered")


def test_a_changed_signature_value_and_a_removed_signature_are_detected(seal):
    signed = signing.sign_envelope(envelope(), signer=seal)
    root = etree.fromstring(signed)
    value = root.find(".//ds:SignatureValue", DS)
    raw = bytearray(base64.b64decode(value.text))
    raw[10] ^= 0xFF
    value.text = base64.b64encode(bytes(raw)).decode()
    assert signing.verify_envelope(etree.tostring(root)).reason == "bad_signature"
    assert signing.verify_envelope(envelope()).reason == "no_signature"
    assert signing.verify_envelope(b"<GIAMDINHHS><unclosed></GIAMDINHHS>").reason == "malformed"


def _self_signed() -> signing.XmlSigner:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Giả mạo ({FACILITY})")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .sign(key, hashes.SHA256()))
    return signing.XmlSigner(key, cert)


def test_a_certificate_outside_the_trusted_ca_is_refused():
    signed = signing.sign_envelope(envelope(), signer=_self_signed())
    check = signing.verify_envelope(signed)
    assert (check.valid, check.reason) == (False, "untrusted")
    assert check.subject == f"Giả mạo ({FACILITY})"


def test_namespace_declarations_on_the_root_are_signed_correctly(seal):
    original = envelope().replace(
        b"<GIAMDINHHS>", b'<GIAMDINHHS xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                         b'xmlns:xsd="http://www.w3.org/2001/XMLSchema">')
    assert signing.verify_envelope(signing.sign_envelope(original, signer=seal)).valid


def test_a_check_in_file_is_signed_with_chukydonvi_beside_the_list(seal):
    signed = signing.sign_checkin(checkin(), signer=seal)
    root = etree.fromstring(signed)
    assert [c.tag for c in root] == ["DSACH_TRANG_THAI_KCB", "CHUKYDONVI"]
    assert signing.verify_envelope(signed).valid
    tampered = signed.replace("Khám Nội".encode(), "Khám Ngoại".encode())
    assert tampered != signed
    assert signing.verify_envelope(tampered).reason == "tampered"
    without_slot = checkin().replace(b"<CHUKYDONVI/>", b"")
    resigned = etree.fromstring(signing.sign_checkin(without_slot, signer=seal))
    assert [c.tag for c in resigned] == ["DSACH_TRANG_THAI_KCB", "CHUKYDONVI"]


def test_signing_the_wrong_kind_of_file_is_refused(seal):
    with pytest.raises(signing.SigningError):
        signing.sign_envelope(checkin(), signer=seal)
    with pytest.raises(signing.SigningError):
        signing.sign_checkin(envelope(), signer=seal)
    with pytest.raises(signing.SigningError):
        signing.sign_envelope(b"not xml", signer=seal)


def test_a_batch_signed_in_a_process_pool_verifies_in_order(seal):
    files = [envelope(MA_LK=f"01001-20261120-{i:04d}") for i in range(6)]
    signed = signing.sign_many(files, signer=seal, processes=2, chunksize=1)
    assert len(signed) == 6
    for i, data in enumerate(signed):
        assert f"01001-20261120-{i:04d}".encode() in base64.b64decode(
            etree.fromstring(data).find(".//NOIDUNGFILE").text)
        assert signing.verify_envelope(data).valid
