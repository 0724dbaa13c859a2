"""Demo public-key infrastructure: a root CA and one PKCS#12 per practitioner and per facility.

Files live under `var/pki/` (never committed):
  ca.crt / ca.p12                 the demo root CA (trust root for verification)
  users/<username>.p12            a practitioner's signing key and certificate
  facilities/<code>.p12           a facility's seal (used to sign claims)
Every PKCS#12 is protected by the password from settings (`SMARTHEALTH_PKI_PASSWORD`, or one
derived from the secret key when unset). Real deployments use certificates from a licensed
Vietnamese CA (chữ ký số công cộng) on a USB token or HSM instead; see emr/signing.py.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from smarthealth.core.errors import InvalidInput
from smarthealth.core.settings import get_settings

CA_NAME = "SmartHealth Hà Nội Demo Root CA"
KEY_BITS = 2048
LEAF_DAYS = 3 * 365
CA_DAYS = 10 * 365
_SAFE = re.compile(r"^[A-Za-z0-9_.\-]{1,60}$")


@dataclass(frozen=True)
class Credential:
    """A PKCS#12 file on disk and the password that opens it."""

    path: Path
    password: bytes


def pki_dir() -> Path:
    return get_settings().var_dir / "pki"


def pki_password() -> bytes:
    """The password of every demo PKCS#12 file: from settings, else derived from the secret key."""
    settings = get_settings()
    if settings.pki_password:
        return settings.pki_password.encode()
    key = settings.resolved_secret_key().encode()
    return hmac.new(key, b"smarthealth-demo-pki", hashlib.sha256).hexdigest()[:32].encode()


def _name(common_name: str, organisation: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
             x509.NameAttribute(NameOID.LOCALITY_NAME, "Hà Nội")]
    if organisation:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]))
    return x509.Name(parts)


def _write_p12(path: Path, *, name: str, key: rsa.RSAPrivateKey, cert: x509.Certificate,
               cas: list[x509.Certificate]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    blob = pkcs12.serialize_key_and_certificates(
        name.encode(), key, cert, cas,
        serialization.BestAvailableEncryption(pki_password()))
    path.write_bytes(blob)
    path.chmod(0o600)


def _ca_path() -> Path:
    return pki_dir() / "ca.p12"


def ca_certificate_path() -> Path:
    return pki_dir() / "ca.crt"


def ensure_ca() -> Path:
    """Create the demo root CA once; returns the path of its certificate (PEM)."""
    if _ca_path().exists() and ca_certificate_path().exists():
        return ca_certificate_path()
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    now = datetime.now(UTC)
    name = _name(CA_NAME, "SmartHealth Hà Nội (demo)")
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_p12(_ca_path(), name="ca", key=key, cert=cert, cas=[])
    ca_certificate_path().write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return ca_certificate_path()


def load_ca_certificate() -> x509.Certificate:
    return x509.load_pem_x509_certificate(ensure_ca().read_bytes())


def _load_ca() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    ensure_ca()
    key, cert, _ = pkcs12.load_key_and_certificates(_ca_path().read_bytes(), pki_password())
    if not isinstance(key, rsa.RSAPrivateKey) or cert is None:
        raise RuntimeError(f"{_ca_path()} does not hold an RSA CA key")
    return key, cert


def _issue(path: Path, *, common_name: str, organisation: str | None, label: str) -> Credential:
    """Issue a signing certificate from the demo CA and store it with its key as PKCS#12."""
    ca_key, ca_cert = _load_ca()
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(_name(common_name, organisation))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=LEAF_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_p12(path, name=label, key=key, cert=cert, cas=[ca_cert])
    return Credential(path=path, password=pki_password())


def _safe(value: str) -> str:
    if not _SAFE.match(value):
        raise InvalidInput(f"'{value}' cannot name a key file",
                           f"'{value}' không dùng được làm tên tệp khóa")
    return value


def user_credential_path(username: str) -> Path:
    return pki_dir() / "users" / f"{_safe(username)}.p12"


def facility_credential_path(facility_code: str) -> Path:
    return pki_dir() / "facilities" / f"{_safe(facility_code)}.p12"


def _holder_name(path: Path) -> str | None:
    """The common name in an existing PKCS#12 file (None when it cannot be read)."""
    return _holder_name_of(str(path), path.stat().st_mtime_ns, pki_password())


def load_pkcs12(path: Path, password: bytes) -> tuple[Any, Any, list[Any]]:
    """(key, certificate, chain) of a PKCS#12 file, decrypted once per process and file
    version (the key derivation costs about 30 ms; a claims export of every facility reads
    each facility's seal to check its holder and again to sign)."""
    return _pkcs12_of(str(path), path.stat().st_mtime_ns, password)


@lru_cache(maxsize=512)
def _pkcs12_of(path_text: str, _mtime_ns: int, password: bytes) -> tuple[Any, Any, list[Any]]:
    key, cert, chain = pkcs12.load_key_and_certificates(Path(path_text).read_bytes(), password)
    return key, cert, list(chain)


@lru_cache(maxsize=1024)
def _holder_name_of(path_text: str, _mtime_ns: int, password: bytes) -> str | None:
    path = Path(path_text)
    try:
        _, cert, _ = load_pkcs12(path, password)
    except (ValueError, OSError):
        return None
    if cert is None:
        return None
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else None


def _ensure(path: Path, *, common_name: str, organisation: str | None, label: str
            ) -> Credential:
    """Reuse the file when it still names the same holder; otherwise issue a new one."""
    if path.exists() and _holder_name(path) == common_name[:64]:
        return Credential(path=path, password=pki_password())
    return _issue(path, common_name=common_name, organisation=organisation, label=label)


def ensure_user_credential(*, username: str, full_name: str,
                           facility_name: str | None = None) -> Credential:
    """The practitioner's PKCS#12, issued by the demo CA on first use."""
    return _ensure(user_credential_path(username), common_name=full_name or username,
                   organisation=facility_name, label=username)


def ensure_facility_credential(*, facility_code: str, facility_name: str) -> Credential:
    """The facility's seal PKCS#12 (claims are signed with it), issued on first use."""
    return _ensure(facility_credential_path(facility_code),
                   common_name=f"{facility_name} ({facility_code})",
                   organisation=facility_name, label=facility_code)
