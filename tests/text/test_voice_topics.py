"""Emerging topics find planted themes, deterministically, outside the taxonomy."""

from __future__ import annotations

import random

import pytest
from support.voice import KeywordAnalyzer

from esperia.errors import InvalidInput
from esperia.ingest import import_records
from esperia.text.enrich import enrich_feedback
from esperia.text.topics import emerging_topics, lemma_tokens, stop_words
from esperia.text.voice import VoiceFilters

THEMES = {
    "parcheggio": [
        "Il parcheggio davanti al negozio è sempre pieno",
        "Trovare parcheggio è impossibile, parcheggio a pagamento carissimo",
        "Nessun parcheggio vicino, ho girato mezz'ora",
    ],
    "regalo": [
        "La confezione regalo era splendida, carta regalo elegante",
        "Hanno fatto una confezione regalo con il nastro, bellissima",
        "Confezione regalo gratuita e curata",
    ],
    "libro": [
        "I libri usati sono in ottimo stato",
        "Scaffale dei libri usati fornito, libri usati a metà prezzo",
        "Ho venduto i miei libri usati al banco dell'usato",
    ],
}


@pytest.fixture
def themed(store, settings):
    rng = random.Random(7)
    texts = []
    for _theme, variants in THEMES.items():
        texts += [rng.choice(variants) for _ in range(40)]
    texts += ["Good price, the price is fine"] * 30  # matched by the taxonomy
    rng.shuffle(texts)
    quiet = settings.model_copy(update={"text_enrich_on_import": False})
    rows = [
        {"feedback_id": f"t{i:03d}", "received_at": "2025-05-01T10:00:00",
         "source": "review", "text": text, "language": "it"}
        for i, text in enumerate(texts)
    ]  # fmt: skip
    import_records(store, quiet, "feedback", rows)
    enrich_feedback(store, quiet, KeywordAnalyzer())
    return store


def test_planted_themes_come_out_as_topics(themed, settings):
    result = emerging_topics(themed, settings, topics=3)
    assert result.comments == 120  # the 30 matched comments are left out
    labels = [t.label for t in result.topics]
    assert len(labels) == 3
    found = {theme for theme in THEMES for label in labels if theme in label}
    assert found == set(THEMES), labels
    assert sorted(t.size for t in result.topics) == [40, 40, 40]
    for topic in result.topics:
        assert topic.language == "it"
        assert len(topic.examples) == 3
        theme = next(th for th in THEMES if th in topic.label)
        assert all(theme[:4] in e["text"].lower() for e in topic.examples)


def test_topics_are_deterministic_and_scoped(themed, settings):
    first = emerging_topics(themed, settings, topics=3).to_dict()
    again = emerging_topics(themed, settings, topics=3).to_dict()
    assert first == again
    everything = emerging_topics(themed, settings, topics=4, scope="all")
    assert everything.comments == 150
    assert any("price" in t.label for t in everything.topics)
    none = emerging_topics(themed, settings, VoiceFilters(language="en"))
    assert (none.topics, none.note) == ([], "too_few_comments")
    with pytest.raises(InvalidInput):
        emerging_topics(themed, settings, topics=0)


def test_lemmas_drop_stop_words_and_masks(settings):
    stops = {"it": stop_words("it"), "en": stop_words("en")}
    tokens = lemma_tokens(
        "Scrivetemi a [EMAIL]: i libri usati sono arrivati", "it", stops
    )
    assert "email" not in tokens
    assert "sono" not in tokens and "libro" in tokens
    (settings.workspace / "text").mkdir(parents=True, exist_ok=True)
    (settings.workspace / "text" / "stopwords.it.txt").write_text("# ours\nlibro\n")
    assert "libro" in stop_words("it", settings.workspace)
