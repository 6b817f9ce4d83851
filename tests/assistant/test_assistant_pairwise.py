"""The pairwise second stage: which pairs it learns, how it re-ranks, and when
the setting turns it on."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

from esperia.assistant import IntentClassifier
from esperia.assistant.intents import IntentConfig
from esperia.assistant.pairwise import PairwiseStage, confused_pairs, fit_pairwise
from esperia.assistant.service import builtin_examples
from esperia.errors import InvalidInput


def test_confused_pairs_come_from_the_cross_validated_ranking() -> None:
    # Rows: examples; columns: classes 0..3. Class 0's examples put class 2
    # second twice; class 1's puts class 3 second, class 3's puts class 0.
    scores = np.array(
        [
            [3.0, 0.0, 2.0, -1.0],
            [3.0, 0.0, 2.5, -1.0],
            [0.0, 3.0, -1.0, 2.0],
            [0.5, -1.0, -1.0, 3.0],
        ]
    )
    truth = np.array([0, 0, 1, 3])
    top2 = confused_pairs(scores, truth, top=2)
    assert top2.tolist() == [[0, 2], [0, 3], [1, 3]]
    assert confused_pairs(scores, truth, top=2, min_count=2).tolist() == [[0, 2]]


def _stage(weight: float) -> PairwiseStage:
    # One pair model (classes 0 and 1) that reads feature 0 as "class 1".
    coef = sp.csr_matrix(np.array([[2.0, 0.0]]))
    return PairwiseStage(
        pairs=np.array([[0, 1]]),
        coef=coef,
        intercept=np.array([-0.5]),
        n_classes=3,
        top=2,
        weight=weight,
    )


def test_a_pair_model_overturns_a_close_first_stage_call() -> None:
    first = np.array([[1.0, 0.9, -1.9], [1.0, 0.9, -1.9]])
    x = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0]]))
    out = _stage(weight=0.5).rerank(x, first)
    # Row 0: the pair model says class 1 (margin +1.5, clipped to 1), which
    # outweighs the first stage's small lead; the score values are kept.
    assert out[0].argmax() == 1
    assert sorted(out[0]) == sorted(first[0])
    # Row 1: the pair model agrees with the first stage (margin -0.5).
    assert out[1].argmax() == 0
    # A heavy first-stage weight keeps the first stage's call.
    assert _stage(weight=50.0).rerank(x, first)[0].argmax() == 0


def test_fitted_pair_models_separate_their_two_intents() -> None:
    rng = np.random.default_rng(0)
    # Two intents share features 0-1 and differ on feature 2; a third is apart.
    n = 30
    a = np.column_stack([np.ones(n), rng.random(n), np.zeros(n), np.zeros(n)])
    b = np.column_stack([np.ones(n), rng.random(n), np.ones(n), np.zeros(n)])
    c = np.column_stack([np.zeros(n), rng.random(n), np.zeros(n), np.ones(n)])
    x = sp.csr_matrix(np.vstack([a, b, c]))
    truth = np.repeat([0, 1, 2], n)
    stage = fit_pairwise(x, truth, np.array([[0, 1]]), 3, c=1.0)
    margins = (x @ stage.coef.T).toarray()[:, 0] + stage.intercept[0]
    assert (margins[truth == 0] < 0).all() and (margins[truth == 1] > 0).all()
    # The coefficients live only on columns the two intents use.
    assert stage.coef.toarray()[0, 3] == 0.0


def _synthetic(seed: int, per_intent: int) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    shared = ["card", "new", "post", "mail", "arrive", "waiting"]
    vocab = {
        "card_late": [*shared, "still", "yet", "never"],
        "card_when": [*shared, "expect", "estimate", "usually"],
        "transfer": ["transfer", "money", "send", "account", "bank"],
        "top_up": ["top", "up", "money", "add", "balance"],
        "pin": ["pin", "change", "code", "reset", "forgot"],
    }
    texts, labels = [], []
    for label, words in vocab.items():
        for _ in range(per_intent):
            picked = rng.choice(words, size=4, replace=False)
            texts.append("my " + " ".join(picked))
            labels.append(label)
    return texts, labels


def test_setting_auto_uses_the_stage_only_on_large_sets() -> None:
    big = _synthetic(1, 45)
    auto = IntentClassifier(IntentConfig(language="en")).fit(*big)
    assert auto.pairwise_pairs > 0  # 45 examples per intent ≥ 40
    pairs = {
        tuple(sorted((auto.labels[a], auto.labels[b])))
        for a, b in auto._pairwise.pairs  # type: ignore[union-attr]
    }
    assert ("card_late", "card_when") in pairs
    off = IntentClassifier(IntentConfig(language="en", pairwise="off")).fit(*big)
    assert off.pairwise_pairs == 0
    # The bookshop's shipped examples average ~18 per intent: auto leaves it off,
    # "on" forces it.
    shop = builtin_examples()
    assert IntentClassifier().fit(*shop).pairwise_pairs == 0
    forced = IntentClassifier(IntentConfig(pairwise="on")).fit(*shop)
    assert forced.pairwise_pairs > 0
    label = forced.predict_one("dov'è il mio ordine?").label
    assert label == "order_status"


def test_an_unknown_setting_is_refused() -> None:
    config = replace(IntentConfig(), pairwise="sometimes")
    with pytest.raises(InvalidInput, match="sometimes"):
        IntentClassifier(config).fit(*_synthetic(2, 10))
