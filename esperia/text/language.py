"""Language detection restricted to the configured languages.

A cheap vote of function words ("il", "che", "the", "and") settles most
comments; only the unclear ones go, in one batch, to lingua restricted to the
configured languages (the full 75-language model is 50 times slower and
1.5 GB). Too little text, or two languages voting alike, gives ``unknown``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

__all__ = ["UNKNOWN", "LanguageDetector"]

UNKNOWN = "unknown"
MIN_WORDS = 3
MIN_VOTES = 2
CLEAR_RATIO = 3.0
LINGUA_CHARS = 600


@lru_cache(maxsize=4)
def _lingua(codes: tuple[str, ...]) -> tuple[Any, dict[Any, str]] | None:
    try:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder
    except ImportError:  # pragma: no cover - lingua is a declared dependency
        return None
    languages: dict[Any, str] = {}
    for code in codes:
        try:
            iso = getattr(IsoCode639_1, code.upper())
            languages[Language.from_iso_code_639_1(iso)] = code
        except (AttributeError, ValueError):
            continue
    if len(languages) < 2:
        return None
    detector = (
        LanguageDetectorBuilder.from_languages(*languages)
        .with_minimum_relative_distance(0.1)
        .build()
    )
    return detector, languages


class LanguageDetector:
    """Detect one of ``codes`` per text, or ``unknown``."""

    def __init__(self, stopwords: Mapping[str, frozenset[str]]) -> None:
        self.codes = tuple(stopwords)
        owners: dict[str, set[str]] = {}
        for code, words in stopwords.items():
            for word in words:
                owners.setdefault(word, set()).add(code)
        #: words that belong to exactly one language are the ones that vote
        self.votes = {w: next(iter(c)) for w, c in owners.items() if len(c) == 1}

    def vote(self, tokens: Sequence[str]) -> tuple[str | None, bool]:
        """(language or None, whether the text is long enough to tell)."""
        votes = self.votes
        counts: dict[str, int] = {}
        words = 0
        for token in tokens:
            if token[0].isalpha():
                words += 1
                code = votes.get(token)
                if code is None and "'" in token:
                    code = votes.get(token[: token.index("'") + 1])
                if code is not None:
                    counts[code] = counts.get(code, 0) + 1
        if len(self.codes) == 1:
            return (self.codes[0] if words else None), words > 0
        if words < MIN_WORDS and sum(counts.values()) < MIN_VOTES:
            return None, False
        if not counts:
            return None, True
        ranked = sorted(counts.values(), reverse=True)
        best = max(counts, key=counts.__getitem__)
        second = ranked[1] if len(ranked) > 1 else 0
        if ranked[0] >= MIN_VOTES and ranked[0] >= CLEAR_RATIO * max(second, 0.5):
            return best, True
        if second >= MIN_VOTES:
            return UNKNOWN, True  # mixed: two languages both vote clearly
        return None, True

    def detect(
        self, texts: Sequence[str], tokens: Sequence[Sequence[str]]
    ) -> list[str]:
        """One code per text; unclear texts are batched through lingua."""
        result: list[str] = []
        unclear: list[int] = []
        for index, toks in enumerate(tokens):
            code, enough = self.vote(toks)
            if code is not None:
                result.append(code)
            else:
                result.append(UNKNOWN)
                if enough:
                    unclear.append(index)
        if unclear:
            lingua = _lingua(self.codes)
            if lingua is not None:
                detector, languages = lingua
                batch = [texts[i][:LINGUA_CHARS] for i in unclear]
                found = detector.detect_languages_in_parallel_of(batch)
                for index, language in zip(unclear, found, strict=True):
                    if language is not None:
                        result[index] = languages[language]
        return result
