"""The API's documented shapes: one item model per importable kind, and the answers.

The item models are built from :mod:`esperia.store.schema`, so the OpenAPI page
always lists the columns the importer really understands. They document the
ingestion bodies; they do not validate them: the importer checks a whole batch
column by column, several times faster than pydantic item by item, and reports
every problem with its item index.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from esperia.auth.api_keys import SCOPES
from esperia.store import KINDS, Column, ColumnType, Kind

__all__ = [
    "ITEM_MODELS",
    "ApiKeyCreate",
    "ApiKeyCreated",
    "ApiKeyOut",
    "ErrorDetail",
    "ErrorInfo",
    "ErrorResponse",
    "HealthOut",
    "ImportOut",
    "ImportResult",
    "RejectOut",
    "batch_request_body",
]

_PYTHON_TYPES: dict[ColumnType, Any] = {
    ColumnType.TEXT: str,
    ColumnType.INTEGER: int,
    ColumnType.DOUBLE: float,
    ColumnType.BOOLEAN: bool,
    ColumnType.TIMESTAMP: datetime,
    ColumnType.JSON: dict[str, Any],
}

#: One realistic item per kind, shown as the example body in the API docs.
EXAMPLES: dict[str, dict[str, Any]] = {
    "customers": {
        "customer_id": "C-1001",
        "name": "Giulia Rossi",
        "email": "giulia.rossi@example.com",
        "city": "Bologna",
        "country": "IT",
        "language": "it",
        "first_seen_at": "2024-03-02T10:15:00+01:00",
        "consent_marketing": True,
        "loyalty_card": "gold",
    },
    "touchpoints": {
        "touchpoint_id": "TP-WORKSHOP",
        "name": "Workshop counter",
        "channel": "store",
        "contact": "direct",
        "medium": "physical",
        "stage": "service",
        "owner_team": "workshop",
        "promise": "car ready the same day",
        "promise_metric": "hours_to_ready",
        "promise_target": 8,
    },
    "interactions": {
        "interaction_id": "I-20240302-0001",
        "customer_id": "C-1001",
        "touchpoint_id": "TP-WORKSHOP",
        "occurred_at": "2024-03-02T10:20:00+01:00",
        "type": "repair",
        "outcome": "resolved",
        "duration_s": 5400,
        "wait_s": 600,
        "value": 180.0,
        "mechanic": "Marco",
    },
    "orders": {
        "order_id": "O-55012",
        "customer_id": "C-1001",
        "ordered_at": "2024-03-02T12:00:00+01:00",
        "revenue": 180.0,
        "margin": 54.0,
        "currency": "EUR",
        "touchpoint_id": "TP-WORKSHOP",
        "items": 3,
    },
    "feedback": {
        "feedback_id": "F-9001",
        "received_at": "2024-03-03T09:00:00+01:00",
        "source": "survey",
        "customer_id": "C-1001",
        "touchpoint_id": "TP-WORKSHOP",
        "nps": 9,
        "text": "Riparazione veloce e personale gentilissimo.",
        "language": "it",
    },
}


def _describe(column: Column) -> str:
    parts = []
    if column.type is ColumnType.TIMESTAMP:
        parts.append(
            "ISO 8601 timestamp; without an offset it is read in the workspace "
            "time zone."
        )
    if column.references:
        parts.append(f"Id of a stored {column.references[:-1]}.")
    if column.choices:
        parts.append(f"One of: {', '.join(column.choices)} (case-insensitive).")
    elif column.normalise:
        parts.append("Stored lower-cased and trimmed.")
    return " ".join(parts)


def _item_model(kind: Kind) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for column in kind.columns:
        python_type = _PYTHON_TYPES[column.type]
        extra: dict[str, Any] = {}
        if column.choices:
            extra["enum"] = list(column.choices)
        field = Field(
            ... if column.required else None,
            description=_describe(column) or None,
            ge=column.minimum,
            le=column.maximum,
            json_schema_extra=extra or None,
        )
        fields[column.name] = (
            python_type if column.required else python_type | None,
            field,
        )
    fields[kind.extras] = (
        dict[str, Any] | None,
        Field(
            None,
            description=f"Free-form object, kept in `{kind.extras}`; any field "
            "not listed here is added to it.",
        ),
    )
    model_name = kind.name[:-1].capitalize() if kind.name != "feedback" else "Feedback"
    model: type[BaseModel] = create_model(
        f"{model_name}Item",
        __config__=ConfigDict(
            extra="allow", json_schema_extra={"examples": [EXAMPLES[kind.name]]}
        ),
        __doc__=f"One {kind.name} item; required: {', '.join(kind.required)}.",
        **fields,
    )
    return model


#: The documented item model of each kind, by kind name.
ITEM_MODELS: dict[str, type[BaseModel]] = {
    name: _item_model(kind) for name, kind in KINDS.items()
}


def batch_request_body(kind: str) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of ``POST /api/v1/{kind}``: an array of items."""
    item_schema = ITEM_MODELS[kind].model_json_schema()
    return {
        "required": True,
        "description": f"A JSON array of {kind} items (at most `api_max_items`).",
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "title": f"{kind.capitalize()}Batch",
                    "items": item_schema,
                },
                "example": [EXAMPLES[kind]],
            }
        },
    }


