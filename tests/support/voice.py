"""Helpers for the voice-of-the-customer tests: a tiny keyword engine and data.

``KeywordAnalyzer`` is a second, deliberately simple engine behind the
``Analyzer`` protocol: tests use it to check that enrichment stores exactly
what an engine returns, whichever engine it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from esperia.ingest import import_records
from esperia.text.enrich import enrich_feedback
from esperia.text.model import AspectMention, TextAnalysis

#: An e-mail address some seeded comments carry; no page may show it.
PII = "giulia.bianchi@example.com"

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


def seed_voice(store: Any, settings: Any) -> None:
    """Two touchpoints and a dozen comments, enriched by the keyword engine."""
    quiet = settings.model_copy(update={"text_enrich_on_import": False})
    import_records(
        store, quiet, "touchpoints",
        [
            {"touchpoint_id": "shop", "name": "Negozio Roma", "channel": "store",
             "stage": "purchase"},
            {"touchpoint_id": "chat", "name": "Chat assistenza", "channel": "chat",
             "stage": "service"},
        ],
    )  # fmt: skip
    texts = [
        ("shop", "Good price. Good staff"),
        ("shop", "Bad price"),
        ("shop", "Good price, good"),
        ("chat", "Bad wait. Bad wait"),
        ("chat", f"Bad wait, write to {PII}"),
        ("chat", "Good staff"),
    ] * 2
    import_records(
        store, quiet, "feedback",
        [
            {"feedback_id": f"w{i}", "received_at": f"2025-02-{i + 1:02d}T09:00:00",
             "source": "review", "touchpoint_id": tp, "text": text}
            for i, (tp, text) in enumerate(texts)
        ],
    )  # fmt: skip
    enrich_feedback(store, quiet, KeywordAnalyzer())
