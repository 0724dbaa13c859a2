"""PAdES signing and verification of PDF documents with pyHanko.

The key source is pluggable: anything that satisfies `Signer` can sign. Today the platform
ships `Pkcs12FileSigner` (a PKCS#12 file under var/pki/, issued by the demo CA). A USB token
or HSM would be a `Signer` returning pyHanko's PKCS#11 signer, and a remote signing service
(Vietnamese "ký số từ xa") one returning a custom pyHanko signer; neither is built yet.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from smarthealth.emr import pki

SIGNATURE_FIELD = "ChuKyBacSi"


class Signer(Protocol):
    """A key that can sign PDFs (PKCS#12 file now; USB token, HSM or remote service later)."""

    def pyhanko_signer(self) -> signers.Signer:
        """The pyHanko signer object holding the certificate and the signing key."""
        ...


class _CachedKeySigner(signers.SimpleSigner):
    """pyHanko's in-memory signer, parsing the private key once instead of at every signature
    (and answering the size-estimating dry run without signing)."""

    def __init__(self, loaded: signers.SimpleSigner) -> None:
        super().__init__(signing_cert=loaded.signing_cert, signing_key=loaded.signing_key,
                         cert_registry=loaded.cert_registry)
        self._key = serialization.load_der_private_key(loaded.signing_key.dump(), password=None)

    async def async_sign_raw(self, data: bytes, digest_algorithm: str,
                             dry_run: bool = False) -> bytes:
        if dry_run and isinstance(self._key, RSAPrivateKey):
            return bytes(self._key.key_size // 8)
        return self.sign_raw(data, digest_algorithm)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._key, RSAPrivateKey):
            return self._key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        return super().sign_raw(data, digest_algorithm)


class Pkcs12FileSigner:
    """Signs with the key and certificate of a password-protected PKCS#12 file."""

    def __init__(self, path: Path, password: bytes) -> None:
        self.path = path
        self.password = password
        self._signer: signers.SimpleSigner | None = None

    @classmethod
    def from_credential(cls, credential: pki.Credential) -> Pkcs12FileSigner:
        return cls(credential.path, credential.password)

    def pyhanko_signer(self) -> signers.Signer:
        if self._signer is None:
            loaded = signers.SimpleSigner.load_pkcs12(str(self.path), passphrase=self.password)
            if loaded is None:
                raise RuntimeError(f"cannot open the PKCS#12 file {self.path}")
            self._signer = _CachedKeySigner(loaded)
        return self._signer

    def subject_name(self) -> str:
        """The certificate's common name (the signer as the document shows it)."""
        cert = self.pyhanko_signer().signing_cert
        return cert.subject.native.get("common_name", "") if cert is not None else ""


_LOADED: dict[tuple[str, int], Pkcs12FileSigner] = {}


def signer_for(credential: pki.Credential) -> Pkcs12FileSigner:
    """A loaded signer per PKCS#12 file version (opening one costs ~0.1 s of key derivation)."""
    key = (str(credential.path), credential.path.stat().st_mtime_ns)
    signer = _LOADED.get(key)
    if signer is None:
        if len(_LOADED) > 256:
            _LOADED.clear()
        signer = _LOADED[key] = Pkcs12FileSigner.from_credential(credential)
        signer.pyhanko_signer()
    return signer


def facility_signer(*, facility_code: str, facility_name: str) -> Pkcs12FileSigner:
    """The facility's seal (claims are signed with it), issued by the demo CA on first use."""
    return signer_for(pki.ensure_facility_credential(facility_code=facility_code,
                                                     facility_name=facility_name))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def sign_pdf(pdf: bytes, *, signer: Signer, reason: str, location: str = "Hà Nội") -> bytes:
    """Sign a PDF as PAdES B-B (SHA-256) in one incremental update; returns the signed bytes.

    The signature field is invisible: the form itself prints the signer and time in its
    signature block (pyHanko's own stamp cannot lay out Vietnamese text reliably).
    """
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD, md_algorithm="sha256", reason=reason, location=location,
        subfilter=fields.SigSeedSubFilter.PADES)
    pdf_signer = signers.PdfSigner(meta, signer=signer.pyhanko_signer())
    out = BytesIO()
    await pdf_signer.async_sign_pdf(writer, output=out)
    return out.getvalue()


@dataclass
class VerificationReport:
    """What a reader needs to trust a signed document."""

    valid: bool = False
    intact: bool = False
    trusted: bool = False
    covers_whole_document: bool = False
    coverage: str = "none"
    modification_level: str | None = None
    signer: str | None = None
    signer_organisation: str | None = None
    signed_at: datetime | None = None
    signatures: int = 0
    sha256: str = ""
    sha256_matches: bool | None = None
    problems: list[str] = field(default_factory=list)


def validation_context() -> ValidationContext:
    """Trust only the demo root CA; no network fetching (no OCSP/CRL in the demo PKI)."""
    root = load_cert_from_pemder(str(pki.ensure_ca()))
    return ValidationContext(trust_roots=[root], allow_fetching=False,
                             revocation_mode="soft-fail")


def _describe_signer(report: VerificationReport, status: object) -> None:
    cert = getattr(status, "signing_cert", None)
    if cert is not None:
        subject = cert.subject.native
        report.signer = subject.get("common_name")
        report.signer_organisation = subject.get("organization_name")


async def verify_pdf(pdf: bytes, *, expected_sha256: str | None = None) -> VerificationReport:
    """Validate the last signature of a PDF against the demo CA; never raises for bad input."""
    report = VerificationReport(sha256=sha256_hex(pdf))
    if expected_sha256 is not None:
        report.sha256_matches = report.sha256 == expected_sha256
        if not report.sha256_matches:
            report.problems.append("sha256_mismatch")
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        embedded = reader.embedded_signatures
    except Exception as exc:  # a damaged file is a verification result, not a server error
        report.problems.append(f"unreadable: {type(exc).__name__}")
        return report
    report.signatures = len(embedded)
    if not embedded:
        report.problems.append("no_signature")
        return report
    try:
        status = await async_validate_pdf_signature(
            embedded[-1], signer_validation_context=validation_context(),
            key_usage_settings=KeyUsageConstraints(key_usage={"non_repudiation"}))
    except Exception as exc:
        report.problems.append(f"invalid: {type(exc).__name__}")
        return report
    _fill(report, status)
    return report


def _fill(report: VerificationReport, status: object) -> None:
    report.intact = bool(status.intact and status.valid)
    report.trusted = bool(status.trusted)
    report.coverage = status.coverage.name.lower() if status.coverage else "none"
    report.covers_whole_document = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    level = status.modification_level
    report.modification_level = level.name.lower() if level is not None else None
    report.signed_at = status.signer_reported_dt
    _describe_signer(report, status)
    if not report.intact:
        report.problems.append("modified")
    if not report.trusted:
        report.problems.append("untrusted")
    if not report.covers_whole_document:
        report.problems.append("changed_after_signing")
    report.valid = (report.intact and report.trusted and report.covers_whole_document
                    and report.sha256_matches is not False)
