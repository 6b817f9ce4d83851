"""The intent classifier on the shipped bookshop examples and a held-out set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from esperia.assistant import IntentClassifier, evaluate_intents, read_examples
from esperia.assistant.service import DATA
from esperia.cli import commands  # noqa: F401 - registers the commands
from esperia.cli.app import app
from esperia.errors import InvalidInput


def test_held_out_bookshop_messages_in_both_languages() -> None:
    report = evaluate_intents(
        read_examples(DATA / "intents.csv"),
        read_examples(DATA / "intents_eval.csv"),
        out_of_scope_label="out_of_scope",
    )
    assert report.intents == 12
    assert report.in_scope_accuracy >= 0.85
    assert report.accuracy >= 0.8
    assert report.out_of_scope_precision is not None
    assert report.out_of_scope_precision >= 0.8
    assert report.out_of_scope_recall is not None
    assert report.out_of_scope_recall >= 0.5


def test_prediction_carries_confidence_and_declines(intent_model_file: Path) -> None:
    model = IntentClassifier.load(intent_model_file)
    sure, odd = model.predict(["dov'è il mio ordine?", "tell me a joke please"])
    assert sure.intent == "order_status" and sure.confidence > 0.7
    assert odd.out_of_scope and odd.intent is None
    assert odd.label != "out_of_scope"  # the best in-scope guess, for review


def test_bad_examples_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="two different labels"):
        IntentClassifier().fit(["a", "b"], ["x", "x"])
    with pytest.raises(InvalidInput, match="example 2 has an empty text"):
        IntentClassifier().fit(["a", " "], ["x", "y"])
    bad = tmp_path / "bad.csv"
    bad.write_text("utterance,intent\nhello,greet\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="no column 'text'"):
        read_examples(bad)


def test_cli_eval_prints_the_metrics(tmp_path: Path) -> None:
    train = tmp_path / "train.csv"
    test = tmp_path / "test.csv"
    rows = [("open the door", "door"), ("close the door", "door"),
            ("shut the door now", "door"), ("turn on the light", "light"),
            ("switch the light off", "light"), ("lights on please", "light"),
            ("what's for dinner", "oos"), ("sing a song", "oos"),
            ("who are you", "oos")]  # fmt: skip
    train.write_text(
        "utterance,intent\n" + "".join(f"{t},{lab}\n" for t, lab in rows), "utf-8"
    )
    test.write_text(
        "utterance,intent\nplease open the door,door\nlight off,light\n"
        "tell me a story,oos\n",
        "utf-8",
    )
    result = CliRunner().invoke(
        app,
        ["assistant", "intents", "eval", "--train", str(train), "--test", str(test),
         "--text-column", "utterance", "--label-column", "intent",
         "--out-of-scope-label", "oos", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["test_examples"] == 3
    for key in (
        "accuracy",
        "macro_f1",
        "out_of_scope_precision",
        "out_of_scope_recall",
    ):
        assert 0.0 <= data[key] <= 1.0
    assert data["intents"] == 2
