"""The REST API under ``/api/v1``: one router gathering every group of routes."""

from fastapi import APIRouter

from esperia.api.routes import (
    act,
    assistant,
    customers,
    ingest,
    journey,
    keys,
    metrics,
    nba,
    personas,
    read,
    surveys,
    value,
    voice,
)

__all__ = ["router"]

router = APIRouter()
# Routes are tried in order: the real-time touchpoint reads come first (none
# of their paths overlaps another group's), sparing them a scan of the others.
# ``customers`` (export, erase) shares their ``/customers/{id}`` prefix but no
# path: ``DELETE /customers/{id}`` cannot match ``/customers/{id}/context``.
router.include_router(nba.router)
router.include_router(read.router)
router.include_router(ingest.router)
router.include_router(keys.router)
router.include_router(surveys.router)
router.include_router(act.router)
router.include_router(voice.router)
router.include_router(value.router)
router.include_router(metrics.router)
router.include_router(assistant.router)
router.include_router(journey.router)
router.include_router(personas.router)
router.include_router(customers.router)
