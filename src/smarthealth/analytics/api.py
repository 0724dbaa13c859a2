"""Analytics API (being built)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/analytics", tags=["analytics"])