# ------------------------------------------------------------------ answers


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    index: int | None = Field(None, description="Item index in the batch (0-based).")
    field: str | None = Field(None, description="The field (or parameter) at fault.")
    value: str | None = Field(None, description="The offending value, as text.")
    reason: str = Field(description="What is wrong.")


class ErrorInfo(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `forbidden`.")
    message: str = Field(description="What went wrong, for a person.")
    details: list[ErrorDetail] | None = Field(
        None, description="One entry per problem, when there are several."
    )


class ErrorResponse(BaseModel):
    """The one shape of every error the API answers."""

    error: ErrorInfo


class RejectOut(BaseModel):
    index: int = Field(description="Item index in the batch (0-based).")
    field: str | None
    value: str | None
    reason: str


class ImportResult(BaseModel):
    """What a batch did. Retried items count as ``duplicates``, never twice."""

    kind: str
    import_id: int | None = Field(description="Row of the import in `/imports`.")
    read: int = Field(description="Items in the batch.")
    loaded: int = Field(description="New items stored.")
    updated: int = Field(description="Stored items replaced (with `update=true`).")
    duplicates: int = Field(description="Items whose id was already stored.")
    rejected: int = Field(description="Items refused (only with `partial=true`).")
    created_references: int = Field(
        description="Placeholder customers/touchpoints created "
        "(with `unknown_references=create`)."
    )
    rejects: list[RejectOut] = Field(description="Why each item was refused.")
    enriched: int | None = Field(
        default=None,
        description="Feedback texts analysed on arrival (`text_enrich_on_import`).",
    )
    seconds: float


class ImportOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    import_id: int
    kind: str
    source: str
    started_at: str | None
    finished_at: str | None
    read_rows: int
    loaded_rows: int
    updated_rows: int
    duplicate_rows: int
    rejected_rows: int
    created_references: int
    rejects_file: str | None


class HealthOut(BaseModel):
    status: str = Field(examples=["ok"])
    schema_version: int = Field(description="Migration the database is at.")
    version: str = Field(description="Esperia's version.")


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["crm-nightly-sync"])
    scopes: list[str] = Field(
        min_length=1,
        description=f"Any of {', '.join(SCOPES)}; `admin` implies the others.",
        examples=[["ingest"]],
    )


class ApiKeyOut(BaseModel):
    key_id: str
    name: str
    scopes: list[str]
    created_at: str | None
    last_used_at: str | None
    revoked_at: str | None
    active: bool


class ApiKeyCreated(ApiKeyOut):
    token: str = Field(
        description="The full key. Shown only in this answer: store it now."
    )
