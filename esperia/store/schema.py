"""The data model: one description of every importable kind.

Migrations build the tables from it, the importer validates against it, the API
documents it. Types are logical; each database maps them to its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from esperia.vocabulary import CONTACTS, FEEDBACK_SOURCES, MEDIUMS, STAGES

__all__ = ["KINDS", "Column", "ColumnType", "Kind", "kind_by_name"]


class ColumnType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DOUBLE = "double"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"
    JSON = "json"


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = ColumnType.TEXT
    required: bool = False
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    #: The kind this column points at (customer_id → customers).
    references: str | None = None
    #: Lower-case and trim the value before checking choices.
    normalise: bool = False


@dataclass(frozen=True)
class Kind:
    """One importable kind: its table, key, columns and where extra columns go."""

    name: str
    key: str
    columns: tuple[Column, ...]
    extras: str
    time_column: str | None = None
    #: Columns a placeholder row gets when another kind references an unknown id.
    placeholder: dict[str, str] = field(default_factory=dict)

    @property
    def table(self) -> str:
        return self.name

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


T = ColumnType

CUSTOMERS = Kind(
    name="customers",
    key="customer_id",
    extras="attributes",
    time_column="first_seen_at",
    columns=(
        Column("customer_id", required=True),
        Column("name"),
        Column("email"),
        Column("phone"),
        Column("birth_year", T.INTEGER, minimum=1900, maximum=2100),
        Column("gender"),
        Column("city"),
        Column("region"),
        Column("country"),
        Column("language"),
        Column("first_seen_at", T.TIMESTAMP),
        Column("consent_marketing", T.BOOLEAN),
        Column("consent_analytics", T.BOOLEAN),
        Column("segment"),
    ),
)

TOUCHPOINTS = Kind(
    name="touchpoints",
    key="touchpoint_id",
    extras="attributes",
    placeholder={"name": "{id}", "channel": "other"},
    columns=(
        Column("touchpoint_id", required=True),
        Column("name", required=True),
        Column("channel", required=True, normalise=True),
        Column("contact", choices=CONTACTS, normalise=True),
        Column("medium", choices=MEDIUMS, normalise=True),
        Column("stage", choices=STAGES, normalise=True),
        Column("owner_team"),
        Column("promise"),
        Column("promise_metric"),
        Column("promise_target", T.DOUBLE),
    ),
)

INTERACTIONS = Kind(
    name="interactions",
    key="interaction_id",
    extras="properties",
    time_column="occurred_at",
    columns=(
        Column("interaction_id", required=True),
        Column("customer_id", required=True, references="customers"),
        Column("touchpoint_id", required=True, references="touchpoints"),
        Column("occurred_at", T.TIMESTAMP, required=True),
        Column("type", normalise=True),
        Column("outcome", normalise=True),
        Column("duration_s", T.DOUBLE, minimum=0),
        Column("wait_s", T.DOUBLE, minimum=0),
        Column("value", T.DOUBLE),
    ),
)

ORDERS = Kind(
    name="orders",
    key="order_id",
    extras="properties",
    time_column="ordered_at",
    columns=(
        Column("order_id", required=True),
        Column("customer_id", required=True, references="customers"),
        Column("ordered_at", T.TIMESTAMP, required=True),
        Column("revenue", T.DOUBLE, required=True),
        Column("margin", T.DOUBLE),
        Column("currency"),
        Column("touchpoint_id", references="touchpoints"),
        Column("items", T.INTEGER, minimum=0),
    ),
)

FEEDBACK = Kind(
    name="feedback",
    key="feedback_id",
    extras="properties",
    time_column="received_at",
    columns=(
        Column("feedback_id", required=True),
        Column("received_at", T.TIMESTAMP, required=True),
        Column("source", required=True, choices=FEEDBACK_SOURCES, normalise=True),
        Column("customer_id", references="customers"),
        Column("touchpoint_id", references="touchpoints"),
        Column("interaction_id", references="interactions"),
        Column("nps", T.INTEGER, minimum=0, maximum=10),
        Column("csat", T.INTEGER, minimum=1, maximum=5),
        Column("ces", T.INTEGER, minimum=1, maximum=7),
        Column("rating", T.DOUBLE),
        Column("text"),
        Column("language", normalise=True),
    ),
)

#: Every importable kind, in the order a full load should follow (parents first).
KINDS: dict[str, Kind] = {
    k.name: k for k in (CUSTOMERS, TOUCHPOINTS, INTERACTIONS, ORDERS, FEEDBACK)
}


def kind_by_name(name: str) -> Kind:
    """The kind called ``name``; a clear error for anything else."""
    from esperia.errors import InvalidInput

    try:
        return KINDS[name]
    except KeyError:
        raise InvalidInput(
            f"unknown kind {name!r}: choose one of {', '.join(KINDS)}"
        ) from None
