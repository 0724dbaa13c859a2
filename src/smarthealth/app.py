"""create_app(): the FastAPI application with every domain's router and pages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from smarthealth.analytics import api as analytics_api
from smarthealth.analytics import pages as analytics_pages
from smarthealth.catalogue import api as catalogue_api
from smarthealth.claims import api as claims_api
from smarthealth.claims import pages as claims_pages
from smarthealth.core import api as core_api
from smarthealth.core import audit, auth
from smarthealth.core.db import get_database
from smarthealth.core.errors import install_error_handlers
from smarthealth.core.metrics import MetricsMiddleware
from smarthealth.emr import api as emr_api
from smarthealth.emr import documents_api as emr_documents_api
from smarthealth.emr import pages as emr_pages
from smarthealth.identity import api as identity_api
from smarthealth.insurance import api as insurance_api
from smarthealth.reception import api as reception_api
from smarthealth.reception import pages as reception_pages
from smarthealth.registry import api as registry_api
from smarthealth.registry import pages as registry_pages
from smarthealth.registry import users

STATIC_DIR = Path(__file__).resolve().parent / "web" / "static"


async def _account_still_matches(principal: auth.Principal) -> bool:
    """The token's account is active and still has the token's role and facility."""
    async with get_database().session() as session:
        state = await users.account_state(session, user_id=principal.user_id)
    return state is not None and state == (True, principal.role.value, principal.facility_code)


async def _seal_audit_forever(interval: float = 1.0) -> None:
    """Chain new audit entries every second (see core/audit.py)."""
    log = logging.getLogger("smarthealth.audit")
    while True:
        await asyncio.sleep(interval)
        try:
            async with get_database().session() as session:
                await audit.seal(session)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a failed round is retried on the next tick
            log.warning("audit sealing failed; retrying", exc_info=True)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    get_database()
    sealer = asyncio.create_task(_seal_audit_forever())
    try:
        yield
    finally:
        sealer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sealer
        await get_database().dispose()


def create_app() -> FastAPI:
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per gateway call is noise
    app = FastAPI(title="SmartHealth Hà Nội", version="0.1.0", lifespan=lifespan)
    auth.set_active_check(_account_still_matches)
    install_error_handlers(app)
    app.add_middleware(MetricsMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(core_api.router)
    app.include_router(registry_api.router)
    app.include_router(registry_pages.router)
    app.include_router(identity_api.router)
    app.include_router(insurance_api.router)
    app.include_router(reception_api.router)
    app.include_router(reception_pages.router)
    app.include_router(catalogue_api.router)
    app.include_router(emr_api.router)
    app.include_router(emr_pages.router)
    app.include_router(emr_documents_api.router)
    app.include_router(claims_api.router)
    app.include_router(claims_pages.router)
    app.include_router(analytics_api.router)
    app.include_router(analytics_pages.router)
    return app
