"""Registry JSON API."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/registry", tags=["registry"])
