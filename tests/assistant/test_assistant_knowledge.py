"""Importing documents into entries, retrieval quality, and safe updates."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from esperia.assistant import KnowledgeBase, load_entries
from esperia.assistant.knowledge import Entry, KnowledgeHolder
from esperia.assistant.language import detect_language
from esperia.assistant.service import DATA, builtin_entries
from esperia.errors import InvalidInput


def test_markdown_html_csv_and_folder(tmp_path: Path) -> None:
    (tmp_path / "faq.md").write_text(
        "# Title\n\n## Orari del negozio {#orari}\nAperti dalle 9 alle 19.\n\n"
        "## Empty heading\n\n## Parcheggio\nNon abbiamo parcheggi.\n",
        "utf-8",
    )
    (tmp_path / "page.html").write_text(
        "<html lang='en'><body><nav>menu</nav><h2 id='wrap'>Gift wrapping</h2>"
        "<p>Free in every shop.</p><script>x()</script></body></html>",
        "utf-8",
    )
    (tmp_path / "qa.csv").write_text(
        'question,answer,language\nDo you sell maps?,"Yes, travel maps.",en\n', "utf-8"
    )
    entries = {e.entry_id: e for e in load_entries(tmp_path)}
    assert set(entries) == {"orari", "faq-parcheggio", "wrap", "qa-do-you-sell-maps"}
    assert entries["orari"].language == "it"
    assert entries["wrap"].answer == "Free in every shop."
    assert entries["qa-do-you-sell-maps"].answer == "Yes, travel maps."
    assert entries["wrap"].language == "en"
    assert entries["qa-do-you-sell-maps"].source == "qa.csv:2"


def test_import_errors_say_where(tmp_path: Path) -> None:
    bad = tmp_path / "qa.csv"
    bad.write_text("q,a\nx,y\n", "utf-8")
    with pytest.raises(InvalidInput, match="question and answer"):
        load_entries(bad)
    dup = tmp_path / "dup.md"
    dup.write_text("## A {#same}\ntext\n## B {#same}\nmore\n", "utf-8")
    with pytest.raises(InvalidInput, match="appears twice"):
        load_entries(dup)
    with pytest.raises(InvalidInput, match="no such file"):
        load_entries(tmp_path / "missing.md")


def test_demo_knowledge_base_size_and_languages() -> None:
    entries = builtin_entries()
    assert sum(e.language == "it" for e in entries) >= 30
    assert sum(e.language == "en" for e in entries) >= 30


@pytest.mark.parametrize(
    ("split", "floor"),
    [("dev", 0.94), ("test", 0.93), ("heldout", 0.86), ("blind", 0.875)],
)
def test_paraphrased_questions_find_their_entry(split: str, floor: float) -> None:
    base = KnowledgeBase(builtin_entries())
    with (DATA / f"knowledge_{split}.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 70
    first = 0
    in_top3 = 0
    for row in rows:
        language = detect_language(row["question"])
        hits = base.search(row["question"], language)
        ids = [h.entry.entry_id for h in hits]
        first += bool(ids) and ids[0] == row["entry_id"]
        in_top3 += row["entry_id"] in ids
        # Answers come in the language of the question.
        assert all(h.entry.language == language for h in hits)
    # Measured (round 4) 0.98 (dev), 0.96 (round-2 test), 0.89 (round-3
    # held-out) first; top 3 1.0 on dev and test; see docs/benchmarks.md.
    # The blind set (written from the answers only, measured once) scored
    # 0.905 first and 1.0 top 3; its floor is that figure minus 0.03.
    assert first / len(rows) >= floor
    assert in_top3 / len(rows) >= (0.85 if split == "heldout" else 0.97)


def test_blind_set_asks_about_every_entry_once() -> None:
    with (DATA / "knowledge_blind.csv").open(encoding="utf-8") as fh:
        ids = [row["entry_id"] for row in csv.DictReader(fh)]
    assert sorted(ids) == sorted(e.entry_id for e in builtin_entries())


def test_alternative_questions_from_markdown_and_csv(tmp_path: Path) -> None:
    (tmp_path / "faq.md").write_text(
        "<!-- lang: en -->\n## Do you gift wrap? {#wrap}\n"
        "questions: can you pack a present | wrapping paper\nYes, for free.\n",
        encoding="utf-8",
    )
    (tmp_path / "faq.csv").write_text(
        "id,question,answer,language,questions\n"
        "card,How does the card work?,Points on every book.,en,loyalty scheme\n",
        encoding="utf-8",
    )
    entries = {e.entry_id: e for e in load_entries(tmp_path)}
    assert entries["wrap"].questions == ("can you pack a present", "wrapping paper")
    assert entries["wrap"].answer == "Yes, for free."
    assert entries["card"].questions == ("loyalty scheme",)
    base = KnowledgeBase(list(entries.values()))
    # Only the alternative phrasing shares a word with these questions.
    assert base.search("could you pack it?", "en")[0].entry.entry_id == "wrap"
    assert base.search("a loyalty scheme?", "en")[0].entry.entry_id == "card"
    saved = tmp_path / "kb.json"
    base.save(saved)
    reloaded = KnowledgeBase.load(saved)
    assert reloaded.by_id["wrap"].questions == entries["wrap"].questions


def test_holder_swaps_to_a_new_file_without_restart(tmp_path: Path) -> None:
    path = tmp_path / "knowledge.json"
    holder = KnowledgeHolder(path, builtin_entries())
    assert len(holder.current()) == len(builtin_entries())
    source = tmp_path / "new.md"
    source.write_text("## Orari {#orari}\nSempre aperti.\n", "utf-8")
    KnowledgeBase(load_entries(source)).save(path)  # as another process would
    os.utime(path, ns=(1, 10**18))  # a stamp the holder has not seen
    holder._checked = 0.0  # skip the one-second wait between file checks
    current = holder.current()
    assert [e.entry_id for e in current.entries] == ["orari"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_stems_join_derivations_the_lemmatiser_keeps_apart() -> None:
    from esperia.assistant.knowledge.bm25 import BM25Index, stems

    assert stems(["restituzione", "restituire", "reso"]) == ["resti", "resti", "reso"]
    index = BM25Index.from_terms([stems(["prenotare", "evento"]), stems(["orario"])])
    scores = index.term_scores(stems(["prenotazione"]))
    assert scores[0] > 0 and scores[1] == 0


def test_one_close_alternative_question_wins_over_pooled_words() -> None:
    entries = [
        Entry(
            "a",
            "Spedizioni",
            "Spediamo in 48 ore.",
            "it",
            "t",
            ("tempi di consegna del corriere",),
        ),
        Entry(
            "b",
            "Corriere e ritiro",
            "Il corriere passa, il ritiro è in negozio.",
            "it",
            "t",
            ("consegna in negozio", "corriere espresso"),
        ),
    ]
    base = KnowledgeBase(entries)
    assert base.search("tempi di consegna", "it")[0].entry.entry_id == "a"


def test_synonym_phrases_and_attached_pronouns() -> None:
    from esperia.assistant.knowledge.synonyms import expand
    from esperia.assistant.language import lemmas

    # A phrase wins over its words: "send back" is a return, not shipping,
    # even with a word between.
    sent_back = expand(["send", "book", "back"], "en")
    assert "return" in sent_back and "ship" not in sent_back
    assert "ship" in expand(["send", "book"], "en")
    assert "rimborso" in expand(["soldo", "indietro"], "it")
    assert expand(["libro"], "fr") == ["libro"]
    # Italian infinitives with one or two pronouns attached.
    assert lemmas("ordinarmelo farmi darlo", "it") == ["ordinare", "fare", "dare"]
    assert lemmas("mille stelle", "it") == ["mille", "stella"]


@pytest.mark.parametrize(
    ("question", "language", "entry_id"),
    [
        ("how do I send the book back?", "en", "en-returns"),
        ("voglio i soldi indietro per il reso", "it", "it-rimborso"),
        ("potete ordinarmelo se non lo avete?", "it", "it-ordine-speciale"),
    ],
)
def test_everyday_wording_reaches_the_entry(
    question: str, language: str, entry_id: str
) -> None:
    hits = KnowledgeBase(builtin_entries()).search(question, language)
    assert hits and hits[0].entry.entry_id == entry_id
