"""Signed encounter documents: PDFs, signature checks and (re-)signing."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.audit import record
from smarthealth.core.auth import Principal, Role, allow
from smarthealth.core.deps import actor_of, db_session
from smarthealth.core.errors import NotFound
from smarthealth.emr import documents
from smarthealth.emr.signing_models import SignedDocument

router = APIRouter(prefix="/api/emr/encounters", tags=["emr documents"])

READERS = (Role.doctor, Role.nurse, Role.pharmacist, Role.facility_admin, Role.admin)
Session = Annotated[AsyncSession, Depends(db_session, scope="function")]
Reader = Annotated[Principal, Depends(allow(*READERS))]
Kind = Literal["summary", "prescription"]


async def _audited(session: AsyncSession, request: Request, principal: Principal,
                   doc: SignedDocument, action: str) -> None:
    principal.require_facility(doc.facility_code)
    await record(session, actor=actor_of(request, principal), action=action,
                 entity_type="emr_document", entity_id=doc.id, patient_id=doc.person_id,
                 details={"encounter_id": doc.encounter_id, "kind": doc.kind,
                          "version": doc.version})


async def _pdf(session: AsyncSession, request: Request, principal: Principal,
               encounter_id: int, kind: str, version: int | None) -> Response:
    doc = await documents.get_document(session, encounter_id=encounter_id, kind=kind,
                                       version=version)
    await _audited(session, request, principal, doc, "emr.document.read")
    return Response(doc.pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{doc.file_name}"',
        "X-Document-SHA256": doc.sha256, "Cache-Control": "private, no-store"})


@router.get("/{encounter_id}/summary.pdf", response_class=Response)
async def summary_pdf(encounter_id: int, request: Request, principal: Reader, session: Session,
                      version: Annotated[int | None, Query(ge=1)] = None) -> Response:
    """The signed encounter summary (latest version unless one is asked for)."""
    return await _pdf(session, request, principal, encounter_id, "summary", version)


@router.get("/{encounter_id}/prescription.pdf", response_class=Response)
async def prescription_pdf(encounter_id: int, request: Request, principal: Reader,
                           session: Session,
                           version: Annotated[int | None, Query(ge=1)] = None) -> Response:
    """The signed prescription (latest version unless one is asked for)."""
    return await _pdf(session, request, principal, encounter_id, "prescription", version)


@router.get("/{encounter_id}/documents")
async def list_documents(encounter_id: int, request: Request, principal: Reader,
                         session: Session) -> list[documents.SignedDocumentOut]:
    """Every signed version of the encounter's documents."""
    docs = await documents.list_documents(session, encounter_id=encounter_id)
    for doc in docs[:1]:
        await _audited(session, request, principal, doc, "emr.document.list")
    return [documents.to_out(d) for d in docs]


@router.get("/{encounter_id}/signature")
async def encounter_signature(encounter_id: int, request: Request, principal: Reader,
                              session: Session) -> list[documents.SignatureCheckOut]:
    """Verify the latest version of each signed document of the encounter."""
    latest: dict[str, SignedDocument] = {}
    for doc in await documents.list_documents(session, encounter_id=encounter_id):
        latest[doc.kind] = doc
    if not latest:
        raise NotFound("This encounter has no signed documents yet.",
                       "Lượt khám này chưa có văn bản đã ký.",
                       details={"encounter_id": encounter_id})
    checks = []
    for doc in latest.values():
        await _audited(session, request, principal, doc, "emr.document.verify")
        checks.append(await documents.verify_document(doc))
    return checks


@router.get("/{encounter_id}/documents/{kind}/signature")
async def document_signature(encounter_id: int, kind: Kind, request: Request,
                             principal: Reader, session: Session,
                             version: Annotated[int | None, Query(ge=1)] = None
                             ) -> documents.SignatureCheckOut:
    """Verify one signed document: signer, signing time, integrity, coverage, sha256."""
    doc = await documents.get_document(session, encounter_id=encounter_id, kind=kind,
                                       version=version)
    await _audited(session, request, principal, doc, "emr.document.verify")
    return await documents.verify_document(doc)


@router.post("/{encounter_id}/documents/sign", status_code=201)
async def sign(encounter_id: int, request: Request,
               principal: Annotated[Principal, Depends(allow(Role.doctor))],
               session: Session) -> list[documents.SignedDocumentOut]:
    """Sign (again) the documents of a closed encounter as the signed-in doctor."""
    return await documents.sign_encounter_documents(
        session, encounter_id=encounter_id, signer_user_id=principal.user_id,
        actor=actor_of(request, principal), scope=principal.facility_scope())
