"""Batch ingestion: ``POST /api/v1/{kind}`` with a JSON array of items.

The route reads the raw body itself (size-limited while it streams), decodes it
with orjson and hands the whole list to the importer, which validates it column
by column. Letting FastAPI validate ``list[Model]`` would check every item in
pydantic first, several times slower, and report problems in pydantic's words
rather than the importer's; the item models still document each body in
OpenAPI. The blocking database work runs in the threadpool.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from esperia.act.worker_app import signal_rules
from esperia.api.deps import IngestAccess, SettingsDep, StoreDep
from esperia.api.limits import check_items, parse_json_array, read_body_limited
from esperia.api.schemas import ErrorResponse, ImportResult, batch_request_body
from esperia.config import ReferencePolicy, Settings
from esperia.errors import BatchRejected
from esperia.ingest import ImportOptions, ImportSummary, import_records
from esperia.store import KINDS, Store

__all__ = ["ingest_batch", "router"]

router = APIRouter(tags=["ingest"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "The body is not a JSON array."},
    401: {"model": ErrorResponse, "description": "No API key, or a bad one."},
    403: {"model": ErrorResponse, "description": "The key lacks the `ingest` scope."},
    413: {
        "model": ErrorResponse,
        "description": "Body over `api_max_body_bytes` or items over `api_max_items`.",
    },
    422: {
        "model": ErrorResponse,
        "description": "Some items are invalid; nothing was stored. `details` "
        "lists each problem with its item index.",
    },
}


def ingest_batch(
    store: Store,
    settings: Settings,
    kind: str,
    body: bytes,
    options: ImportOptions,
    source: str = "api",
) -> dict[str, Any]:
    """Decode, check and import one batch; the answer the route returns.

    ``source`` names the sender in the imports list (``api:<key name>``).
    """
    items = parse_json_array(body)
    check_items(items, settings.api_max_items)
    positions = [i for i, item in enumerate(items) if isinstance(item, dict)]
    not_objects = [
        {
            "index": i,
            "field": None,
            "value": _preview(item),
            "reason": "the item is not a JSON object",
        }
        for i, item in enumerate(items)
        if not isinstance(item, dict)
    ]
    if not_objects and options.all_or_nothing:
        raise BatchRejected(
            f"{len(not_objects)} of {len(items)} items are not JSON objects; "
            "nothing was stored",
            details=not_objects,
        )
    records = [items[i] for i in positions] if not_objects else items
    summary = import_records(store, settings, kind, records, options, source=source)
    return _result(summary, positions if not_objects else None, not_objects, items)


def _result(
    summary: ImportSummary,
    positions: list[int] | None,
    not_objects: list[dict[str, Any]],
    items: list[Any],
) -> dict[str, Any]:
    """The summary in API terms, item indexes counted in the batch as sent."""
    rejects: list[dict[str, Any]] = [
        {
            "index": positions[r.row] if positions is not None else r.row,
            "field": r.column,
            "value": r.value,
            "reason": r.reason,
        }
        for r in summary.rejects
    ]
    if not_objects:
        rejects = sorted(rejects + not_objects, key=lambda r: r["index"])
    return {
        "kind": summary.kind,
        "import_id": summary.import_id,
        "read": len(items),
        "loaded": summary.loaded,
        "updated": summary.updated,
        "duplicates": summary.duplicates,
        "rejected": summary.rejected + len(not_objects),
        "created_references": summary.created_references,
        "rejects": rejects,
        "enriched": summary.enriched,
        "seconds": round(summary.seconds, 3),
    }


def _preview(value: Any) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 80 else text[:77] + "..."


_PARTIAL = Query(
    description="Store the valid items and list the rejected ones (200), instead "
    "of refusing the whole batch (422) when one item is invalid."
)
_UPDATE = Query(
    description="Replace stored items that have the same id; by default they are "
    "skipped and counted as duplicates, so a retried batch adds nothing."
)
_REFERENCES = Query(
    description="Items naming a customer or touchpoint the store lacks: `reject` "
    "them, `create` a placeholder, or `keep` them as they are. Default: the "
    "workspace setting `unknown_references`."
)

Endpoint = Callable[..., Coroutine[Any, Any, dict[str, Any]]]


def _endpoint(kind: str) -> Endpoint:
    async def ingest(
        request: Request,
        principal: IngestAccess,
        store: StoreDep,
        settings: SettingsDep,
        partial: Annotated[bool, _PARTIAL] = False,
        update: Annotated[bool, _UPDATE] = False,
        unknown_references: Annotated[ReferencePolicy | None, _REFERENCES] = None,
    ) -> dict[str, Any]:
        body = await read_body_limited(request, settings.api_max_body_bytes)
        options = ImportOptions(
            all_or_nothing=not partial,
            update=update,
            unknown_references=unknown_references,
        )
        source = f"api:{principal.name}"
        answer = await run_in_threadpool(
            ingest_batch, store, settings, kind, body, options, source
        )
        signal_rules(request.app, settings, kind, answer["loaded"] + answer["updated"])
        return answer

    ingest.__name__ = f"ingest_{kind}"
    ingest.__doc__ = (
        f"Send a batch of {kind}: a JSON array of objects.\n\n"
        "By default the batch is all-or-nothing: if any item is invalid the "
        "answer is 422 with every problem listed and nothing is stored. Items "
        "whose id is already stored are skipped (`duplicates`), so retrying a "
        "batch is safe. Fields not in the schema are kept in "
        f"`{KINDS[kind].extras}`."
    )
    return ingest


for _kind in KINDS:
    router.add_api_route(
        f"/{_kind}",
        _endpoint(_kind),
        methods=["POST"],
        response_model=ImportResult,
        summary=f"Send a batch of {_kind}",
        responses=_ERRORS,
        openapi_extra={"requestBody": batch_request_body(_kind)},
        name=f"ingest_{_kind}",
    )
