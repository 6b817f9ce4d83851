"""The REST API under ``/api/v1``: one router gathering every group of routes."""

from fastapi import APIRouter

from esperia.api.routes import assistant, ingest, keys, read

__all__ = ["router"]

router = APIRouter()
router.include_router(read.router)
router.include_router(ingest.router)
router.include_router(keys.router)
router.include_router(assistant.router)
