"""Text analytics benchmark: quality on real corpora and speed, next to vaderSentiment.

    python benchmarks/run.py text            # or: python benchmarks/text.py

Quality: review polarity macro-F1 (ABSITA 2018 Italian hotel sentences, UCI
English review sentences), aspect precision/recall (our own development sets,
ABSITA's 8 categories mapped to our taxonomy, SemEval 2014 restaurant
categories). Speed: full analysis (language, sentiment, emotions, aspects,
modules, pyramid, PII) against vaderSentiment's polarity_scores on the same
English sentences, and memory growth over many batches. Data come from
../shared/data (never from the repository; tests do not use them).
"""

from __future__ import annotations

import csv
import gc
import resource
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from esperia.text import LexiconAnalyzer  # noqa: E402

SHARED = ROOT.parent.parent / "shared" / "data"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data")
DEVSETS = ROOT / "tests" / "text" / "data"

#: ABSITA category → the taxonomy aspects that count as finding it.
ABSITA_MAP = {
    "cleanliness": {"cleanliness"},
    "comfort": {"room_comfort"},
    "amenities": {"facilities", "food_taste"},
    "staff": {"staff_courtesy", "staff_competence"},
    "value": {"price_value"},
    "wifi": {"connectivity"},
    "location": {"location"},
}
#: SemEval 2014 restaurant category → taxonomy aspects.
SEMEVAL_MAP = {
    "food": {"food_taste"},
    "service": {"staff_courtesy", "staff_competence", "waiting_time"},
    "price": {"price_value"},
    "ambience": {"ambience"},
}


def _log(message: str) -> None:
    print(message, flush=True)


def macro_f1(gold: list[str], pred: list[str]) -> float:
    labels = sorted(set(gold))
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if p == label != g)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label != p)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        scores.append(f1)
    return sum(scores) / len(scores)


def accuracy(gold: list[str], pred: list[str]) -> float:
    return sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)


def uci() -> tuple[list[str], list[str], list[str]]:
    texts, labels, sources = [], [], []
    folder = SHARED / "en_reviews_uci_sentiment_sentences"
    for name in ("amazon_cells_labelled", "yelp_labelled", "imdb_labelled"):
        for line in (folder / f"{name}.txt").read_text(encoding="utf-8").splitlines():
            text, _, label = line.rpartition("\t")
            if label.strip() in ("0", "1"):
                texts.append(text.strip())
                labels.append("positive" if label.strip() == "1" else "negative")
                sources.append(name.split("_")[0])
    return texts, labels, sources


def absita() -> list[dict[str, str]]:
    path = SHARED / "it_reviews_absita2018" / "absita_2018_training.csv"
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def absita_polarity() -> tuple[list[str], list[str]]:
    path = (
        SHARED / "it_reviews_absita2018" / "absita_2018_training_sentence_polarity.csv"
    )
    texts, labels = [], []
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["derived_polarity"] in ("positive", "negative"):
                texts.append(row["sentence"])
                labels.append(row["derived_polarity"])
    return texts, labels


def semeval_restaurants() -> list[tuple[str, set[str]]]:
    path = (
        SHARED / "en_reviews_semeval_absa" / "ABSA-SemEval2014_Restaurants_Train_v2.xml"
    )
    out = []
    for sentence in ET.parse(path).getroot().iter("sentence"):
        text = sentence.findtext("text") or ""
        cats = {
            c.get("category", "")
            for c in sentence.iter("aspectCategory")
            if c.get("category") in SEMEVAL_MAP
        }
        out.append((text, cats))
    return out


def devset(language: str) -> list[dict[str, str]]:
    path = DEVSETS / f"devset_{language}.csv"
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def binary(scores: Iterable[float]) -> list[str]:
    """The same rule for every tool: score ≥ 0 → positive."""
    return ["positive" if s >= 0 else "negative" for s in scores]


