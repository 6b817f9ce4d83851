"""What text analysis returns, and the protocol every analysis engine follows.

The default engine is Esperia's own offline lexicon-and-rules analyser; the
``Analyzer`` protocol lets another engine (a transformer, an LLM endpoint) plug
in later without touching the callers (enrichment, the CLI, the assistant).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

__all__ = ["Analyzer", "AspectMention", "TextAnalysis"]


@dataclass(frozen=True, slots=True)
class AspectMention:
    """One CX aspect found in one sentence, with that sentence's feeling about it."""

    aspect: str  #: taxonomy id, e.g. ``waiting_time``
    sentence: int  #: index of the sentence in the text, from 0
    sentiment: float  #: in [-1, 1]
    polarity: str  #: negative | neutral | positive
    modules: tuple[str, ...]  #: Schmitt modules the aspect feeds
    pyramid_level: str  #: needs | ease | enjoyment


@dataclass(frozen=True, slots=True)
class TextAnalysis:
    """Everything the analysis says about one text."""

    language: str  #: a configured language code, or ``unknown``
    sentiment: float  #: document score in [-1, 1]
    polarity: str  #: negative | neutral | positive
    text_redacted: str  #: the text with personal data masked
    sentences: int = 0
    emotions: dict[str, float] = field(default_factory=dict)  #: emotion → intensity
    aspects: tuple[AspectMention, ...] = ()
    modules: dict[str, float] = field(default_factory=dict)  #: module → sentiment
    pyramid_level: str | None = None  #: the lowest level the text speaks to


@runtime_checkable
class Analyzer(Protocol):
    """An engine that analyses texts in batches (batches let engines vectorise)."""

    #: Recorded with every stored result, so a re-analysis can be targeted.
    name: str

    def analyze(
        self, texts: Sequence[str], *, language: str | None = None
    ) -> list[TextAnalysis]:
        """One result per text, in order; ``language=None`` detects it per text."""
        ...
