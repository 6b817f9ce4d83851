"""Helpers for the voice-of-the-customer tests: a tiny keyword engine and data.

``KeywordAnalyzer`` is a second, deliberately simple engine behind the
``Analyzer`` protocol: tests use it to check that enrichment stores exactly
what an engine returns, whichever engine it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from esperia.text.model import AspectMention, TextAnalysis

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_ASPECTS = {
    "price": ("price", "needs", ("think",)),
    "staff": ("staff_courtesy", "enjoyment", ("feel", "relate")),
    "wait": ("waiting_time", "ease", ("act",)),
}


class KeywordAnalyzer:
    """Sentences split on '.', sentiment from 'good'/'bad', aspects by keyword."""

    name = "keyword-test-1"

    def analyze(
        self, texts: Sequence[str], *, language: str | None = None
    ) -> list[TextAnalysis]:
        return [self._one(text, language) for text in texts]

    def _one(self, text: str, language: str | None) -> TextAnalysis:
        sentences = [s for s in re.split(r"\.\s+", text) if s.strip()]
        mentions = []
        for i, sentence in enumerate(sentences):
            score = _score(sentence)
            for word, (aspect, level, modules) in _ASPECTS.items():
                if word in sentence.lower():
                    mentions.append(
                        AspectMention(
                            aspect, i, score, _polarity(score), modules, level
                        )
                    )
        total = _score(text)
        modules: dict[str, float] = {}
        for mention in mentions:
            for module in mention.modules:
                modules[module] = mention.sentiment
        emotions = {"joy": 0.8} if total > 0 else ({"anger": 0.6} if total < 0 else {})
        levels = [m.pyramid_level for m in mentions]
        order = ("needs", "ease", "enjoyment")
        return TextAnalysis(
            language=language or ("it" if " il " in f" {text} " else "en"),
            sentiment=total,
            polarity=_polarity(total),
            text_redacted=_EMAIL.sub("[email]", text),
            sentences=len(sentences),
            emotions=emotions,
            aspects=tuple(mentions),
            modules=modules,
            pyramid_level=min(levels, key=order.index) if levels else None,
        )


def _score(text: str) -> float:
    lower = text.lower()
    return max(-1.0, min(1.0, 0.5 * lower.count("good") - 0.5 * lower.count("bad")))


def _polarity(score: float) -> str:
    return "positive" if score > 0 else "negative" if score < 0 else "neutral"


def feedback_rows(texts: Sequence[str | None], **extra: Any) -> list[dict[str, Any]]:
    """Feedback records with these texts, one a day from 2025-03-01."""
    return [
        {
            "feedback_id": f"fb{i:03d}",
            "received_at": f"2025-03-{(i % 28) + 1:02d}T10:00:00",
            "source": "review",
            "text": text,
            **extra,
        }
        for i, text in enumerate(texts)
    ]
