"""Emerging topics: recurring themes in comments the aspect taxonomy missed.

The comments whose sentences matched no taxonomy aspect (or all comments, on
request) are reduced to lemmas (simplemma, per language) without stop words,
weighted by TF-IDF over words and word pairs, and factorised with NMF into a
few topics. Each topic is named by its strongest terms, counted by the comments
it explains best, and shown with its mean sentiment and a few example comments
(redacted text). NMF starts from an SVD (``nndsvd``), so the same data always
gives the same topics.

The method finds *vocabulary that recurs together*; it does not know what a
theme means, and on a few dozen comments its topics are noise. It needs a few
hundred comments and is a prompt to read the examples, not a verdict.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np

from esperia.config import Settings
from esperia.errors import InvalidInput
from esperia.store.database import Store
from esperia.text.voice import VoiceFilters

__all__ = ["Topic", "TopicsResult", "emerging_topics", "lemma_tokens", "stop_words"]

Scope = Literal["unmatched", "all"]

#: Fewer comments than this give no topics: NMF on a handful of texts is noise.
MIN_COMMENTS = 30
_WORD = re.compile(r"[^\W\d_]{3,}")
#: Redaction placeholders and markup: never a theme.
_MASKS = re.compile(r"\[[^\]]{0,40}\]|<[^>]{0,200}>|\{[^}]{0,40}\}")


@dataclass
class Topic:
    """One emerging theme."""

    topic: int
    label: str
    terms: list[str]
    size: int
    share: float
    sentiment: float | None
    negative: int
    language: str | None
    examples: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class TopicsResult:
    """The topics found and what they were found in."""

    scope: str
    comments: int
    topics: list[Topic]
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@cache
def _package_stop_words(language: str) -> frozenset[str]:
    words: set[str] = set()
    if language == "en":
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        words |= set(ENGLISH_STOP_WORDS)
    folder = resources.files("esperia.text").joinpath("topic_stopwords")
    source = folder.joinpath(f"{language}.txt")
    if source.is_file():
        words |= _read_words(source.read_text(encoding="utf-8"))
    return frozenset(words)


def _read_words(text: str) -> set[str]:
    return {
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }


def stop_words(language: str, workspace: Path | None = None) -> frozenset[str]:
    """The package's stop words for ``language`` plus the workspace's own.

    A workspace adds words in ``<workspace>/text/stopwords.<language>.txt``
    (one per line, ``#`` comments), e.g. its own brand name.
    """
    words = set(_package_stop_words(language))
    if workspace is not None:
        extra = workspace / "text" / f"stopwords.{language}.txt"
        if extra.is_file():
            words |= _read_words(extra.read_text(encoding="utf-8"))
    return frozenset(words)


@cache
def _lemma(token: str, language: str) -> str:
    import simplemma

    try:
        return str(simplemma.lemmatize(token, lang=language)).lower()
    except ValueError:  # a language simplemma does not know
        return token


def lemma_tokens(
    text: str, language: str | None, stops: dict[str, frozenset[str]]
) -> list[str]:
    """The content lemmas of ``text`` in order (stop words and masks removed)."""
    lang = language if language in stops else None
    languages = [lang] if lang else list(stops)
    out: list[str] = []
    for match in _WORD.finditer(_MASKS.sub(" ", text.lower())):
        token = match.group(0)
        if any(token in stops[code] for code in languages):
            continue
        lemma = _lemma(token, languages[0])
        if len(lemma) < 3 or any(lemma in stops[code] for code in languages):
            continue
        out.append(lemma)
    return out


def _label(terms: list[str], count: int = 3) -> list[str]:
    """The strongest terms; a word pair replaces the single words it contains."""
    chosen: list[str] = []
    for term in terms:
        words = set(term.split())
        if any(words <= set(c.split()) for c in chosen):
            continue  # already said by a chosen pair
        chosen = [c for c in chosen if not set(c.split()) <= words]
        chosen.append(term)
        if len(chosen) == count:
            break
    return chosen


def emerging_topics(
    store: Store,
    settings: Settings,
    filters: VoiceFilters | None = None,
    *,
    topics: int = 8,
    scope: Scope = "unmatched",
    max_comments: int = 20_000,
    examples: int = 3,
    seed: int = 0,
) -> TopicsResult:
    """Find up to ``topics`` themes in the newest ``max_comments`` comments."""
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not 1 <= topics <= 30:
        raise InvalidInput("topics must be between 1 and 30")
    if scope not in ("unmatched", "all"):
        raise InvalidInput(f"unknown scope {scope!r}: unmatched or all")
    if max_comments < MIN_COMMENTS:
        raise InvalidInput(f"max_comments must be at least {MIN_COMMENTS}")
    filters = filters or VoiceFilters()
    rows = _comments(store, filters, scope, max_comments)
    stops = {
        lang: stop_words(lang, settings.workspace) for lang in settings.text_languages
    }
    docs = [" ".join(lemma_tokens(r["text"] or "", r["language"], stops)) for r in rows]
    keep = [i for i, d in enumerate(docs) if d]
    if len(keep) < MIN_COMMENTS:
        return TopicsResult(scope, len(rows), [], note="too_few_comments")
    vectorizer = TfidfVectorizer(
        tokenizer=str.split, token_pattern=None, lowercase=False,
        ngram_range=(1, 2), min_df=max(3, len(keep) // 500), max_df=0.4,
        sublinear_tf=True, max_features=20_000, dtype=np.float32,
    )  # fmt: skip
    try:
        matrix = vectorizer.fit_transform([docs[i] for i in keep])
    except ValueError:  # every term too rare or too common
        return TopicsResult(scope, len(rows), [], note="no_shared_vocabulary")
    k = min(topics, matrix.shape[1], len(keep) // 10)
    if k < 1:
        return TopicsResult(scope, len(rows), [], note="no_shared_vocabulary")
    model = NMF(
        n_components=k, init="nndsvd", random_state=seed, max_iter=500, tol=1e-3
    )
    with warnings.catch_warnings():
        # Topics need the ranking of terms, not a fully converged factorisation.
        warnings.simplefilter("ignore", ConvergenceWarning)
        weights = model.fit_transform(matrix)
    terms = vectorizer.get_feature_names_out()
    best = weights.argmax(axis=1)
    strength = weights.max(axis=1)
    sentiments = np.array(
        [np.nan if rows[i]["sentiment"] is None else float(rows[i]["sentiment"])
         for i in keep]
    )  # fmt: skip
    found: list[Topic] = []
    for j in range(k):
        members = np.flatnonzero((best == j) & (strength > 0))
        if members.size == 0:
            continue
        top = [str(terms[t]) for t in np.argsort(-model.components_[j])[:12]]
        label_terms = _label(top)
        scores = sentiments[members]
        scores = scores[np.isfinite(scores)]
        order = members[np.argsort(-weights[members, j], kind="stable")][:examples]
        languages = [rows[keep[m]]["language"] for m in members]
        found.append(
            Topic(
                topic=0,
                label=" · ".join(label_terms),
                terms=top[:8],
                size=int(members.size),
                share=round(members.size / len(keep), 4),
                sentiment=round(float(scores.mean()), 3) if scores.size else None,
                negative=int((scores < -0.05).sum()),
                language=max(
                    set(languages), key=lambda x: (languages.count(x), str(x))
                ),
                examples=[
                    {
                        "feedback_id": rows[keep[m]]["feedback_id"],
                        "text": rows[keep[m]]["text"],
                        "sentiment": rows[keep[m]]["sentiment"],
                    }
                    for m in order
                ],
            )
        )
    found.sort(key=lambda t: (-t.size, t.label))
    for number, topic in enumerate(found, start=1):
        topic.topic = number
    return TopicsResult(scope, len(rows), found)


def _comments(
    store: Store, filters: VoiceFilters, scope: Scope, limit: int
) -> list[dict[str, Any]]:
    where, params = filters.sql(store.settings.timezone)
    unmatched = (
        " AND (t.aspects IS NULL OR t.aspects = '')" if scope == "unmatched" else ""
    )
    with store.connect() as conn:
        return conn.fetch_dicts(
            "SELECT t.feedback_id, t.text_redacted AS text, t.language, t.sentiment "
            "FROM feedback_text t JOIN feedback f ON f.feedback_id = t.feedback_id "
            "LEFT JOIN touchpoints p ON p.touchpoint_id = f.touchpoint_id "
            f"WHERE {where}{unmatched} "
            "ORDER BY f.received_at DESC, t.feedback_id LIMIT ?",
            [*params, int(limit)],
        )
