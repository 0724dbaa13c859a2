"""Insurance JSON API."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/insurance", tags=["insurance"])
