"""Free text for the demo's voice of the customer, assembled column-wise.

Each text is opener + clause + optional connector and second clause + end mark +
optional PII sentence + closer + optional emoji. The simulator decides, per row,
the language, the aspects and their polarity (from the scores and the planted
effects); this module only turns those choices into words, with numpy picking
fragment indices and Arrow joining the columns, so no Python loop runs per row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from esperia.demo.business import ASPECTS
from esperia.demo.phrases import (
    CLAUSES,
    CLOSERS,
    CONNECTORS,
    EMOJI,
    OPENERS,
    PII_EMAIL,
    PII_PHONE,
)

__all__ = [
    "LANGUAGES",
    "NEG",
    "NEU",
    "PII_EMAIL_KIND",
    "PII_NAME_KIND",
    "PII_NONE",
    "PII_PHONE_KIND",
    "POS",
    "STYLES",
    "TONES",
    "TextRequest",
    "compose",
    "phrase_count",
    "tone_of",
]

LANGUAGES = ("it", "en")
STYLES = ("survey", "review", "social", "message")
TONES = ("pos", "neg", "mixed", "neu")
#: Clause polarity codes.
POS, NEG, NEU = 0, 1, 2
PII_NONE, PII_EMAIL_KIND, PII_PHONE_KIND, PII_NAME_KIND = 0, 1, 2, 3
_END_MARKS = {
    "pos": (".", ".", ".", "!", "!!"),
    "neg": (".", ".", "!", "..."),
    "mixed": (".", ".", "..."),
    "neu": (".",),
}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _needs_cap(prefix: str) -> bool:
    return prefix == "" or prefix.rstrip().endswith((".", "!", "?"))


class _Table:
    """Fragments grouped by a key, flattened for vectorised picking."""

    def __init__(self, groups: Mapping[Any, tuple[str, ...]], shape: tuple[int, ...]):
        self.base = np.zeros(shape, dtype=np.int64)
        self.count = np.zeros(shape, dtype=np.int64)
        strings: list[str] = []
        for key, items in groups.items():
            self.base[key] = len(strings)
            self.count[key] = len(items)
            strings.extend(items)
        self.strings = strings
        self.array = pa.array(strings, type=pa.string())

    def pick(self, rng: np.random.Generator, *keys: np.ndarray) -> np.ndarray:
        count = self.count[keys]
        if np.any(count == 0):
            raise ValueError("no fragment for some requested key")
        return self.base[keys] + (rng.random(len(count)) * count).astype(np.int64)


def _clause_table() -> tuple[_Table, int]:
    groups: dict[tuple[int, ...], tuple[str, ...]] = {}
    for li, lang in enumerate(LANGUAGES):
        for ai, aspect in enumerate(ASPECTS):
            for pi, clauses in enumerate(CLAUSES[lang][aspect]):
                groups[(li, ai, pi)] = clauses
    table = _Table(groups, (len(LANGUAGES), len(ASPECTS), 3))
    # Capitalised copies follow the lower-case block: index + offset.
    offset = len(table.strings)
    table.strings = table.strings + [_cap(s) for s in table.strings]
    table.array = pa.array(table.strings, type=pa.string())
    return table, offset


_CLAUSES, _CAP_OFFSET = _clause_table()
_OPENERS = _Table(
    {
        (si, li, ti): OPENERS[style][lang][tone]
        for si, style in enumerate(STYLES)
        for li, lang in enumerate(LANGUAGES)
        for ti, tone in enumerate(TONES)
    },
    (len(STYLES), len(LANGUAGES), len(TONES)),
)
_OPENER_CAP = np.array([_needs_cap(s) for s in _OPENERS.strings])
_CONNECTORS = _Table(
    {(li, int(same)): CONNECTORS[lang][same] for li, lang in enumerate(LANGUAGES)
     for same in (False, True)},
    (len(LANGUAGES), 2),
)  # fmt: skip
_CONNECTOR_CAP = np.array([_needs_cap(s) for s in _CONNECTORS.strings])
_CLOSERS = _Table(
    {(li, ti): tuple(f" {c}" if c else "" for c in CLOSERS[lang][tone])
     for li, lang in enumerate(LANGUAGES) for ti, tone in enumerate(TONES)},
    (len(LANGUAGES), len(TONES)),
)  # fmt: skip
_ENDS = _Table(
    {(ti,): _END_MARKS[tone] for ti, tone in enumerate(TONES)}, (len(TONES),)
)
_EMOJI = _Table(
    {(ti,): tuple(f" {e}" for e in EMOJI[tone]) for ti, tone in enumerate(TONES)},
    (len(TONES),),
)
_PII_SOURCES = {PII_EMAIL_KIND: PII_EMAIL, PII_PHONE_KIND: PII_PHONE}


def _pii_tables() -> tuple[_Table, pa.Array]:
    """Sentence heads per (language, kind) and the tails at the same indices."""
    heads: dict[tuple[int, int], tuple[str, ...]] = {}
    tails: list[str] = []
    for li, lang in enumerate(LANGUAGES):
        for kind in (PII_NONE, PII_EMAIL_KIND, PII_PHONE_KIND, PII_NAME_KIND):
            wraps = _PII_SOURCES[kind][lang] if kind in _PII_SOURCES else (("", ""),)
            heads[(li, kind)] = tuple(f" {pre}" if pre else "" for pre, _ in wraps)
            tails.extend(suf for _, suf in wraps)
    return _Table(heads, (len(LANGUAGES), 4)), pa.array(tails, type=pa.string())


_PII, _PII_SUFFIXES = _pii_tables()


def phrase_count() -> int:
    """Number of distinct fragments the composer can draw from."""
    return len(_CLAUSES.strings) // 2 + sum(
        len(t.strings) for t in (_OPENERS, _CONNECTORS, _CLOSERS, _PII)
    )


@dataclass
class TextRequest:
    """What to say, one entry per text (all arrays of equal length).

    ``polarity1``/``polarity2`` use :data:`POS`, :data:`NEG`, :data:`NEU`;
    ``polarity2`` is -1 for a single clause. ``pii_value`` holds the e-mail or
    phone to embed in a sentence, or the name to sign a message with, where
    ``pii_kind`` asks for one.
    """

    style: np.ndarray
    language: np.ndarray
    aspect1: np.ndarray
    polarity1: np.ndarray
    aspect2: np.ndarray
    polarity2: np.ndarray
    emoji: np.ndarray
    pii_kind: np.ndarray
    pii_value: pa.Array


def tone_of(polarity1: np.ndarray, polarity2: np.ndarray) -> np.ndarray:
    """Overall tone code (index into :data:`TONES`) of a one- or two-clause text."""
    mixed = (polarity2 >= 0) & (polarity2 != polarity1) & (polarity1 != NEU)
    tone = np.where(polarity1 == POS, 0, np.where(polarity1 == NEG, 1, 3))
    return np.where(mixed, 2, tone)


def compose(rng: np.random.Generator, req: TextRequest) -> pa.Array:
    """The texts for a batch of requests, as an Arrow string array."""
    n = len(req.style)
    lang = req.language.astype(np.int64)
    tone = tone_of(req.polarity1, req.polarity2)
    opener = _OPENERS.pick(rng, req.style.astype(np.int64), lang, tone)
    first = _CLAUSES.pick(rng, lang, req.aspect1.astype(np.int64), req.polarity1)
    first = first + _OPENER_CAP[opener] * _CAP_OFFSET

    two = req.polarity2 >= 0
    same = (req.polarity2 == req.polarity1).astype(np.int64)
    connector = _CONNECTORS.pick(rng, lang, same)
    pol2 = np.where(two, req.polarity2, POS)
    second = _CLAUSES.pick(rng, lang, req.aspect2.astype(np.int64), pol2)
    second = second + _CONNECTOR_CAP[connector] * _CAP_OFFSET

    empty = pa.array([""] * 1, type=pa.string())
    blank = pa.array(np.zeros(n, dtype=np.int64))
    connector_col = pc.if_else(
        pa.array(two), _CONNECTORS.array.take(pa.array(connector)), empty.take(blank)
    )
    second_col = pc.if_else(
        pa.array(two), _CLAUSES.array.take(pa.array(second)), empty.take(blank)
    )
    end = _ENDS.pick(rng, tone)
    pii = _PII.pick(rng, lang, req.pii_kind.astype(np.int64))
    value = pc.fill_null(req.pii_value, "")
    inline = pa.array(
        (req.pii_kind == PII_EMAIL_KIND) | (req.pii_kind == PII_PHONE_KIND)
    )
    signed = pa.array(req.pii_kind == PII_NAME_KIND)
    nothing = empty.take(blank)
    closer = _CLOSERS.pick(rng, lang, tone)
    emoji = _EMOJI.pick(rng, tone)
    parts = [
        _OPENERS.array.take(pa.array(opener)),
        _CLAUSES.array.take(pa.array(first)),
        connector_col,
        second_col,
        _ENDS.array.take(pa.array(end)),
        _PII.array.take(pa.array(pii)),
        pc.if_else(inline, value, nothing),
        _PII_SUFFIXES.take(pa.array(pii)),
        _CLOSERS.array.take(pa.array(closer)),
        pc.if_else(signed, pc.binary_join_element_wise(" — ", value, ""), nothing),
        pc.if_else(pa.array(req.emoji), _EMOJI.array.take(pa.array(emoji)), nothing),
    ]
    return pc.binary_join_element_wise(*parts, "")
