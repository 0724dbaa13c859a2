"""The facility's XML signature in `CHUKYDONVI` (XMLDSig, RSA-SHA256, SHA-256, enveloped, C14N).

The exact BHXH signature profile is Uncertain (xml130.md §2: "follow the BHXH XSD", which is not
public). Everything about it lives in this one module, so that the profile can change here alone:

- one `ds:Signature` (prefix `ds`; see SUBMISSION.md on why not .NET's default namespace) as the
  only child of `CHUKYDONVI`;
- one `Reference URI=""` (the whole document) with the transforms enveloped-signature and
  inclusive C14N 1.0; digest SHA-256; SignedInfo canonicalised with inclusive C14N 1.0;
  signature RSA PKCS#1 v1.5 with SHA-256 (`rsa-sha256`);
- `KeyInfo/X509Data` with the signing certificate and its subject name.

For the check-in file (XML0) `CHUKYDONVI` is a sibling of `DSACH_TRANG_THAI_KCB`; the enveloped
reference then covers `<CHI_TIEU_TRANG_THAI_KCB>` … `</DSACH_TRANG_THAI_KCB>` (and the empty
`CHUKYDONVI` around the signature itself).

Signing is done with lxml and cryptography directly (one C14N of the document, one SHA-256, one
RSA operation), about 4x faster than signxml; verification uses signxml, an independent
implementation, plus a chain check of the certificate against the trusted CA (the demo CA).
`sign_many` signs a batch in a process pool: RSA-2048 signing costs ~0.45 ms of one core.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from smarthealth.core.errors import InvalidInput
from smarthealth.emr import pki

DS = "http://www.w3.org/2000/09/xmldsig#"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SIGNATURE_SLOT = "CHUKYDONVI"
ENVELOPE_ROOT = "GIAMDINHHS"
CHECKIN_ROOT = "CHI_TIEU_TRANG_THAI_KCB"
CHECKIN_LIST = "DSACH_TRANG_THAI_KCB"
DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


class SigningError(InvalidInput):
    code = "claims_signing_failed"
    message_vi = "Không ký được tệp XML."
    message_en = "The XML file cannot be signed."


@dataclass
class XmlSigner:
    """A facility key and its certificate (PKCS#12 file now; a token or HSM would fit here)."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    credential: pki.Credential | None = None  # where it came from (process pools reload it)
    subject_dn: str = field(init=False, default="")
    certificate_b64: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.subject_dn = self.certificate.subject.rfc4514_string()
        self.certificate_b64 = base64.b64encode(
            self.certificate.public_bytes(serialization.Encoding.DER)).decode()

    @property
    def subject(self) -> str:
        return common_name(self.certificate)

    @classmethod
    def from_credential(cls, credential: pki.Credential) -> XmlSigner:
        key, cert, _ = pki.load_pkcs12(credential.path, credential.password)
        if not isinstance(key, rsa.RSAPrivateKey) or cert is None:
            raise SigningError(f"{credential.path} holds no RSA key and certificate",
                               f"{credential.path} không chứa khóa RSA và chứng thư")
        return cls(key, cert, credential)


_LOADED: dict[tuple[str, int], XmlSigner] = {}


def signer_of(source: Any) -> XmlSigner:
    """An XmlSigner from itself, a pki.Credential or emr's Pkcs12FileSigner (path, password)."""
    if isinstance(source, XmlSigner):
        return source
    if isinstance(source, pki.Credential):
        credential = source
    elif hasattr(source, "path") and hasattr(source, "password"):
        credential = pki.Credential(path=Path(source.path), password=source.password)
    else:
        raise TypeError(f"cannot sign with {type(source).__name__}")
    key = (str(credential.path), credential.path.stat().st_mtime_ns)
    signer = _LOADED.get(key)
    if signer is None:
        if len(_LOADED) > 256:
            _LOADED.clear()
        signer = _LOADED[key] = XmlSigner.from_credential(credential)
    return signer


def facility_xml_signer(*, facility_code: str, facility_name: str) -> XmlSigner:
    """The facility's seal from the demo CA (issued on first use), loaded once per process."""
    return signer_of(pki.ensure_facility_credential(facility_code=facility_code,
                                                    facility_name=facility_name))


def common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def _parse(xml: bytes) -> etree._ElementTree:
    try:
        return etree.ElementTree(etree.fromstring(xml, _PARSER))
    except etree.XMLSyntaxError as exc:
        raise SigningError(f"not well-formed XML: {exc}", f"XML không đúng cú pháp: {exc}") \
            from exc


def _ds(tag: str) -> str:
    return f"{{{DS}}}{tag}"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrib: str
         ) -> etree._Element:
    element = etree.SubElement(parent, _ds(tag), attrib)
    element.text = text
    return element


