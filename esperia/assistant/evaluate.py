"""Evaluate the intent classifier on a company's own labelled examples."""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from esperia.assistant.intents import IntentClassifier, IntentConfig
from esperia.errors import InvalidInput

__all__ = ["IntentReport", "evaluate_intents", "read_examples", "score_predictions"]

#: What a prediction of "out of scope" is called in the metrics.
OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class IntentReport:
    """Quality of one train/test run; out-of-scope figures are None without any."""

    train_examples: int
    test_examples: int
    intents: int
    accuracy: float
    macro_f1: float
    in_scope_accuracy: float
    out_of_scope_precision: float | None
    out_of_scope_recall: float | None
    chosen_c: float | None
    cv_accuracy: float | None
    fit_seconds: float
    predict_ms_per_message: float
    #: Pair models in the pairwise second stage (0 when it is off).
    pairwise_pairs: int = 0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def read_examples(
    path: Path | str, text_column: str = "text", label_column: str = "label"
) -> tuple[list[str], list[str]]:
    """Texts and labels from a CSV file with a header row."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        for column in (text_column, label_column):
            if column not in header:
                raise InvalidInput(
                    f"{path}: no column {column!r}; the header has "
                    f"{', '.join(header) or 'no columns'}"
                )
        texts, labels = [], []
        for line, row in enumerate(reader, start=2):
            text = (row.get(text_column) or "").strip()
            label = (row.get(label_column) or "").strip()
            if not text or not label:
                empty = text_column if not text else label_column
                raise InvalidInput(f"{path}, line {line}: empty {empty}")
            texts.append(text)
            labels.append(label)
    if not texts:
        raise InvalidInput(f"{path}: no examples")
    return texts, labels


def score_predictions(
    truth: Sequence[str], predicted: Sequence[str], oos_label: str | None
) -> dict[str, float | None]:
    """Accuracy, macro-F1 and out-of-scope precision/recall of final decisions.

    ``predicted`` already says ``oos_label`` where the classifier declined.
    """
    t = np.asarray(truth, dtype=object)
    p = np.asarray(predicted, dtype=object)
    result: dict[str, float | None] = {
        "accuracy": float((t == p).mean()),
        "macro_f1": float(f1_score(t, p, average="macro", zero_division=0)),
    }
    in_scope = t != oos_label if oos_label else np.ones(len(t), dtype=bool)
    result["in_scope_accuracy"] = (
        float((t[in_scope] == p[in_scope]).mean()) if in_scope.any() else None
    )
    if oos_label and (~in_scope).any():
        said = p == oos_label
        hit = said & ~in_scope
        result["out_of_scope_precision"] = (
            float(hit.sum() / said.sum()) if said.any() else 0.0
        )
        result["out_of_scope_recall"] = float(hit.sum() / (~in_scope).sum())
    else:
        result["out_of_scope_precision"] = None
        result["out_of_scope_recall"] = None
    return result


def evaluate_intents(
    train: tuple[Sequence[str], Sequence[str]],
    test: tuple[Sequence[str], Sequence[str]],
    *,
    out_of_scope_label: str | None = None,
    config: IntentConfig | None = None,
) -> IntentReport:
    """Train on ``train``, measure on ``test``.

    Without an out-of-scope label every test message must get an intent, so the
    confidence threshold is off; with one, a low-confidence answer counts as
    "out of scope" like the label itself.
    """
    base = config or IntentConfig()
    if out_of_scope_label is None:
        cfg = IntentConfig(**{**asdict(base), "min_confidence": 0.0})
        cfg = IntentConfig(**{**asdict(cfg), "out_of_scope_label": "\0none"})
    else:
        cfg = IntentConfig(**{**asdict(base), "out_of_scope_label": out_of_scope_label})
    started = time.perf_counter()
    model = IntentClassifier(cfg).fit(train[0], train[1])
    fitted = time.perf_counter()
    predictions = model.predict(test[0])
    elapsed = time.perf_counter() - fitted
    oos = out_of_scope_label or OUT_OF_SCOPE
    decided = [oos if p.out_of_scope else p.label for p in predictions]
    scores = score_predictions(test[1], decided, out_of_scope_label)
    return IntentReport(
        train_examples=len(train[0]),
        test_examples=len(test[0]),
        intents=len(set(train[1]) - {out_of_scope_label}),
        accuracy=round(float(scores["accuracy"] or 0.0), 4),
        macro_f1=round(float(scores["macro_f1"] or 0.0), 4),
        in_scope_accuracy=round(float(scores["in_scope_accuracy"] or 0.0), 4),
        out_of_scope_precision=_round(scores["out_of_scope_precision"]),
        out_of_scope_recall=_round(scores["out_of_scope_recall"]),
        chosen_c=model.chosen_c,
        cv_accuracy=_round(model.cv_accuracy),
        fit_seconds=round(fitted - started, 2),
        predict_ms_per_message=round(1000 * elapsed / max(len(test[0]), 1), 3),
        pairwise_pairs=model.pairwise_pairs,
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
