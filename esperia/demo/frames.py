"""Column bundles the simulator passes around, and the codes stored in them.

A frame is a plain ``dict`` of equal-length numpy arrays. Categorical values
are small integer codes into the tuples below until the very end, when the
simulator turns them into Arrow strings with one ``take`` each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "CATEGORIES",
    "DELIVERY_MODES",
    "EVENT_OUTPUT",
    "EVENT_SCHEMA",
    "EVENT_TYPES",
    "FEEDBACK_SCHEMA",
    "ORDER_SCHEMA",
    "OUTCOMES",
    "REASONS",
    "SOURCES",
    "SURVEY_TOPICS",
    "Frame",
    "code",
    "concat",
    "new_frame",
    "slim",
    "take",
]

Frame = dict[str, np.ndarray]
Schema = dict[str, tuple[Any, Any]]

EVENT_TYPES: tuple[str, ...] = (
    "visit", "purchase", "browse", "call", "chat", "email", "complaint",
    "delivery", "pickup", "event", "review", "comment", "social_view", "ad_view",
    "newsletter_open", "press_mention", "referral", "loyalty_redeem", "return",
)  # fmt: skip
OUTCOMES: tuple[str, ...] = (
    "ok", "failed", "late", "resolved", "unresolved", "unanswered", "attended",
    "cart_abandoned", "seen", "clicked", "opened", "published", "refunded",
    "rejected", "redeemed",
)  # fmt: skip
REASONS: tuple[str, ...] = ("info", "order_status", "complaint", "return")
CATEGORIES: tuple[str, ...] = (
    "narrativa", "saggistica", "poesia", "fumetti", "regali", "ebook", "ragazzi",
    "scolastica", "usato", "forniture", "caffetteria",
)  # fmt: skip
DELIVERY_MODES: tuple[str, ...] = ("courier", "locker", "pickup", "in_store")
SOURCES: tuple[str, ...] = ("survey", "review", "social", "chat", "email")
SURVEY_TOPICS: tuple[str, ...] = (
    "post_purchase", "post_delivery", "post_contact", "post_event", "post_return",
    "relationship",
)  # fmt: skip

_NAN = np.nan

#: One row per interaction. ``exp`` is the experience's effect on satisfaction,
#: ``aspect`` what it was about, ``survey`` the survey topic it may trigger
#: (-1: none), ``ces_penalty`` the effort points lost to waiting.
EVENT_SCHEMA: Schema = {
    "cust": (np.int64, -1),
    "tp": (np.int16, -1),
    "t": (np.float64, _NAN),
    "type": (np.int8, -1),
    "outcome": (np.int8, -1),
    "duration": (np.float64, _NAN),
    "wait": (np.float64, _NAN),
    "value": (np.float64, _NAN),
    "order": (np.int64, -1),
    "delivery_hours": (np.float64, _NAN),
    "promised_hours": (np.int16, -1),
    "reason": (np.int8, -1),
    "exp": (np.float32, 0.0),
    "aspect": (np.int8, -1),
    "survey": (np.int8, -1),
    "ces_penalty": (np.float32, 0.0),
    "unresolved": (np.bool_, False),
}

#: The event columns that reach the output, in compact types (whole seconds fit
#: float32 exactly); the others only serve the voice of the customer.
EVENT_OUTPUT: dict[str, Any] = {
    "cust": np.int32,
    "tp": np.int8,
    "t": np.float64,
    "type": np.int8,
    "outcome": np.int8,
    "duration": np.float32,
    "wait": np.float32,
    "value": np.float64,
    "order": np.int64,
    "delivery_hours": np.float64,
    "promised_hours": np.int16,
    "reason": np.int8,
}

#: One row per order; ``done`` is when it was handed over (delivery, pickup).
ORDER_SCHEMA: Schema = {
    "uid": (np.int64, -1),
    "cust": (np.int64, -1),
    "t": (np.float64, _NAN),
    "done": (np.float64, _NAN),
    "tp": (np.int16, -1),
    "revenue": (np.float64, _NAN),
    "margin": (np.float64, _NAN),
    "items": (np.int32, 0),
    "category": (np.int8, -1),
    "mode": (np.int8, -1),
    "returned": (np.bool_, False),
}

#: One row per piece of feedback, before its text is written.
FEEDBACK_SCHEMA: Schema = {
    "cust": (np.int64, -1),
    "t": (np.float64, _NAN),
    "source": (np.int8, -1),
    "tp": (np.int16, -1),
    "event": (np.int64, -1),
    "nps": (np.int8, -1),
    "csat": (np.int8, -1),
    "ces": (np.int8, -1),
    "rating": (np.float64, _NAN),
    "topic": (np.int8, -1),
    "english": (np.bool_, False),
    "style": (np.int8, 0),
    "aspect1": (np.int8, 0),
    "polarity1": (np.int8, 0),
    "aspect2": (np.int8, 0),
    "polarity2": (np.int8, -1),
    "pii": (np.int8, 0),
    "emoji": (np.bool_, False),
}


def code(values: Sequence[str], name: str) -> int:
    """The integer code of ``name`` in a code tuple."""
    return values.index(name)


def new_frame(schema: Schema, n: int, **columns: Any) -> Frame:
    """A frame of ``n`` rows: given columns cast, the rest filled with defaults."""
    unknown = set(columns) - set(schema)
    if unknown:
        raise KeyError(f"columns not in schema: {sorted(unknown)}")
    out: Frame = {}
    for name, (dtype, fill) in schema.items():
        if name in columns:
            value = np.asarray(columns[name])
            out[name] = (
                np.full(n, value, dtype=dtype)
                if value.ndim == 0
                else value.astype(dtype, copy=False)
            )
        else:
            out[name] = np.full(n, fill, dtype=dtype)
    return out


def concat(schema: Schema, frames: Sequence[Frame]) -> Frame:
    """Rows of several frames, in order."""
    if not frames:
        return new_frame(schema, 0)
    return {
        name: np.concatenate([f[name] for f in frames]).astype(dtype, copy=False)
        for name, (dtype, _) in schema.items()
    }


def slim(frame: Frame, spec: dict[str, Any]) -> Frame:
    """Only the columns in ``spec``, cast to its types."""
    return {name: frame[name].astype(dtype, copy=False) for name, dtype in spec.items()}


def take(frame: Frame, index: np.ndarray) -> Frame:
    """The rows of ``frame`` at ``index`` (a position array or boolean mask)."""
    return {name: col[index] for name, col in frame.items()}
