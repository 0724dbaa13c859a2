"""Registry admin pages."""

from fastapi import APIRouter

router = APIRouter(prefix="/admin", include_in_schema=False)
