"""The rules: one left-to-right pass over a text's tokens.

Valences (about -3..3) are summed per clause; a negator flips and damps the
next few content words ("non è male" → mildly positive); an intensifier scales
the next one ("molto", "un po'"), and words like "troppo"/"too" carry their own
negative lean when nothing positive follows ("troppo piccola"). Clauses after a
contrast ("ma", "però", "but") weigh more and the ones before weigh less; a
concessive ("anche se", "although") does the reverse. Exclamation marks and
CAPITALS strengthen; irony markers turn an apparently positive sentence
negative. Sums are squashed into [-1, 1] with ``x / sqrt(x² + ALPHA)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from esperia.text.pack import (
    BREAK,
    CONCESSIVE,
    CONTRAST,
    END,
    INTENSIFIER,
    IRONY,
    NEGATOR,
    PLAIN,
    Pack,
)

__all__ = ["ALPHA", "DocScore", "SentenceScore", "score", "squash"]

ALPHA = 4.0
NEG_SCOPE = 3
NEG_FACTOR = -0.7
INT_SCOPE = 2
SHOUT = 1.4
EXCLAIM = 0.25
BEFORE_CONTRAST = 0.5
AFTER_CONTRAST = 1.5
CONCESSIVE_WEIGHT = 0.5
#: "great disappointment", "grande delusione": a praise word right before a
#: negative one intensifies it instead of cancelling it
PRAISE_AS_INTENSIFIER = 1.3


def squash(raw: float) -> float:
    """Map an unbounded sum into [-1, 1]."""
    if raw == 0.0:
        return 0.0
    return raw / math.sqrt(raw * raw + ALPHA)


@dataclass(slots=True)
class SentenceScore:
    index: int = 0
    raw: float = 0.0
    weight: float = 1.0
    #: aspect → (clause raw scores); the sentence score stands in for 0-clauses
    aspects: dict[str, list[float]] = field(default_factory=dict)
    modules: dict[str, list[float]] = field(default_factory=dict)
    hits: int = 0


@dataclass(slots=True)
class DocScore:
    sentences: list[SentenceScore]
    raw: float
    emotions: dict[str, float]
    hits: int
    count: int  #: sentences with any content


class _Clause:
    __slots__ = ("aspects", "modules", "raw", "weight")

    def __init__(self, weight: float = 1.0) -> None:
        self.raw = 0.0
        self.weight = weight
        self.aspects: tuple[str, ...] = ()
        self.modules: tuple[str, ...] = ()


def _close_sentence(
    index: int,
    clauses: list[_Clause],
    exclaim: int,
    irony: bool,
    out: list[SentenceScore],
) -> None:
    sentence = SentenceScore(index)
    raw = 0.0
    for clause in clauses:
        raw += clause.raw * clause.weight
    if raw and exclaim:
        raw += math.copysign(EXCLAIM * min(exclaim, 3), raw)
    if irony and raw > 0:
        raw = -raw
    sentence.raw = raw
    for clause in clauses:
        own = clause.raw * clause.weight
        if irony and own > 0:
            own = -own
        value = own if own else raw
        for aspect in clause.aspects:
            sentence.aspects.setdefault(aspect, []).append(value)
        for module in clause.modules:
            sentence.modules.setdefault(module, []).append(value)
    if raw or sentence.aspects or sentence.modules:
        out.append(sentence)


def score(tokens: list[str], pack: Pack, shouted: frozenset[str]) -> DocScore:
    """Score one tokenised text with one language's pack."""
    table = pack.table
    phrases = pack.phrases
    sentences: list[SentenceScore] = []
    emotions: dict[str, float] = {}
    clauses: list[_Clause] = []
    clause = _Clause()
    clauses.append(clause)
    neg = 0
    mult = 1.0
    mult_left = 0
    lean = 0.0
    neg_lean = 0.0
    irony = False
    exclaim = 0
    hits = 0
    content = 0  # content tokens in the current sentence
    praise_at = -1  # token index right after an unnegated praise word
    praise = 0.0
    count = 0  # sentences closed
    n = len(tokens)
    i = 0
    while i < n:
        start = i
        token = tokens[i]
        entry = None
        options = phrases.get(token)
        if options is not None:
            for parts, candidate in options:
                size = len(parts)
                if tuple(tokens[i : i + size]) == parts:
                    entry = candidate
                    i += size - 1
                    break
        if entry is None:
            entry = table.get(token, False)  # type: ignore[arg-type]
            if entry is False:
                entry = pack.lookup(token)
        i += 1
        if entry is None:
            content += 1
            praise_at = -1
            if neg:
                neg -= 1
                if not neg and neg_lean:
                    clause.raw += neg_lean
                    neg_lean = 0.0
            if mult_left:
                mult_left -= 1
                if not mult_left and lean:
                    clause.raw += lean
                    lean = 0.0
            continue
        role = entry.role
        if role in (END, BREAK):
            clause.raw += lean + neg_lean
            lean = neg_lean = 0.0
            neg = mult_left = 0
            if role == END:
                exclaim += token.count("!")
                if content:
                    _close_sentence(count, clauses, exclaim, irony, sentences)
                    count += 1
                    clause = _Clause()
                    clauses = [clause]
                    irony = False
                    exclaim = 0
                    content = 0
            continue
        hits += 1
        if role == NEGATOR:
            neg = NEG_SCOPE
            neg_lean = entry.valence
            continue
        if role == INTENSIFIER:
            mult, mult_left, lean = entry.mult, INT_SCOPE, entry.valence
            continue
        if role in (CONTRAST, CONCESSIVE):
            clause.raw += lean + neg_lean
            lean = neg_lean = 0.0
            neg = mult_left = 0
            if role == CONTRAST:
                if content == 0 and sentences:
                    sentences[-1].weight = BEFORE_CONTRAST
                for old in clauses:
                    old.weight *= BEFORE_CONTRAST
                clause = _Clause(AFTER_CONTRAST)
            else:
                clause = _Clause(CONCESSIVE_WEIGHT)
            clauses.append(clause)
            continue
        if role == IRONY:
            irony = True
        content += 1
        value = entry.valence
        if value:
            if mult_left:
                value *= mult
                if lean and value < 0:
                    value += lean
                lean = 0.0
                mult_left = 0
            if token in shouted:
                value *= SHOUT
            if neg:
                if not entry.self_negated:
                    value *= NEG_FACTOR
                neg_lean = 0.0
            if value < 0 and praise_at == start:
                clause.raw -= praise
                value *= PRAISE_AS_INTENSIFIER
                praise_at = -1
            elif value > 0 and not neg and role == PLAIN:
                praise_at, praise = i, value
            clause.raw += value
        else:
            if mult_left:
                mult_left -= 1
                if not mult_left and lean:
                    clause.raw += lean
                    lean = 0.0
        if entry.emotions and not neg:
            for emotion in entry.emotions:
                emotions[emotion] = emotions.get(emotion, 0.0) + 1.0
        if entry.aspects:
            clause.aspects += entry.aspects
        if entry.modules:
            clause.modules += entry.modules
        if neg:
            neg -= 1
            if not neg and neg_lean:
                clause.raw += neg_lean
                neg_lean = 0.0
    clause.raw += lean + neg_lean
    if content:
        _close_sentence(count, clauses, exclaim, irony, sentences)
        count += 1
    raw = 0.0
    for sentence in sentences:
        raw += sentence.raw * sentence.weight
    return DocScore(sentences, raw, emotions, hits, count)
