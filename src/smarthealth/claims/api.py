"""Claims API: one router assembled from the validation, transfer and submission routers."""

from fastapi import APIRouter

from smarthealth.claims import submit_api, transfer_api, validate_api

router = APIRouter()
router.include_router(validate_api.router)
router.include_router(transfer_api.router)
router.include_router(submit_api.router)
