"""Signed encounter documents: render the summary and prescription, sign them, keep and verify.

`sign_encounter_documents` is called by the EMR service when an encounter closes. Rows are
immutable (see signing_models); re-signing writes a new version.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.audit import Actor, record
from smarthealth.core.errors import Conflict, NotFound, PermissionDenied
from smarthealth.core.outbox import publish
from smarthealth.emr import pdf_forms, pki, signing
from smarthealth.emr.document_data import document_data
from smarthealth.emr.signing_models import SignedDocument

KINDS = ("summary", "prescription")
SIGNABLE_STATUSES = frozenset({"closed", "signed"})
REASONS = {"summary": "Tóm tắt hồ sơ bệnh án", "prescription": "Đơn thuốc"}


class SignedDocumentOut(BaseModel):
    id: int
    encounter_id: int
    kind: str
    version: int
    file_name: str
    sha256: str
    size: int
    signer_name: str
    certificate_serial: str
    certificate_issuer: str
    signed_at: datetime
    url: str
    signature_url: str


class SignatureCheckOut(BaseModel):
    """The verification of one stored document, recomputed from its bytes."""

    document_id: int
    encounter_id: int
    kind: str
    version: int
    valid: bool
    intact: bool
    trusted: bool
    covers_whole_document: bool
    coverage: str
    modification_level: str | None
    signer: str | None
    signer_organisation: str | None
    signed_at: datetime | None
    sha256: str
    sha256_matches: bool | None
    problems: list[str]


def to_out(doc: SignedDocument) -> SignedDocumentOut:
    base = f"/api/emr/encounters/{doc.encounter_id}"
    return SignedDocumentOut(
        id=doc.id, encounter_id=doc.encounter_id, kind=doc.kind, version=doc.version,
        file_name=doc.file_name, sha256=doc.sha256, size=doc.size, signer_name=doc.signer_name,
        certificate_serial=doc.certificate_serial, certificate_issuer=doc.certificate_issuer,
        signed_at=doc.signed_at, url=f"{base}/{doc.kind}.pdf?version={doc.version}",
        signature_url=f"{base}/documents/{doc.kind}/signature?version={doc.version}")


async def _load_record(session: AsyncSession, *, encounter_id: int, scope: str | None
                       ) -> dict[str, Any]:
    """E2's encounter record (read for signing, audited there) plus the patient's BHYT card."""
    from smarthealth.emr import service as emr_service
    from smarthealth.insurance import service as insurance

    record = (await emr_service.get_encounter_record(
        session, encounter_id=encounter_id, actor=None, scope=scope)).model_dump()
    encounter = record["encounter"]
    card = await insurance.card_for_person(session, person_id=encounter["person_id"],
                                           on=encounter["started_at"].date())
    if card is not None:
        record["person"]["bhyt"] = {"card_number": card.code, "valid_to": card.valid_to}
    return record


async def _signer_of(session: AsyncSession, *, user_id: int, facility_code: str
                     ) -> tuple[str, str]:
    """(username, full name) of a staff member of the facility; refused for anyone else."""
    from smarthealth.registry import users

    for user, code in await users.list_users(session, facility_code=facility_code):
        if user.id == user_id and code == facility_code and user.active:
            return user.username, user.full_name or user.username
    raise PermissionDenied("Only a practitioner of the encounter's facility can sign it.",
                           "Chỉ nhân viên y tế của cơ sở khám bệnh mới được ký hồ sơ này.",
                           details={"facility_code": facility_code})


def _render_and_sign(kind: str, data: dict[str, Any], signer: signing.Signer) -> bytes:
    render = pdf_forms.render_summary if kind == "summary" else pdf_forms.render_prescription
    pdf = render(data)
    return asyncio.run(signing.sign_pdf(pdf, signer=signer, reason=REASONS[kind]))


async def _next_version(session: AsyncSession, *, encounter_id: int, kind: str) -> int:
    current = await session.scalar(select(func.max(SignedDocument.version)).where(
        SignedDocument.encounter_id == encounter_id, SignedDocument.kind == kind))
    return (current or 0) + 1


async def sign_encounter_documents(
    session: AsyncSession, *, encounter_id: int, signer_user_id: int, record: Any = None,
    actor: Actor | None = None, signer: signing.Signer | None = None, scope: str | None = None,
) -> list[SignedDocumentOut]:
    """Render, sign (PAdES) and store the summary and, when drugs were prescribed, the
    prescription of a closed encounter. `record` is E2's EncounterRecord (loaded if None);
    `signer` defaults to the practitioner's PKCS#12 from the demo PKI; `scope` limits the
    encounter to one facility (API callers pass the principal's)."""
    record = record if record is not None else await _load_record(
        session, encounter_id=encounter_id, scope=scope)
    data = document_data(record)
    encounter = data["encounter"]
    if encounter["status"] not in SIGNABLE_STATUSES:
        raise Conflict("Close the encounter before signing its documents.",
                       "Cần kết thúc lượt khám trước khi ký hồ sơ.",
                       details={"status": encounter["status"]})
    facility_code = data["facility"]["code"]
    username, full_name = await _signer_of(session, user_id=signer_user_id,
                                           facility_code=facility_code)
    if signer is None:
        credential = await asyncio.to_thread(
            pki.ensure_user_credential, username=username, full_name=full_name,
            facility_name=data["facility"]["name"])
        signer = await asyncio.to_thread(signing.signer_for, credential)
    cert = signer.pyhanko_signer().signing_cert
    signer_name = cert.subject.native.get("common_name", full_name)
    data["doctor"] = {"full_name": signer_name}
    data["signature"] = {"name": signer_name, "at": datetime.now(UTC)}
    kinds = ["summary"] + (["prescription"] if data.get("prescriptions") else [])
    out = []
    for kind in kinds:
        pdf = await asyncio.to_thread(_render_and_sign, kind, data, signer)
        version = await _next_version(session, encounter_id=encounter_id, kind=kind)
        doc = SignedDocument(
            encounter_id=encounter_id, kind=kind, version=version,
            person_id=data["person_id"], facility_code=facility_code,
            file_name=f"{kind}-{encounter_id}-v{version}.pdf", sha256=signing.sha256_hex(pdf),
            size=len(pdf), pdf=pdf, signer_user_id=signer_user_id, signer_name=signer_name,
            certificate_serial=format(cert.serial_number, "x"),
            certificate_issuer=cert.issuer.native.get("common_name", "")[:200],
            signed_at=data["signature"]["at"])
        session.add(doc)
        await session.flush()
        out.append(to_out(doc))
    actor = actor or Actor(name=username, role="doctor", facility_code=facility_code)
    await record_signing(session, actor=actor, data=data, documents=out)
    return out


async def record_signing(session: AsyncSession, *, actor: Actor, data: dict[str, Any],
                         documents: list[SignedDocumentOut]) -> None:
    """Audit entry and outbox event for newly signed documents."""
    encounter_id = data["encounter"]["id"]
    summary = [{"id": d.id, "kind": d.kind, "version": d.version, "sha256": d.sha256}
               for d in documents]
    await record(session, actor=actor, action="emr.document.sign", entity_type="emr_document",
                 entity_id=encounter_id, patient_id=data["person_id"],
                 details={"documents": summary})
    await publish(session, topic="emr.document.signed", aggregate_type="emr_encounter",
                  aggregate_id=encounter_id, facility_code=data["facility"]["code"],
                  payload={"encounter_id": encounter_id, "person_id": data["person_id"],
                           "documents": summary})


async def list_documents(session: AsyncSession, *, encounter_id: int) -> list[SignedDocument]:
    """Every signed version of an encounter's documents, oldest first."""
    rows = await session.scalars(select(SignedDocument).where(
        SignedDocument.encounter_id == encounter_id).order_by(SignedDocument.kind,
                                                              SignedDocument.version))
    return list(rows)


async def get_document(session: AsyncSession, *, encounter_id: int, kind: str,
                       version: int | None = None) -> SignedDocument:
    """The given (default: latest) signed version of one kind of document."""
    stmt = select(SignedDocument).where(SignedDocument.encounter_id == encounter_id,
                                        SignedDocument.kind == kind)
    stmt = stmt.where(SignedDocument.version == version) if version is not None else \
        stmt.order_by(SignedDocument.version.desc()).limit(1)
    doc = await session.scalar(stmt)
    if doc is None:
        raise NotFound("This encounter has no signed document of that kind yet.",
                       "Lượt khám này chưa có văn bản đã ký loại này.",
                       details={"encounter_id": encounter_id, "kind": kind})
    return doc


async def verify_document(doc: SignedDocument) -> SignatureCheckOut:
    """Re-validate the stored bytes (signature, trust, coverage) and the stored sha256."""
    report = await signing.verify_pdf(doc.pdf, expected_sha256=doc.sha256)
    return SignatureCheckOut(
        document_id=doc.id, encounter_id=doc.encounter_id, kind=doc.kind, version=doc.version,
        valid=report.valid, intact=report.intact, trusted=report.trusted,
        covers_whole_document=report.covers_whole_document, coverage=report.coverage,
        modification_level=report.modification_level, signer=report.signer,
        signer_organisation=report.signer_organisation, signed_at=report.signed_at,
        sha256=report.sha256, sha256_matches=report.sha256_matches, problems=report.problems)
