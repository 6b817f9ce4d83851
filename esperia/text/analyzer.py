"""Esperia's own offline analyser: lexicons and rules, Italian and English first.

Per text: clean (HTML, encoding), tokenise once, detect the language (batched),
score sentences and clauses, pick up emotions, aspects and module cues in the
same pass, and mask personal data. No model is downloaded and nothing leaves
the machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from esperia.config import Settings
from esperia.errors import InvalidInput
from esperia.text.language import UNKNOWN, LanguageDetector
from esperia.text.lexicon import Taxonomy, load_language, load_taxonomy
from esperia.text.model import AspectMention, TextAnalysis
from esperia.text.pack import Pack, build_pack
from esperia.text.redact import redact
from esperia.text.scoring import DocScore, score, squash
from esperia.text.tokens import clean, shouted_words, tokenize

__all__ = [
    "EMOTIONS",
    "NEUTRAL_BAND",
    "LexiconAnalyzer",
    "get_analyzer",
    "polarity",
]

#: The basic emotions reported (Plutchik's wheel without its pairs' blends).
EMOTIONS = (
    "joy",
    "trust",
    "surprise",
    "anticipation",
    "anger",
    "sadness",
    "fear",
    "disgust",
)
#: Scores within ±NEUTRAL_BAND are neutral.
NEUTRAL_BAND = 0.1
_LEVEL_ORDER = {"needs": 0, "ease": 1, "enjoyment": 2}


def polarity(value: float) -> str:
    """negative | neutral | positive for a score in [-1, 1]."""
    if value >= NEUTRAL_BAND:
        return "positive"
    if value <= -NEUTRAL_BAND:
        return "negative"
    return "neutral"


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


class LexiconAnalyzer:
    """The default :class:`~esperia.text.model.Analyzer`."""

    name = "esperia-lexicon/1"

    def __init__(
        self, languages: Sequence[str] = ("it", "en"), workspace: Path | None = None
    ) -> None:
        if not languages:
            raise InvalidInput("text analysis needs at least one language")
        self.languages = tuple(dict.fromkeys(code.lower() for code in languages))
        self.taxonomy: Taxonomy = load_taxonomy(workspace)
        self.packs: dict[str, Pack] = {
            code: build_pack(load_language(code, workspace), self.taxonomy)
            for code in self.languages
        }
        self.detector = LanguageDetector(
            {code: pack.stopwords for code, pack in self.packs.items()}
        )

    def analyze(
        self, texts: Sequence[str], *, language: str | None = None
    ) -> list[TextAnalysis]:
        """One result per text, in order; ``language=None`` detects it per text."""
        if language is not None and language not in ("auto", *self.packs):
            raise InvalidInput(
                f"language {language!r} is not configured: use one of "
                f"{', '.join(self.packs)} or auto"
            )
        cleaned = [clean(text) for text in texts]
        tokens = [tokenize(text) for text in cleaned]
        if language is None or language == "auto":
            languages = self.detector.detect(cleaned, tokens)
        else:
            languages = [language] * len(cleaned)
        return [
            self._one(text, toks, code)
            for text, toks, code in zip(cleaned, tokens, languages, strict=True)
        ]

    def _one(self, text: str, tokens: list[str], code: str) -> TextAnalysis:
        if not tokens:
            return TextAnalysis(UNKNOWN, 0.0, "neutral", redact(text))
        shouted = frozenset() if text.islower() else shouted_words(text)
        pack = self.packs.get(code)
        if pack is not None:
            doc = score(tokens, pack, shouted)
        else:  # unknown or mixed: the language whose lexicon explains most
            docs = [score(tokens, p, shouted) for p in self.packs.values()]
            doc = max(docs, key=lambda d: d.hits)
        return self._result(text, code, doc)

    def _result(self, text: str, code: str, doc: DocScore) -> TextAnalysis:
        sentiment = round(squash(doc.raw), 4)
        aspects: list[AspectMention] = []
        modules: dict[str, list[float]] = {}
        taxonomy = self.taxonomy.aspects
        for sentence in doc.sentences:
            for aspect, values in sentence.aspects.items():
                definition = taxonomy[aspect]
                value = round(squash(_mean(values)), 4)
                aspects.append(
                    AspectMention(
                        aspect,
                        sentence.index,
                        value,
                        polarity(value),
                        definition.modules,
                        definition.pyramid_level,
                    )
                )
                for module in definition.modules:
                    modules.setdefault(module, []).append(value)
            for module, values in sentence.modules.items():
                modules.setdefault(module, []).append(squash(_mean(values)))
        emotions = {
            emotion: round(1.0 - 0.5**count, 3)
            for emotion, count in sorted(doc.emotions.items())
        }
        if emotions:
            modules.setdefault("feel", []).append(sentiment)
        level = None
        if aspects:
            level = min(
                (a.pyramid_level for a in aspects), key=_LEVEL_ORDER.__getitem__
            )
        return TextAnalysis(
            language=code,
            sentiment=sentiment,
            polarity=polarity(sentiment),
            text_redacted=redact(text),
            sentences=doc.count,
            emotions=emotions,
            aspects=tuple(aspects),
            modules={m: round(_mean(v), 4) for m, v in sorted(modules.items())},
            pyramid_level=level,
        )


@lru_cache(maxsize=8)
def _cached(languages: tuple[str, ...], workspace: Path | None) -> LexiconAnalyzer:
    return LexiconAnalyzer(languages, workspace)


def get_analyzer(settings: Settings) -> LexiconAnalyzer:
    """The analyser for a workspace (lexicons merged with its ``text/`` folder)."""
    workspace = settings.workspace.resolve() if settings.workspace else None
    return _cached(tuple(settings.text_languages), workspace)
