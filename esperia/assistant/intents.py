"""A fast offline intent classifier learned from a company's example utterances.

Features are a union of TF-IDF blocks: word 1-2-grams over lemmas (simplemma, the
message's own language) and character 2-5-grams within words over the normalised
text, which carries typos and inflections the lemmatiser misses. A linear SVM
separates the intents; its regularisation ``C`` is picked by cross-validation on
the training examples only. Out-of-scope detection has two parts: an optional
out-of-scope label the company trains like any other, and a confidence computed
by a logistic calibration of the SVM's top score and margin on cross-validated
predictions, so "confidence 0.7" means about seven in ten such answers were right.
"""

from __future__ import annotations

import pickle
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from esperia.assistant.language import detect_language, lemmas, normalise
from esperia.assistant.pairwise import PairwiseStage, confused_pairs, fit_pairwise
from esperia.errors import InvalidInput

__all__ = ["IntentClassifier", "IntentConfig", "IntentPrediction"]

_FORMAT = 1


@dataclass(frozen=True)
class IntentConfig:
    """How the classifier is trained and when it declines to answer."""

    #: Candidate SVM regularisation values; cross-validation picks one.
    c_grid: tuple[float, ...] = (0.25, 0.5, 1.0)
    #: Folds for choosing C and calibrating confidence (fewer when data is thin).
    folds: int = 3
    #: The label of out-of-scope examples, if the company provides some.
    out_of_scope_label: str = "out_of_scope"
    #: Below this calibrated confidence a message is treated as out of scope.
    min_confidence: float = 0.5
    #: Language of every example, or None to detect it per example.
    language: str | None = None
    seed: int = 0
    #: Share of the second model (SGD, modified Huber loss, on word 1-3-grams of
    #: the plain text) in the ensemble's standardised scores; 0 turns it off.
    #: 0.2 was best on a held-out part of BANKING77's *training* split.
    second_weight: float = 0.2
    #: The pairwise second stage (:mod:`esperia.assistant.pairwise`): "on",
    #: "off", or "auto" = on when the examples average at least
    #: ``pairwise_min_per_class`` per intent (with few examples the pair models
    #: have too little to learn from and cross-validated confusions are noise).
    pairwise: str = "auto"
    pairwise_min_per_class: float = 40.0
    #: A pair gets a model when, in cross-validation, an example of one intent
    #: ranked the other among its ``pairwise_confusion_top`` best at least
    #: ``pairwise_min_count`` times. At prediction the first stage's
    #: ``pairwise_top`` best are re-ranked: ``pairwise_weight`` * standardised
    #: first-stage score + the pair models' margins (clipped to ±1). Pair
    #: coefficients below ``pairwise_prune`` are dropped (a third of the size,
    #: no loss). All chosen on a held-out 20 % of BANKING77's *training* split.
    pairwise_confusion_top: int = 5
    pairwise_min_count: int = 1
    pairwise_top: int = 6
    pairwise_weight: float = 0.5
    pairwise_c: float = 1.0
    pairwise_prune: float = 0.03


@dataclass(frozen=True)
class IntentPrediction:
    """The intent of one message and how sure the classifier is."""

    label: str  #: the best in-scope intent (even when out of scope, for review)
    confidence: float  #: calibrated probability that ``label`` is right
    out_of_scope: bool
    alternatives: tuple[tuple[str, float], ...] = ()  #: next best intents, scores

    @property
    def intent(self) -> str | None:
        """The intent to act on, or None when the message is out of scope."""
        return None if self.out_of_scope else self.label


