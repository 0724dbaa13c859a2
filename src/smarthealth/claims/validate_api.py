"""Claims routes (being built)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/claims", tags=["claims"])