def _sign_tree(tree: etree._ElementTree, slot: etree._Element, signer: XmlSigner) -> bytes:
    """Put the enveloped signature into the (emptied) slot element; returns the signed file."""
    for child in list(slot):
        slot.remove(child)
    slot.text = None
    digest = hashlib.sha256(etree.tostring(tree, method="c14n", with_comments=False)).digest()
    signature = etree.SubElement(slot, _ds("Signature"), nsmap={"ds": DS})
    info = _sub(signature, "SignedInfo")
    _sub(info, "CanonicalizationMethod", Algorithm=C14N)
    _sub(info, "SignatureMethod", Algorithm=RSA_SHA256)
    reference = _sub(info, "Reference", URI="")
    transforms = _sub(reference, "Transforms")
    _sub(transforms, "Transform", Algorithm=ENVELOPED)
    _sub(transforms, "Transform", Algorithm=C14N)
    _sub(reference, "DigestMethod", Algorithm=SHA256)
    _sub(reference, "DigestValue", base64.b64encode(digest).decode())
    value = _sub(signature, "SignatureValue")
    key_info = _sub(signature, "KeyInfo")
    data = _sub(key_info, "X509Data")
    _sub(data, "X509SubjectName", signer.subject_dn)
    _sub(data, "X509Certificate", signer.certificate_b64)
    canonical_info = etree.tostring(info, method="c14n", with_comments=False)
    raw = signer.key.sign(canonical_info, padding.PKCS1v15(), hashes.SHA256())
    value.text = base64.b64encode(raw).decode()
    return DECLARATION + etree.tostring(tree, encoding="utf-8")


def sign_envelope(xml: bytes, *, signer: Any) -> bytes:
    """Sign a GIAMDINHHS file: the facility's signature inside its CHUKYDONVI (added if absent)."""
    tree = _parse(xml)
    root = tree.getroot()
    if etree.QName(root).localname != ENVELOPE_ROOT:
        raise SigningError(f"the root is {etree.QName(root).localname}, not {ENVELOPE_ROOT}",
                           f"phần tử gốc là {etree.QName(root).localname}, không phải "
                           f"{ENVELOPE_ROOT}")
    slot = _slot(root, after=None)
    return _sign_tree(tree, slot, signer_of(signer))


def sign_checkin(xml: bytes, *, signer: Any) -> bytes:
    """Sign a check-in file (XML0): CHUKYDONVI as the sibling right after DSACH_TRANG_THAI_KCB."""
    tree = _parse(xml)
    root = tree.getroot()
    if etree.QName(root).localname != CHECKIN_ROOT:
        raise SigningError(f"the root is {etree.QName(root).localname}, not {CHECKIN_ROOT}",
                           f"phần tử gốc là {etree.QName(root).localname}, không phải "
                           f"{CHECKIN_ROOT}")
    listing = next((c for c in root if isinstance(c.tag, str)
                    and etree.QName(c).localname == CHECKIN_LIST), None)
    if listing is None:
        raise SigningError(f"{CHECKIN_LIST} is missing", f"thiếu {CHECKIN_LIST}")
    return _sign_tree(tree, _slot(root, after=listing), signer_of(signer))


def sign_file(xml: bytes, *, signer: Any) -> bytes:
    """Sign either kind of file, chosen by its root element."""
    head = xml[:4096]
    if CHECKIN_ROOT.encode() in head and ENVELOPE_ROOT.encode() not in head:
        return sign_checkin(xml, signer=signer)
    return sign_envelope(xml, signer=signer)


def _slot(root: etree._Element, *, after: etree._Element | None) -> etree._Element:
    """The root's CHUKYDONVI child; created (at the end, or right after `after`) when absent."""
    for child in root:
        if isinstance(child.tag, str) and etree.QName(child).localname == SIGNATURE_SLOT:
            return child
    slot = etree.Element(SIGNATURE_SLOT)
    if after is None:
        root.append(slot)
    else:
        after.addnext(slot)
    return slot


# --- batches (a process pool: RSA signing is CPU-bound) ---------------------------------------

_WORKER_SIGNER: XmlSigner | None = None


def _init_worker(path: str, password: bytes) -> None:
    global _WORKER_SIGNER
    _WORKER_SIGNER = XmlSigner.from_credential(pki.Credential(path=Path(path), password=password))