def aspect_scores(
    gold: list[set[str]], found: list[set[str]]
) -> dict[str, float | int]:
    tp = sum(len(g & f) for g, f in zip(gold, found, strict=True))
    fp = sum(len(f - g) for g, f in zip(gold, found, strict=True))
    fn = sum(len(g - f) for g, f in zip(gold, found, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(2 * precision * recall / (precision + recall), 3) if tp else 0.0,
        "gold": tp + fn,
        "found": tp + fp,
    }


def _mapped(aspects: Iterable[str], mapping: dict[str, set[str]]) -> set[str]:
    found = set(aspects)
    return {cat for cat, ours in mapping.items() if ours & found}


def quality(analyzer: LexiconAnalyzer, vader: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    texts, gold, sources = uci()
    ours = analyzer.analyze(texts, language="en")
    vs = [vader.polarity_scores(t)["compound"] for t in texts]
    pred_ours = binary(r.sentiment for r in ours)
    pred_vader = binary(vs)
    uci_out: dict[str, Any] = {
        "n": len(texts),
        "esperia": {
            "accuracy": round(accuracy(gold, pred_ours), 3),
            "macro_f1": round(macro_f1(gold, pred_ours), 3),
        },
        "vader": {
            "accuracy": round(accuracy(gold, pred_vader), 3),
            "macro_f1": round(macro_f1(gold, pred_vader), 3),
        },
        "by_source": {},
    }
    for source in ("amazon", "yelp", "imdb"):
        idx = [i for i, s in enumerate(sources) if s == source]
        g = [gold[i] for i in idx]
        uci_out["by_source"][source] = {
            "esperia_macro_f1": round(macro_f1(g, [pred_ours[i] for i in idx]), 3),
            "vader_macro_f1": round(macro_f1(g, [pred_vader[i] for i in idx]), 3),
        }
    out["uci_en"] = uci_out

    texts, gold = absita_polarity()
    ours = analyzer.analyze(texts, language="it")
    auto = analyzer.analyze(texts)
    pred = binary(r.sentiment for r in ours)
    vs = binary(vader.polarity_scores(t)["compound"] for t in texts)
    out["absita_it_polarity"] = {
        "n": len(texts),
        "esperia": {
            "accuracy": round(accuracy(gold, pred), 3),
            "macro_f1": round(macro_f1(gold, pred), 3),
            "neutral_share": round(
                sum(r.polarity == "neutral" for r in ours) / len(ours), 3
            ),
        },
        "vader": {
            "accuracy": round(accuracy(gold, vs), 3),
            "macro_f1": round(macro_f1(gold, vs), 3),
        },
        "language_detected_it": round(
            sum(r.language == "it" for r in auto) / len(auto), 3
        ),
    }

    rows = absita()
    texts = [r["sentence"] for r in rows]
    gold_sets = [
        {cat for cat in ABSITA_MAP if r[f"{cat}_presence"] == "1"} for r in rows
    ]
    found = [
        _mapped((a.aspect for a in r.aspects), ABSITA_MAP)
        for r in analyzer.analyze(texts, language="it")
    ]
    out["absita_it_aspects"] = aspect_scores(gold_sets, found)
    per_cat = {}
    for cat in ABSITA_MAP:
        per_cat[cat] = aspect_scores(
            [g & {cat} for g in gold_sets], [f & {cat} for f in found]
        )
    out["absita_it_aspects"]["by_category"] = per_cat

    sem = semeval_restaurants()
    found = [
        _mapped((a.aspect for a in r.aspects), SEMEVAL_MAP)
        for r in analyzer.analyze([t for t, _ in sem], language="en")
    ]
    out["semeval14_restaurants_aspects"] = aspect_scores([c for _, c in sem], found)

    for language in ("it", "en"):
        rows_dev = devset(language)
        results = analyzer.analyze([r["text"] for r in rows_dev])
        polar = [
            (r["polarity"], res.polarity)
            for r, res in zip(rows_dev, results, strict=True)
        ]
        binary_pairs = [(g, p) for g, p in polar if g != "neutral"]
        gold_aspects = [{a for a in r["aspects"].split(";") if a} for r in rows_dev]
        found_aspects = [{a.aspect for a in res.aspects} for res in results]
        out[f"devset_{language}"] = {
            "n": len(rows_dev),
            "polarity_macro_f1_3class": round(
                macro_f1([g for g, _ in polar], [p for _, p in polar]), 3
            ),
            "polarity_macro_f1_binary": round(
                macro_f1(
                    [g for g, _ in binary_pairs],
                    binary(
                        res.sentiment
                        for r, res in zip(rows_dev, results, strict=True)
                        if r["polarity"] != "neutral"
                    ),
                ),
                3,
            ),
            "language_accuracy": round(
                sum(res.language == language for res in results) / len(results), 3
            ),
            "aspects": aspect_scores(gold_aspects, found_aspects),
        }
    return out


def _rate(fn: Callable[[list[str]], Any], texts: list[str], batch: int) -> float:
    started = time.perf_counter()
    for start in range(0, len(texts), batch):
        fn(texts[start : start + batch])
    return len(texts) / (time.perf_counter() - started)


def _rss_mb() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage / 1024  # Linux reports KiB


def speed(analyzer: LexiconAnalyzer, vader: Any, copies: int) -> dict[str, Any]:
    texts, _, _ = uci()
    en = texts * copies
    analyzer.analyze(texts[:200])  # warm the caches and lingua
    [vader.polarity_scores(t) for t in texts[:200]]
    out: dict[str, Any] = {"texts": len(en)}
    out["vader_texts_per_s"] = round(
        _rate(lambda b: [vader.polarity_scores(t) for t in b], en, 1000)
    )
    out["esperia_auto_texts_per_s"] = round(_rate(analyzer.analyze, en, 1000))
    out["esperia_en_texts_per_s"] = round(
        _rate(lambda b: analyzer.analyze(b, language="en"), en, 1000)
    )
    out["ratio_vs_vader"] = round(
        out["esperia_auto_texts_per_s"] / out["vader_texts_per_s"], 3
    )
    it_texts, _ = absita_polarity()
    out["esperia_it_auto_texts_per_s"] = round(
        _rate(analyzer.analyze, it_texts * max(1, copies // 2), 1000)
    )
    # memory: many more texts through the same analyser must not grow the process
    gc.collect()
    before = _rss_mb()
    for _ in range(3):
        for start in range(0, len(en), 1000):
            analyzer.analyze(en[start : start + 1000])
    gc.collect()
    out["max_rss_mb_before"] = round(before, 1)
    out["max_rss_mb_after_3x_more"] = round(_rss_mb(), 1)
    return out


def run(copies: int = 10) -> dict[str, Any]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    started = time.perf_counter()
    analyzer = LexiconAnalyzer(("it", "en"))
    load = time.perf_counter() - started
    payload: dict[str, Any] = {
        "analyzer": analyzer.name,
        "load_seconds": round(load, 3),
    }
    payload["quality"] = quality(analyzer, vader)
    payload["speed"] = speed(analyzer, vader, copies)
    report(payload)
    return payload


def report(payload: dict[str, Any]) -> None:
    q, s = payload["quality"], payload["speed"]
    u, a = q["uci_en"], q["absita_it_polarity"]
    _log("\n### Review polarity (binary, score ≥ 0 → positive, same rule for both)")
    _log(
        "| corpus | n | Esperia macro-F1 | Esperia acc. | vader macro-F1 | vader acc. |"
    )
    _log("|---|---:|---:|---:|---:|---:|")
    _log(
        f"| UCI EN (Amazon+Yelp+IMDb) | {u['n']} | {u['esperia']['macro_f1']} | "
        f"{u['esperia']['accuracy']} | {u['vader']['macro_f1']} | "
        f"{u['vader']['accuracy']} |"
    )
    for source, row in u["by_source"].items():
        _log(
            f"| UCI EN {source} | 1000 | {row['esperia_macro_f1']} | | "
            f"{row['vader_macro_f1']} | |"
        )
    _log(
        f"| ABSITA IT | {a['n']} | {a['esperia']['macro_f1']} | "
        f"{a['esperia']['accuracy']} | {a['vader']['macro_f1']} | "
        f"{a['vader']['accuracy']} |"
    )
    for lang in ("it", "en"):
        d = q[f"devset_{lang}"]
        _log(
            f"| own dev set {lang} | {d['n']} | {d['polarity_macro_f1_binary']} "
            f"(3-class {d['polarity_macro_f1_3class']}) | | | |"
        )
    _log("\n### Aspects (sentence level, micro precision / recall)")
    _log("| set | precision | recall | F1 | gold | found |")
    _log("|---|---:|---:|---:|---:|---:|")
    rows = [
        ("ABSITA IT (7 categories mapped)", q["absita_it_aspects"]),
        (
            "SemEval 2014 restaurants EN (4 categories)",
            q["semeval14_restaurants_aspects"],
        ),
        ("own dev set it", q["devset_it"]["aspects"]),
        ("own dev set en", q["devset_en"]["aspects"]),
    ]
    for name, r in rows:
        _log(
            f"| {name} | {r['precision']} | {r['recall']} | {r['f1']} | "
            f"{r['gold']} | {r['found']} |"
        )
    _log("\n### Speed (texts/s, one process)")
    _log(
        f"vader {s['vader_texts_per_s']:,} · Esperia full analysis "
        f"{s['esperia_auto_texts_per_s']:,} (language detected), "
        f"{s['esperia_en_texts_per_s']:,} (language given) · ratio "
        f"{s['ratio_vs_vader']} · Italian ABSITA {s['esperia_it_auto_texts_per_s']:,}"
    )
    _log(
        f"max RSS {s['max_rss_mb_before']} MB → {s['max_rss_mb_after_3x_more']} MB "
        f"after 3x more texts ({s['texts']:,} per pass)"
    )


if __name__ == "__main__":
    import json

    result = run()
    print(json.dumps(result, indent=2))
