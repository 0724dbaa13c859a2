"""PAdES signing with the demo PKI and verification of signed PDFs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from smarthealth.emr import pdf_forms, pki, signing
from tests.emr.fake_encounter import fake_encounter


def _doctor() -> signing.Pkcs12FileSigner:
    credential = pki.ensure_user_credential(username="bacsi_test", full_name="Trần Văn Minh",
                                            facility_name="Bệnh viện Đa khoa Xanh Pôn")
    return signing.Pkcs12FileSigner.from_credential(credential)


@pytest.fixture(scope="module")
async def signed_pdf() -> bytes:
    pdf = pdf_forms.render_summary(fake_encounter())
    return await signing.sign_pdf(pdf, signer=_doctor(), reason="Tóm tắt hồ sơ bệnh án")


async def test_signed_pdf_verifies_with_signer_time_and_whole_file(signed_pdf):
    report = await signing.verify_pdf(signed_pdf, expected_sha256=signing.sha256_hex(signed_pdf))
    assert report.valid and report.intact and report.trusted
    assert report.covers_whole_document and report.sha256_matches
    assert report.signer == "Trần Văn Minh"
    assert report.signer_organisation == "Bệnh viện Đa khoa Xanh Pôn"
    assert abs(report.signed_at - datetime.now(UTC)) < timedelta(hours=1)
    assert report.problems == []


async def test_flipping_any_signed_byte_is_detected(signed_pdf):
    for position in (len(signed_pdf) // 5, len(signed_pdf) // 2, len(signed_pdf) - 40):
        damaged = bytearray(signed_pdf)
        damaged[position] ^= 0x01
        report = await signing.verify_pdf(bytes(damaged),
                                          expected_sha256=signing.sha256_hex(signed_pdf))
        assert not report.valid
        assert not report.sha256_matches


async def test_byte_flip_in_page_content_breaks_integrity(signed_pdf):
    position = signed_pdf.index(b"stream") + 40  # inside the first stream, within the byte range
    damaged = bytearray(signed_pdf)
    damaged[position] ^= 0x01
    report = await signing.verify_pdf(bytes(damaged))
    assert not report.intact and not report.valid
    assert "modified" in report.problems or any(p.startswith("invalid") for p in report.problems)


async def test_incremental_update_after_signing_is_reported(signed_pdf):
    writer = IncrementalPdfFileWriter(BytesIO(signed_pdf))
    writer.root["/SmartHealthTampered"] = generic.NameObject("/Yes")
    writer.update_root()
    out = BytesIO()
    writer.write(out)
    report = await signing.verify_pdf(out.getvalue())
    assert report.intact  # the signed revision itself is untouched ...
    assert not report.covers_whole_document  # ... but something was appended after it
    assert not report.valid
    assert "changed_after_signing" in report.problems


async def test_certificate_from_another_ca_is_untrusted(tmp_path, monkeypatch):
    pdf = await signing.sign_pdf(pdf_forms.render_prescription(fake_encounter()),
                                 signer=_doctor(), reason="Đơn thuốc")
    settings = pki.get_settings()
    monkeypatch.setattr(settings, "var_dir", tmp_path)  # a fresh, different demo CA
    report = await signing.verify_pdf(pdf)
    assert report.intact and not report.trusted and not report.valid


async def test_unreadable_or_unsigned_input_is_a_report_not_an_error():
    garbage = await signing.verify_pdf(b"not a pdf at all")
    assert not garbage.valid and garbage.problems
    unsigned = await signing.verify_pdf(pdf_forms.render_summary(fake_encounter()))
    assert unsigned.signatures == 0 and "no_signature" in unsigned.problems


def test_practitioner_certificate_is_reissued_when_the_holder_changes():
    first = pki.ensure_user_credential(username="bacsi_x", full_name="Lê Văn A")
    again = pki.ensure_user_credential(username="bacsi_x", full_name="Lê Văn A")
    assert first.path.read_bytes() == again.path.read_bytes()
    other = pki.ensure_user_credential(username="bacsi_x", full_name="Phạm Thị B")
    assert signing.Pkcs12FileSigner.from_credential(other).subject_name() == "Phạm Thị B"


def test_facility_seal_names_the_facility():
    seal = signing.facility_signer(facility_code="01013",
                                   facility_name="Bệnh viện Đa khoa Xanh Pôn")
    assert seal.subject_name() == "Bệnh viện Đa khoa Xanh Pôn (01013)"
    assert seal.path.stat().st_mode & 0o077 == 0


async def test_init_demo_issues_the_facility_seal_and_its_doctors(make_facility, token_for):
    from smarthealth.core.db import get_database
    from smarthealth.emr.pki_cli import init_demo

    await make_facility(code="01013", name="Bệnh viện Đa khoa Xanh Pôn")
    await token_for("doctor", "01013")
    await token_for("receptionist", "01013")
    async with get_database().session() as s:
        done = await init_demo(s, facility_codes=["01013"])
    assert (done.facilities, done.practitioners) == (1, 1)
    assert pki.facility_credential_path("01013").exists()
    assert pki.user_credential_path("doctor1").exists()
    assert not pki.user_credential_path("receptionist2").exists()


async def test_pki_init_demo_command(make_facility, token_for):
    import os
    import subprocess
    import sys

    await make_facility(code="01013", name="Bệnh viện Đa khoa Xanh Pôn")
    await token_for("doctor", "01013")
    result = subprocess.run([sys.executable, "-m", "smarthealth.cli", "pki", "init-demo",
                             "--facility", "01013"], capture_output=True, text=True,
                            env=os.environ, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "1 facility seal(s), 1 practitioner certificate(s)" in result.stdout
    assert pki.ca_certificate_path().exists()