def _sign_in_worker(xml: bytes) -> bytes:
    assert _WORKER_SIGNER is not None
    return sign_file(xml, signer=_WORKER_SIGNER)


def sign_many(files: Sequence[bytes], *, signer: Any, processes: int | None = None,
              pool: ProcessPoolExecutor | None = None, chunksize: int = 64) -> list[bytes]:
    """Sign many files, in order; `processes` > 1 (default: CPU count) uses a process pool.

    Pass a long-lived `pool` from `signing_pool()` to avoid starting workers per batch.
    """
    loaded = signer_of(signer)
    workers = processes if processes is not None else (os.cpu_count() or 1)
    if pool is None and (workers <= 1 or len(files) < 2 * chunksize):
        return [sign_file(xml, signer=loaded) for xml in files]
    own = pool is None
    pool = pool or signing_pool(signer=loaded, processes=workers)
    try:
        return list(pool.map(_sign_in_worker, files, chunksize=chunksize))
    finally:
        if own:
            pool.shutdown()


def signing_pool(*, signer: Any, processes: int | None = None) -> ProcessPoolExecutor:
    """A process pool whose workers each hold the facility key (loaded once per worker)."""
    loaded = signer_of(signer)
    if loaded.credential is None:
        raise SigningError("a process pool needs a signer loaded from a PKCS#12 file",
                           "ký song song cần khóa từ tệp PKCS#12")
    return ProcessPoolExecutor(max_workers=processes or os.cpu_count() or 1,
                               initializer=_init_worker,
                               initargs=(str(loaded.credential.path),
                                         loaded.credential.password))


# --- verification -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureCheck:
    """Whether a signed file is intact and signed by a trusted certificate."""

    valid: bool
    subject: str | None
    reason: str  # ok, no_signature, malformed, tampered, bad_signature, untrusted, expired, ...
    signed_scope: str | None = None  # the element the reference covers (its local name)


def verify_envelope(xml: bytes, *, trust_roots: Sequence[x509.Certificate] | None = None
                    ) -> SignatureCheck:
    """Check the signature in CHUKYDONVI (GIAMDINHHS or XML0); never raises for bad input."""
    from signxml import SignatureConfiguration, XMLVerifier
    from signxml.exceptions import InvalidDigest
    from signxml.exceptions import InvalidInput as SignxmlInput
    from signxml.exceptions import InvalidSignature as SignxmlSignature

    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError:
        return SignatureCheck(False, None, "malformed")
    signatures = root.findall(f"{SIGNATURE_SLOT}/{_ds('Signature')}")
    if len(root.findall(f".//{_ds('Signature')}")) != 1 or len(signatures) != 1:
        return SignatureCheck(False, None, "no_signature" if not signatures else "ambiguous")
    cert_text = signatures[0].findtext(f"{_ds('KeyInfo')}/{_ds('X509Data')}/"
                                       f"{_ds('X509Certificate')}")
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode("".join((cert_text or "").split())))
    except ValueError:
        return SignatureCheck(False, None, "no_certificate")
    subject = common_name(cert)
    refs = signatures[0].findall(f"{_ds('SignedInfo')}/{_ds('Reference')}")
    if len(refs) != 1 or refs[0].get("URI") != "":
        return SignatureCheck(False, subject, "partial_reference")
    try:
        result = XMLVerifier().verify(
            xml, x509_cert=cert, expect_config=SignatureConfiguration(
                location=f"{SIGNATURE_SLOT}/", expect_references=1))
    except InvalidDigest:
        return SignatureCheck(False, subject, "tampered")
    except SignxmlSignature:
        return SignatureCheck(False, subject, "bad_signature")
    except SignxmlInput:
        return SignatureCheck(False, subject, "malformed")
    scope = etree.QName(result.signed_xml).localname if result.signed_xml is not None else None
    trust = _trusted(cert, trust_roots)
    if trust != "ok":
        return SignatureCheck(False, subject, trust, scope)
    return SignatureCheck(True, subject, "ok", scope)


verify_file = verify_envelope


def _trusted(cert: x509.Certificate, roots: Sequence[x509.Certificate] | None) -> str:
    """'ok' when a trusted root issued the certificate and it is within its validity."""
    now = datetime.now(UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        return "expired"
    for root in roots if roots is not None else [pki.load_ca_certificate()]:
        if root.subject != cert.issuer:
            continue
        public = root.public_key()
        if not isinstance(public, rsa.RSAPublicKey):
            continue
        try:
            public.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                          cert.signature_hash_algorithm or hashes.SHA256())
        except InvalidSignature:
            continue
        return "ok"
    return "untrusted"
