"""Language per message, lemmas per language, and the bridge to text analytics.

Everything the assistant needs from language processing goes through the few
functions here, so the text-analytics package (``esperia.text``) can replace
the small built-in fallbacks in one place when it is present.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from typing import Any

import simplemma

from esperia.text import LexiconAnalyzer
from esperia.text import redact as text_redact

__all__ = [
    "SUPPORTED",
    "detect_language",
    "lemmas",
    "normalise",
    "redact",
    "tokens",
]

#: Languages the assistant answers in; the first is the fallback.
SUPPORTED: tuple[str, ...] = ("it", "en")

_TOKEN = re.compile(r"\w+", re.UNICODE)
_DIGIT = re.compile(r"\d")
# Short, very common words that settle the language of a message of two or three
# words, where statistical detectors hesitate ("ciao", "hi there").
_HINTS = {
    "it": frozenset(
        [
            "ciao",
            "buongiorno",
            "buonasera",
            "grazie",
            "il",
            "lo",
            "la",
            "gli",
            "le",
            "un",
            "una",
            "del",
            "della",
            "di",
            "che",
            "non",
            "per",
            "sono",
            "è",
            "mio",
            "mia",
            "dove",
            "quando",
            "come",
            "vorrei",
            "posso",
            "ordine",
            "negozio",
        ]
    ),
    "en": frozenset(
        [
            "hi",
            "hello",
            "thanks",
            "thank",
            "the",
            "a",
            "an",
            "of",
            "is",
            "are",
            "my",
            "where",
            "when",
            "how",
            "would",
            "could",
            "can",
            "i",
            "you",
            "order",
            "shop",
            "store",
            "please",
        ]
    ),
}


def normalise(text: str) -> str:
    """Lower case, NFKC, every digit as 0: numbers vary, their presence matters."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _DIGIT.sub("0", text)


def tokens(text: str) -> list[str]:
    """Word tokens of the normalised text (apostrophes split: "dov'è" → dov, è)."""
    return _TOKEN.findall(normalise(text))


# An Italian infinitive with pronouns attached ("ordinarmelo", "farmi", "darlo"):
# the stem in group 1, the infinitive is the stem plus "e".
_CLITICS = re.compile(
    r"^(\w{1,}?[aei]r)(?:me|te|ce|ve|se|glie)?(?:lo|la|li|le|ne|mi|ti|ci|vi|si|gli)$"
)


@lru_cache(maxsize=200_000)
def _lemma(word: str, language: str) -> str:
    lemma = str(simplemma.lemmatize(word, lang=language))
    if language == "it" and lemma == word:
        # simplemma knows single pronouns on common verbs but not pairs
        # ("mandarmelo") nor short verbs ("farmi"): strip them and retry.
        attached = _CLITICS.match(word)
        if attached:
            return str(simplemma.lemmatize(attached.group(1) + "e", lang=language))
    return lemma


def lemmas(text: str, language: str) -> list[str]:
    """Lemmas of the words, by simplemma's offline dictionary for ``language``."""
    lang = language if language in SUPPORTED else SUPPORTED[0]
    return [_lemma(w, lang) for w in tokens(text)]


@lru_cache(maxsize=1)
def _detector() -> Any:
    from lingua import Language, LanguageDetectorBuilder

    return (
        LanguageDetectorBuilder.from_languages(Language.ITALIAN, Language.ENGLISH)
        .with_preloaded_language_models()
        .build()
    )


def detect_language(text: str, default: str = SUPPORTED[0]) -> str:
    """``it`` or ``en`` for one message; ``default`` when nothing tells."""
    words = tokens(text)
    if not words:
        return default
    hits = {lang: sum(w in hint for w in words) for lang, hint in _HINTS.items()}
    if len(words) <= 3 and max(hits.values()) > 0 and hits["it"] != hits["en"]:
        return max(hits, key=lambda lang: hits[lang])
    found = _detector().detect_language_of(text)
    if found is None:
        return default
    return "it" if found.name == "ITALIAN" else "en"


def redact(text: str) -> str:
    """The text with personal data masked, for stored transcripts.

    The same redaction as every other feedback text (``esperia.text.redact``):
    e-mails, phones, IBANs, fiscal codes, card numbers, street addresses.
    """
    return text_redact(text)


@cache
def _analyzer() -> LexiconAnalyzer:
    return LexiconAnalyzer(("it", "en"))


def sentiment_of(text: str, language: str) -> float | None:
    """Document sentiment in [-1, 1] from text analytics (None for empty text).

    Stored conversations become feedback that enrichment analyses in full later;
    this score is what the handover shows an agent straight away.
    """
    if not text.strip():
        return None
    result = _analyzer().analyze([text], language=language)[0]
    return float(result.sentiment)
