"""The feedback frame every metric starts from, and how results leave the engine.

A metric is an Ibis expression: the feedback rows (with the touchpoint's
channel, stage, contact and medium, and the customer's segment, joined only
when a grouping needs them), filtered by date, grouped by the dimensions the
user asked for, aggregated in the database. Only the per-group sums come back
to Python, where the intervals and tests are computed on a few rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pyarrow as pa

from esperia.errors import InvalidInput

__all__ = [
    "DIMENSIONS",
    "PERIODS",
    "Query",
    "clean",
    "feedback_frame",
    "fetch_columns",
    "group_keys",
    "parse_by",
]

#: What a figure can be grouped by, and where each comes from.
DIMENSIONS: dict[str, str] = {
    "touchpoint": "feedback.touchpoint_id",
    "channel": "touchpoints.channel",
    "stage": "touchpoints.stage",
    "contact": "touchpoints.contact (direct/indirect)",
    "medium": "touchpoints.medium (physical/digital)",
    "segment": "customers.segment",
    "language": "feedback.language",
    "source": "feedback.source",
    "period": "received_at cut by --period",
    "customer": "feedback.customer_id",
}

#: Period names and the Ibis truncation unit of each.
PERIODS: dict[str, str] = {
    "day": "D",
    "week": "W",
    "month": "M",
    "quarter": "Q",
    "year": "Y",
}

_TOUCHPOINT_DIMS = ("channel", "stage", "contact", "medium")


@dataclass(frozen=True)
class Query:
    """What to measure over: groupings, period, date window, minimum n."""

    by: tuple[str, ...] = ()
    period: str = "month"
    since: date | None = None
    until: date | None = None
    min_n: int = 30
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise InvalidInput(
                f"unknown period {self.period!r}: choose one of {', '.join(PERIODS)}"
            )
        for dim in self.by:
            if dim not in DIMENSIONS:
                raise InvalidInput(
                    f"cannot group by {dim!r}: choose from {', '.join(DIMENSIONS)}"
                )
        if len(set(self.by)) != len(self.by):
            raise InvalidInput(f"a grouping is repeated in {','.join(self.by)}")
        if self.since and self.until and self.since > self.until:
            raise InvalidInput(f"--since {self.since} is after --until {self.until}")
        if self.min_n < 1:
            raise InvalidInput("the minimum n must be at least 1")
        if not 0.5 <= self.confidence < 1:
            raise InvalidInput("the confidence level must be between 0.5 and 1")


def parse_by(text: str | None) -> tuple[str, ...]:
    """``"touchpoint,period"`` → ``("touchpoint", "period")``, checked."""
    if not text:
        return ()
    dims = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    for dim in dims:
        if dim not in DIMENSIONS:
            raise InvalidInput(
                f"cannot group by {dim!r}: choose from {', '.join(DIMENSIONS)}"
            )
    return dims


def feedback_frame(con: Any, query: Query, extra: tuple[str, ...] = ()) -> Any:
    """Feedback rows with one column per grouping dimension, within the window.

    ``extra`` names further feedback columns the caller aggregates.
    """
    fb = con.table("feedback")
    if query.since is not None:
        fb = fb.filter(fb.received_at >= _start_of(query.since))
    if query.until is not None:
        fb = fb.filter(fb.received_at < _start_of(query.until, next_day=True))
    cols: dict[str, Any] = {"feedback_id": fb.feedback_id}
    for name in extra:
        column = fb[name]
        # Scores are integers in the store; PostgreSQL averages integers as
        # NUMERIC, which Ibis cannot read back as a float.
        cols[name] = column.cast("float64") if column.type().is_integer() else column
    for dim in query.by:
        if dim == "touchpoint":
            cols[dim] = fb.touchpoint_id
        elif dim == "language":
            cols[dim] = fb.language
        elif dim == "source":
            cols[dim] = fb.source
        elif dim == "customer":
            cols[dim] = fb.customer_id
        elif dim == "period":
            cols[dim] = fb.received_at.truncate(PERIODS[query.period]).date()
    need_tp = any(d in _TOUCHPOINT_DIMS for d in query.by)
    need_cu = "segment" in query.by
    if need_tp:
        tp = con.table("touchpoints")
        tp = tp.select(tp_id=tp.touchpoint_id, **{d: tp[d] for d in _TOUCHPOINT_DIMS})
        fb = fb.left_join(tp, fb.touchpoint_id == tp.tp_id)
        for dim in _TOUCHPOINT_DIMS:
            if dim in query.by:
                cols[dim] = fb[dim]
    if need_cu:
        cu = con.table("customers")
        cu = cu.select(cu_id=cu.customer_id, segment=cu.segment)
        fb = fb.left_join(cu, fb.customer_id == cu.cu_id)
        cols["segment"] = fb.segment
    return fb.select(**cols)


def _start_of(day: date, next_day: bool = False) -> Any:
    import ibis

    value = date.fromordinal(day.toordinal() + (1 if next_day else 0))
    # A local date: the engine's session zone turns it into an instant.
    return ibis.literal(value.isoformat()).cast("timestamp").cast("timestamp('UTC')")


def group_keys(query: Query) -> list[str]:
    return list(query.by)


def fetch_columns(expr: Any) -> dict[str, np.ndarray | list[Any]]:
    """Run ``expr`` and return its columns: numbers as numpy, others as lists."""
    table = expr.to_pyarrow()
    out: dict[str, np.ndarray | list[Any]] = {}
    for name in table.column_names:
        column = table.column(name)
        kind = column.type
        if (
            pa.types.is_integer(kind)
            or pa.types.is_floating(kind)
            or (pa.types.is_boolean(kind))
        ):
            out[name] = np.asarray(
                column.cast(pa.float64()).to_numpy(zero_copy_only=False),
                dtype=np.float64,
            )
        else:
            out[name] = column.to_pylist()
    return out


def clean(value: Any, digits: int = 4) -> Any:
    """A JSON-safe value: nan/inf → None, numpy → Python, dates → ISO text."""
    if value is None:
        return None
    if isinstance(value, (np.floating, float)):
        number = float(value)
        return None if not math.isfinite(number) else round(number, digits)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value
