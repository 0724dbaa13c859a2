"""FastAPI dependencies shared by every router."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from smarthealth.core.audit import Actor
from smarthealth.core.auth import Principal
from smarthealth.core.db import get_database


async def db_session() -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the handler returns, rolled back on error.

    Always use it as `Depends(db_session, scope="function")`, so that the commit happens before
    the response is sent (the default scope would answer first and commit afterwards).
    """
    async with get_database().session() as session:
        yield session


def actor_of(request: Request, principal: Principal) -> Actor:
    """The audit actor for a signed-in request."""
    return Actor(
        name=principal.username,
        role=principal.role.value,
        facility_code=principal.facility_code,
        source_ip=request.client.host if request.client else None,
    )
