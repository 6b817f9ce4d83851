"""The lexicon analyser: rules, robustness, language, redaction, overrides."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from esperia.config import load_settings
from esperia.text import LexiconAnalyzer, get_analyzer, redact
from esperia.text.model import Analyzer

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def analyzer() -> LexiconAnalyzer:
    return LexiconAnalyzer(("it", "en"))


def one(analyzer: LexiconAnalyzer, text: str, language: str | None = None):
    return analyzer.analyze([text], language=language)[0]


def test_follows_the_protocol(analyzer: LexiconAnalyzer) -> None:
    assert isinstance(analyzer, Analyzer)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Non è male.", "positive"),
        ("Not bad at all.", "positive"),
        ("La camera non era affatto pulita.", "negative"),
        ("The room was not clean.", "negative"),
        ("Buon cibo, ma il servizio era pessimo.", "negative"),
        ("The food was average but the staff were wonderful.", "positive"),
        ("Anche se un po' caro, è un ristorante fantastico.", "positive"),
        ("Nessun problema, tutto perfetto.", "positive"),
        ("Complimenti per la puntualità, come no.", "negative"),
        ("Ottimo servizio 🙄", "negative"),
        ("Il personale potrebbe essere più gentile.", "negative"),
        ("The clerk was unhelpful and dishonest.", "negative"),
        ("A flawless, painless checkout.", "positive"),
        ("All in all, a great disappointment.", "negative"),
        ("Una grande delusione.", "negative"),
        ("Can't say enough good things about this shop.", "positive"),
        ("You can't beat the price.", "positive"),
        ("The service leaves a lot to be desired.", "negative"),
        ("Spend your money elsewhere.", "negative"),
        ("They went above and beyond what we expected.", "positive"),
    ],
)
def test_rules(analyzer: LexiconAnalyzer, text: str, expected: str) -> None:
    assert one(analyzer, text).polarity == expected


def test_intensifiers_and_emphasis_scale(analyzer: LexiconAnalyzer) -> None:
    plain = one(analyzer, "Il personale è gentile.").sentiment
    strong = one(analyzer, "Il personale è molto gentile!!!").sentiment
    weak = one(analyzer, "Il personale è un po' gentile.").sentiment
    assert weak < plain < strong
    shouted = one(analyzer, "The staff were RUDE").sentiment
    assert shouted < one(analyzer, "The staff were rude").sentiment < 0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "😡😡😡",
        "👍👍",
        "<p>Ottimo <b>servizio</b>&nbsp;!</p>",
        "perchÃ© non Ã¨ male",
        "\x00\x01 ??? !!!",
        "12345",
        "GRAZIE MILLE SIETE TOP",
    ],
)
def test_robust_inputs_never_crash(analyzer: LexiconAnalyzer, text: str) -> None:
    result = one(analyzer, text)
    assert -1.0 <= result.sentiment <= 1.0
    assert result.polarity in ("negative", "neutral", "positive")


def test_robust_labels(analyzer: LexiconAnalyzer) -> None:
    assert one(analyzer, "").polarity == "neutral"
    assert one(analyzer, "   ").language == "unknown"
    assert one(analyzer, "😡😡😡").polarity == "negative"
    assert "anger" in one(analyzer, "😡😡😡").emotions
    html = one(analyzer, "<div><p>Servizio <b>ottimo</b></p><script>x()</script></div>")
    assert html.polarity == "positive" and "<" not in html.text_redacted
    broken = one(analyzer, "perchÃ© il personale Ã¨ scortese")
    assert broken.polarity == "negative" and "è" in broken.text_redacted
    assert one(analyzer, "VERGOGNA, SERVIZIO PESSIMO!!!").polarity == "negative"


def test_long_text_is_analysed(analyzer: LexiconAnalyzer) -> None:
    text = ("La camera era pulita e il personale gentile. " * 2500)[:100_000]
    result = one(analyzer, text)
    assert result.polarity == "positive" and result.sentences > 1000


def test_languages_detected(analyzer: LexiconAnalyzer) -> None:
    texts = [
        "Il personale è stato molto gentile e la camera era pulita.",
        "The staff were very friendly and the room was clean.",
        "ok",
        "Il servizio era buono but the food was terrible and the staff were rude",
    ]
    langs = [r.language for r in analyzer.analyze(texts)]
    assert langs[:3] == ["it", "en", "unknown"]
    assert langs[3] in ("unknown", "it", "en")
    mixed = analyzer.analyze(texts[3:])[0]
    assert mixed.polarity == "negative"


def test_aspects_carry_their_clause_sentiment(analyzer: LexiconAnalyzer) -> None:
    result = one(analyzer, "Camera pulitissima, ma il personale era scortese.")
    by_aspect = {a.aspect: a for a in result.aspects}
    assert by_aspect["cleanliness"].polarity == "positive"
    assert by_aspect["staff_courtesy"].polarity == "negative"
    assert by_aspect["staff_courtesy"].pyramid_level == "enjoyment"
    assert result.pyramid_level == "needs"
    assert "feel" in by_aspect["staff_courtesy"].modules


def test_module_cues(analyzer: LexiconAnalyzer) -> None:
    assert "act" in one(analyzer, "Ci torno sempre, ogni settimana.").modules
    assert "sense" in one(analyzer, "Che profumo di pane appena sfornato!").modules
    assert "relate" in one(analyzer, "Una comunità di amici, come a casa.").modules
    assert "think" in one(analyzer, "I learned something interesting.").modules


def test_redaction() -> None:
    text = (
        "Mario, mario.rossi@example.com, tel. +39 333 123 4567, IBAN "
        "IT60 X054 2811 1010 0000 0123 456, CF RSSMRA85T10A562S, carta "
        "4539 1488 0343 6467, abito in via Giuseppe Verdi 12; "
        "ordine 1234 5678 9012 3456"
    )
    out = redact(text)
    for secret in ("mario.rossi", "333 123", "IT60", "RSSMRA", "4539", "Verdi 12"):
        assert secret not in out
    for mark in ("[EMAIL]", "[PHONE]", "[IBAN]", "[CODICE_FISCALE]", "[CARD]"):
        assert mark in out
    assert "[ADDRESS]" in out
    assert "1234 5678 9012 3456" in out  # fails Luhn: an order number, kept
    assert redact("Camera 215, 3 notti, 120 euro") == "Camera 215, 3 notti, 120 euro"
    assert redact("call 020 7946 0958 or write to 221B Baker Street") == (
        "call [PHONE] or write to [ADDRESS]"
    )


def test_workspace_lexicon_overrides(tmp_path: Path) -> None:
    folder = tmp_path / "text" / "it"
    folder.mkdir(parents=True)
    (folder / "sentiment.yaml").write_text("sbrilluccicoso: 2.5\nottimo: -1\n")
    (folder / "aspects.yaml").write_text("cleanliness: [sbrilluccicos*]\n")
    analyzer = get_analyzer(load_settings(tmp_path))
    result = one(analyzer, "Il pavimento era sbrilluccicoso.", "it")
    assert result.polarity == "positive"
    assert [a.aspect for a in result.aspects] == ["cleanliness"]
    assert one(analyzer, "ottimo", "it").polarity == "negative"


def test_unknown_language_is_refused(analyzer: LexiconAnalyzer) -> None:
    with pytest.raises(ValueError, match="not configured"):
        analyzer.analyze(["hola"], language="es")


def _devset(language: str) -> list[dict[str, str]]:
    with (DATA / f"devset_{language}.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("language", ["it", "en"])
def test_quality_floors_on_own_devsets(
    analyzer: LexiconAnalyzer, language: str
) -> None:
    rows = _devset(language)
    assert len(rows) >= 100
    results = analyzer.analyze([r["text"] for r in rows])
    polar = [
        (r["polarity"], res.sentiment)
        for r, res in zip(rows, results, strict=True)
        if r["polarity"] != "neutral"
    ]
    correct = sum((s >= 0) == (g == "positive") for g, s in polar)
    assert correct / len(polar) >= 0.80
    tp = fp = fn = 0
    for row, res in zip(rows, results, strict=True):
        gold = {a for a in row["aspects"].split(";") if a}
        found = {a.aspect for a in res.aspects}
        tp, fp, fn = (
            tp + len(gold & found),
            fp + len(found - gold),
            fn + len(gold - found),
        )
    assert tp / (tp + fp) >= 0.70  # precision
    assert tp / (tp + fn) >= 0.80  # recall
    assert sum(res.language == language for res in results) / len(results) >= 0.95
