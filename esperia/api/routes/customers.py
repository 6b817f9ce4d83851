"""Data-subject requests over the API (``admin`` scope): export and erase a customer.

The same services as ``esperia customers export|erase``, audited with the
key's actor. Erasure needs ``?confirm=<customer_id>``: a stray or replayed
``DELETE`` on the wrong id cannot remove anyone.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from esperia.api.deps import AdminAccess, StoreDep
from esperia.api.schemas import ErrorResponse
from esperia.customers import erase_customer, export_customer
from esperia.customers.privacy import export_filename
from esperia.errors import InvalidInput

__all__ = ["router"]

router = APIRouter(tags=["customers"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No API key, or a bad one."},
    403: {"model": ErrorResponse, "description": "The key lacks the `admin` scope."},
    404: {"model": ErrorResponse, "description": "No such customer."},
}
_Customer = Annotated[str, Path(min_length=1, max_length=200)]


class ErasureOut(BaseModel):
    """What an erasure removed."""

    customer_id: str
    removed: dict[str, int] = Field(
        description="Rows removed per table of the personal-data registry."
    )
    total: int = Field(description="All rows removed.")


@router.get(
    "/customers/{customer_id}/export",
    summary="Export everything stored about a customer",
    response_model=dict[str, Any],
    responses={
        **_ERRORS,
        200: {
            "description": "The export as a JSON file (`Content-Disposition: "
            "attachment; filename=customer-<id>-export.json`).",
        },
    },
)
def export(principal: AdminAccess, store: StoreDep, customer_id: _Customer) -> Response:
    """The right of access and portability: the customer's record under
    `customer`, then one list of rows per table holding data about them (the
    same document as `esperia customers export`). Audited as `customer.export`."""
    data = export_customer(store, customer_id, actor=principal.actor)
    body = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    return Response(
        body.encode("utf-8"),
        media_type="application/json",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{export_filename(customer_id)}"'
            ),
            "Cache-Control": "no-store",
        },
    )


@router.delete(
    "/customers/{customer_id}",
    summary="Erase a customer and every row about them",
    response_model=ErasureOut,
    responses={
        **_ERRORS,
        400: {
            "model": ErrorResponse,
            "description": "`confirm` missing or not equal to the customer id.",
        },
    },
)
def erase(
    principal: AdminAccess,
    store: StoreDep,
    customer_id: _Customer,
    confirm: Annotated[
        str | None,
        Query(
            description="The customer id again: the erasure happens only if "
            "it equals the id in the path."
        ),
    ] = None,
) -> dict[str, Any]:
    """The right to erasure, in one transaction (the same as `esperia customers
    erase`): the rows removed per table. The audit log keeps the id, the counts
    and the key that asked, no personal data."""
    if confirm != customer_id:
        said = "no confirm" if confirm is None else f"confirm={confirm!r}"
        raise InvalidInput(
            f"erasing customer {customer_id!r} cannot be undone: repeat its id "
            f"as ?confirm={quote(customer_id, safe='')} (the request had {said})"
        )
    removed = erase_customer(store, customer_id, actor=principal.actor)
    return {
        "customer_id": customer_id,
        "removed": removed,
        "total": sum(removed.values()),
    }
