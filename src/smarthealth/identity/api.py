"""Identity JSON API."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/identity", tags=["identity"])