@dataclass
class IntentClassifier:
    """Fit on (text, label) examples; predict intents with a confidence."""

    config: IntentConfig = field(default_factory=IntentConfig)
    chosen_c: float | None = None
    labels: tuple[str, ...] = ()
    cv_accuracy: float | None = None
    _words: TfidfVectorizer | None = None
    _chars: TfidfVectorizer | None = None
    _svm: LinearSVC | None = None
    _raw: TfidfVectorizer | None = None
    _sgd: SGDClassifier | None = None
    _calibration: LogisticRegression | None = None
    _pairwise: PairwiseStage | None = None
    _oof: np.ndarray | None = None
    _known: frozenset[str] = frozenset()

    # ------------------------------------------------------------------ features
    def _lemma_texts(
        self, texts: Sequence[str], languages: Sequence[str] | None = None
    ) -> list[str]:
        fixed = self.config.language
        if languages is None or fixed:
            languages = [fixed or detect_language(t) for t in texts]
        return [
            " ".join(lemmas(t, lang)) for t, lang in zip(texts, languages, strict=True)
        ]

    def _features(
        self,
        texts: Sequence[str],
        *,
        fit: bool = False,
        languages: Sequence[str] | None = None,
    ) -> tuple[sp.csr_matrix, list[str]]:
        lemma_texts = self._lemma_texts(texts, languages)
        plain = [normalise(t) for t in texts]
        if fit:
            self._words = TfidfVectorizer(
                ngram_range=(1, 2),
                sublinear_tf=True,
                token_pattern=r"(?u)\b\w+\b",
                lowercase=False,
            )
            self._chars = TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(2, 5),
                sublinear_tf=True,
                min_df=2,
                lowercase=False,
            )
            words = self._words.fit_transform(lemma_texts)
            chars = self._chars.fit_transform(plain)
        else:
            assert self._words is not None and self._chars is not None
            words = self._words.transform(lemma_texts)
            chars = self._chars.transform(plain)
        return sp.hstack([words, chars], format="csr"), lemma_texts

    def _raw_features(self, texts: Sequence[str], *, fit: bool = False) -> Any:
        plain = [normalise(t) for t in texts]
        if fit:
            self._raw = TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True)
            return self._raw.fit_transform(plain)
        assert self._raw is not None
        return self._raw.transform(plain)

    def _combine(self, svm_scores: np.ndarray, sgd_scores: np.ndarray | None) -> Any:
        """Standardised scores of both models, mixed by ``second_weight``."""
        a = self.config.second_weight
        if sgd_scores is None or not a or svm_scores.ndim != 2:
            return svm_scores
        return (1 - a) * _standard(svm_scores) + a * _standard(sgd_scores)

    # ----------------------------------------------------------------- training
    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> IntentClassifier:
        """Learn the intents; C and the confidence calibration come from CV."""
        _check_examples(texts, labels)
        y = np.asarray(labels, dtype=object)
        x, lemma_texts = self._features(texts, fit=True)
        self._known = frozenset(w for t in lemma_texts for w in t.split())
        self.labels = tuple(sorted(set(labels)))
        use_sgd = bool(self.config.second_weight) and len(self.labels) > 2
        raw = self._raw_features(texts, fit=True) if use_sgd else None
        folds = min(self.config.folds, min(Counter(labels).values()))
        if folds >= 2:
            self._cross_validate(x, raw, y, lemma_texts, folds)
        else:
            self.chosen_c = self.config.c_grid[len(self.config.c_grid) // 2]
        self._svm = _svm(self.chosen_c or 0.5).fit(x, y)
        self._sgd = _sgd(self.config.seed).fit(raw, y) if raw is not None else None
        self._pairwise = None
        if self._oof is not None and self.uses_pairwise(len(y)):
            self._pairwise = self.fit_second_stage(x, y, self._oof)
        self._oof = None
        return self

    @property
    def pairwise_pairs(self) -> int:
        """How many pair models the second stage holds (0: no second stage)."""
        return 0 if self._pairwise is None else len(self._pairwise.pairs)

    def uses_pairwise(self, examples: int) -> bool:
        """Whether the setting (and, for "auto", the data) asks for stage two."""
        mode = self.config.pairwise
        if mode not in ("auto", "on", "off"):
            raise InvalidInput(
                f"pairwise setting {mode!r}: expected one of auto, on, off"
            )
        if mode != "auto" or len(self.labels) < 3:
            return mode == "on" and len(self.labels) >= 3
        return examples / len(self.labels) >= self.config.pairwise_min_per_class

    def fit_second_stage(
        self, x: sp.csr_matrix, y: np.ndarray, oof: np.ndarray
    ) -> PairwiseStage:
        """Pair models for the pairs confused in the cross-validated scores."""
        cfg = self.config
        index = {label: i for i, label in enumerate(self.labels)}
        truth = np.fromiter((index[v] for v in y), dtype=np.int64, count=len(y))
        pairs = confused_pairs(
            oof,
            truth,
            top=cfg.pairwise_confusion_top,
            min_count=cfg.pairwise_min_count,
        )
        return fit_pairwise(
            x,
            truth,
            pairs,
            len(self.labels),
            c=cfg.pairwise_c,
            top=cfg.pairwise_top,
            weight=cfg.pairwise_weight,
            prune=cfg.pairwise_prune,
        )

    def _cross_validate(
        self,
        x: sp.csr_matrix,
        raw: Any,
        y: np.ndarray,
        lemma_texts: list[str],
        folds: int,
    ) -> None:
        splitter = StratifiedKFold(folds, shuffle=True, random_state=self.config.seed)
        splits = list(splitter.split(np.zeros(len(y)), y))
        best: tuple[float, float, np.ndarray, np.ndarray, np.ndarray] | None = None
        coverage = np.empty(len(y))
        for train, held in splits:
            known = {w for i in train for w in lemma_texts[i].split()}
            coverage[held] = [_coverage(lemma_texts[i], known) for i in held]
        second = [
            None
            if raw is None
            else _sgd(self.config.seed)
            .fit(raw[train], y[train])
            .decision_function(raw[held])
            for train, held in splits
        ]
        for c in self.config.c_grid:
            top = np.empty(len(y))
            margin = np.empty(len(y))
            right = np.zeros(len(y), dtype=bool)
            oof = np.zeros((len(y), len(self.labels)))
            for (train, held), other in zip(splits, second, strict=True):
                svm = _svm(c).fit(x[train], y[train])
                scores = self._combine(svm.decision_function(x[held]), other)
                if scores.ndim == 2:
                    oof[held] = scores
                order = np.argsort(-scores, axis=1)
                rows = np.arange(len(held))
                top[held] = scores[rows, order[:, 0]]
                margin[held] = top[held] - scores[rows, order[:, 1]]
                right[held] = svm.classes_[order[:, 0]] == y[held]
            accuracy = float(right.mean())
            if best is None or accuracy > best[0]:
                signals = np.column_stack([top, margin, coverage])
                best = (accuracy, c, signals, right, oof)
        assert best is not None
        self.cv_accuracy, self.chosen_c, signals, right, oof = best
        # Out-of-fold scores of every class (multi-class only): where the
        # pairwise stage learns which intents get confused.
        self._oof = oof if len(self.labels) > 2 else None
        if right.all() or not right.any():
            self._calibration = None
            return
        self._calibration = LogisticRegression(C=1.0).fit(signals, right)

    # --------------------------------------------------------------- prediction
    def predict(
        self, texts: Sequence[str], languages: Sequence[str] | None = None
    ) -> list[IntentPrediction]:
        """One prediction per text, in order (``languages`` when already known)."""
        if self._svm is None:
            raise InvalidInput("the intent classifier is not trained yet")
        if not texts:
            return []
        x, lemma_texts = self._features(texts, languages=languages)
        # The linear scores directly: sklearn's input validation costs more
        # than the product itself for one message.
        svm = self._svm
        scores = np.atleast_2d(np.asarray(x @ svm.coef_.T) + svm.intercept_)
        if self._sgd is not None:
            sgd = self._sgd
            second = np.asarray(self._raw_features(texts) @ sgd.coef_.T)
            scores = self._combine(scores, second + sgd.intercept_)
        if scores.shape[1] == 1:  # two classes: one signed score
            scores = np.column_stack([-scores[:, 0], scores[:, 0]])
        elif self._pairwise is not None:
            scores = self._pairwise.rerank(x, scores)
        order = np.argsort(-scores, axis=1)
        rows = np.arange(len(texts))
        top = scores[rows, order[:, 0]]
        margin = top - scores[rows, order[:, 1]]
        if self._calibration is not None:
            coverage = [_coverage(t, self._known) for t in lemma_texts]
            signals = np.column_stack([top, margin, coverage])
            cal = self._calibration
            logit = signals @ cal.coef_[0] + cal.intercept_[0]
            sure = 1.0 / (1.0 + np.exp(-logit))
        else:
            sure = 1.0 / (1.0 + np.exp(-4.0 * margin))
        classes = self._svm.classes_
        oos = self.config.out_of_scope_label
        out = []
        for i in rows:
            ranked = [(str(classes[j]), float(scores[i, j])) for j in order[i, :4]]
            label = ranked[0][0]
            declined = label == oos or float(sure[i]) < self.config.min_confidence
            if label == oos and len(ranked) > 1:
                # Keep the best in-scope guess, so an agent can correct it.
                label = ranked[1][0]
            out.append(
                IntentPrediction(
                    label=label,
                    confidence=round(float(sure[i]), 4),
                    out_of_scope=declined,
                    alternatives=tuple((n, round(s, 4)) for n, s in ranked[1:]),
                )
            )
        return out

    def predict_one(self, text: str, language: str | None = None) -> IntentPrediction:
        return self.predict([text], None if language is None else [language])[0]

    # -------------------------------------------------------------- persistence
    def save(self, path: Path) -> None:
        """Write the model atomically (a reader never sees half a file)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        with tmp.open("wb") as fh:
            pickle.dump((_FORMAT, self), fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> IntentClassifier:
        """A model saved by :meth:`save` (only load files Esperia wrote)."""
        with path.open("rb") as fh:
            version, model = pickle.load(fh)
        if version != _FORMAT or not isinstance(model, cls):
            raise InvalidInput(f"{path} is not an intent model of this Esperia")
        return model


def _check_examples(texts: Sequence[str], labels: Sequence[str]) -> None:
    if len(texts) != len(labels):
        raise InvalidInput(
            f"{len(texts)} texts but {len(labels)} labels: give one label per text"
        )
    for row, (text, label) in enumerate(zip(texts, labels, strict=True), start=1):
        if not str(text).strip():
            raise InvalidInput(f"example {row} has an empty text")
        if not str(label).strip():
            raise InvalidInput(f"example {row} has an empty label")
    if len(set(labels)) < 2:
        raise InvalidInput("the examples need at least two different labels")


def _coverage(lemma_text: str, known: set[str] | frozenset[str]) -> float:
    """Share of a message's words (3+ letters) seen in training: unfamiliar
    words are the clearest sign of a question outside the intents."""
    words = [w for w in lemma_text.split() if len(w) > 2]
    if not words:
        return 1.0
    return sum(w in known for w in words) / len(words)


def _standard(scores: np.ndarray) -> np.ndarray:
    """Each row's scores as z-scores, so two models' scales can be mixed."""
    spread = scores.std(axis=1, keepdims=True)
    return (scores - scores.mean(axis=1, keepdims=True)) / np.where(
        spread > 0, spread, 1.0
    )


def _sgd(seed: int) -> SGDClassifier:
    # A differently shaped model on different features: its errors differ
    # from the SVM's, which is what an ensemble needs.
    return SGDClassifier(
        loss="modified_huber", alpha=5e-5, max_iter=30, tol=None, random_state=seed
    )


def _svm(c: float) -> LinearSVC:
    # Balanced class weights: how many examples a company wrote per intent says
    # nothing about how often customers ask for it.
    return LinearSVC(C=c, class_weight="balanced")
