"""The closed vocabularies of the CX models, shared by every layer."""

from __future__ import annotations

__all__ = [
    "CHANNELS",
    "CONTACTS",
    "FEEDBACK_SOURCES",
    "MEDIUMS",
    "MODULES",
    "PYRAMID_LEVELS",
    "STAGES",
    "VALUE_ELEMENTS",
]

#: Journey stages, in the order a customer lives them.
STAGES: tuple[str, ...] = (
    "awareness",
    "consideration",
    "purchase",
    "delivery",
    "usage",
    "service",
    "loyalty",
    "advocacy",
)

#: Whether the customer met the company itself (direct) or heard of it (indirect).
CONTACTS: tuple[str, ...] = ("direct", "indirect")

#: Where the meeting happens.
MEDIUMS: tuple[str, ...] = ("physical", "digital")

#: Where a piece of feedback came from.
FEEDBACK_SOURCES: tuple[str, ...] = (
    "survey",
    "review",
    "social",
    "chat",
    "email",
    "call",
    "note",
    "assistant",
)

#: Channels Esperia knows by name; a touchpoint may use others (free text).
CHANNELS: tuple[str, ...] = (
    "store",
    "web",
    "app",
    "phone",
    "chat",
    "email",
    "social",
    "review_site",
    "event",
    "delivery",
    "advertising",
    "press",
    "word_of_mouth",
    "other",
)

#: Schmitt's strategic experiential modules.
MODULES: tuple[str, ...] = ("sense", "feel", "think", "act", "relate")

#: The CX pyramid, bottom first (``needs`` = needs met): a level counts only when
#: those below it hold.
PYRAMID_LEVELS: tuple[str, ...] = ("needs", "ease", "enjoyment")

#: The value chain, from what the customer expects to what the relationship yields.
VALUE_ELEMENTS: tuple[str, ...] = (
    "expectation",
    "proposition",
    "perception",
    "realization",
)
