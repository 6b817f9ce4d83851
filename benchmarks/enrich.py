"""Enrichment throughput: the demo workspace's comments, analysed and stored.

The demo simulator (20,000 customers, seed 42: about 58,000 feedback rows, 35,000
with text) is loaded into a fresh store per engine with enrichment on import
off, then timed side by side:

* ``esperia``: ``enrich_feedback`` — what ``esperia text enrich`` and the demo
  build run: batches read by keyset, the full analysis, four result tables
  written per batch with Arrow → temp table → ``INSERT … SELECT`` and the
  redacted text written back, one transaction per batch.
* ``analysis only``: the same analyzer on the same texts, nothing stored: the
  share of the time the engine itself takes.
* ``row by row``: the same analyzer, results stored with ``executemany``
  INSERTs, one row at a time, as a script without bulk paths would (on a
  sample, extrapolated as texts per second).
* ``vaderSentiment``: what a user would otherwise run for sentiment alone
  (English lexicon, scores only: no language, aspects, emotions or redaction).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["enrich_table", "run_enrich_benchmarks"]

Log = Callable[[str], None]


def _load(settings: Any, store: Any, customers: int, seed: int) -> int:
    from esperia.demo.simulator import simulate
    from esperia.ingest import ImportOptions, import_arrow

    data = simulate(customers, seed)
    quiet = settings.model_copy(update={"text_enrich_on_import": False})
    for kind in ("customers", "touchpoints", "feedback"):
        import_arrow(
            store, quiet, kind, data.tables[kind], source="bench",
            options=ImportOptions(unknown_references="keep"),
        )  # fmt: skip
    with store.connect() as conn:
        texts = int(
            conn.scalar(
                "SELECT count(*) FROM feedback WHERE text IS NOT NULL "
                "AND length(trim(text)) > 0"
            )
        )
    return texts


def _texts(store: Any, limit: int | None = None) -> list[tuple[str, str]]:
    sql = (
        "SELECT feedback_id, text FROM feedback WHERE text IS NOT NULL "
        "AND length(trim(text)) > 0 ORDER BY feedback_id"
    )
    with store.connect() as conn:
        rows = conn.fetchall(sql + (f" LIMIT {int(limit)}" if limit else ""))
    return [(str(a), str(b)) for a, b in rows]


def _row_by_row(store: Any, analyzer: Any, sample: int) -> float:
    """Analyse ``sample`` texts and insert every result row with executemany."""
    from esperia.text.enrich import results_tables

    rows = _texts(store, sample)
    started = time.perf_counter()
    results = analyzer.analyze([t for _, t in rows])
    tables = results_tables([i for i, _ in rows], results)
    with store.connect() as conn, conn.transaction():
        for name, table in tables.items():
            if name == "feedback_text":
                table = table.append_column("analyzer", [["bench"] * table.num_rows])
                cols = [*table.column_names, "analyzed_at"]
                marks = ", ".join(["?"] * (len(cols) - 1) + ["current_timestamp"])
            else:
                cols = table.column_names
                marks = ", ".join("?" * len(cols))
            for record in table.to_pylist():
                conn.execute(
                    f"INSERT INTO {name}_rbr ({', '.join(cols)}) VALUES ({marks})",
                    [record[c] for c in table.column_names],
                )
    return time.perf_counter() - started


def _clone_tables(store: Any) -> None:
    with store.connect() as conn:
        for name in (
            "feedback_text",
            "feedback_aspects",
            "feedback_emotions",
            "feedback_modules",
        ):
            conn.execute(f"CREATE TABLE {name}_rbr AS SELECT * FROM {name} WHERE 1=0")


def _vader(texts: list[str]) -> float | None:
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        return None
    scorer = SentimentIntensityAnalyzer()
    started = time.perf_counter()
    for text in texts:
        scorer.polarity_scores(text)
    return time.perf_counter() - started


def run_enrich_benchmarks(
    engines: list[str],
    customers: int,
    seed: int,
    sample: int,
    work: Path,
    cluster: Any,
    log: Log,
) -> dict[str, Any]:
    from esperia.config import load_settings
    from esperia.store import open_store, upgrade
    from esperia.text.enrich import default_analyzer, enrich_feedback

    runs: list[dict[str, Any]] = []
    for engine in engines:
        url = None
        if engine == "postgresql":
            url = cluster.create_database("enrich")
        settings = load_settings(work / f"ws-{engine}", database_url=url)
        store = open_store(settings)
        try:
            upgrade(store)
            texts = _load(settings, store, customers, seed)
            analyzer = default_analyzer(settings)
            log(f"{engine}: {texts:,} feedback texts loaded; enriching")
            summary = enrich_feedback(store, settings, analyzer)
            runs.append(
                {
                    "engine": engine, "method": "esperia", "texts": summary.analyzed,
                    "seconds": round(summary.seconds, 2),
                    "texts_per_s": round(summary.texts_per_second),
                    "aspects": summary.aspects, "redacted": summary.redacted,
                }
            )  # fmt: skip
            log(f"  esperia: {summary.analyzed:,} in {summary.seconds:.1f}s")
            corpus = [t for _, t in _texts(store)]
            started = time.perf_counter()
            analyzer.analyze(corpus)
            took = time.perf_counter() - started
            runs.append(
                {
                    "engine": engine, "method": "analysis only", "texts": len(corpus),
                    "seconds": round(took, 2), "texts_per_s": round(len(corpus) / took),
                }
            )  # fmt: skip
            _clone_tables(store)
            took = _row_by_row(store, analyzer, sample)
            runs.append(
                {
                    "engine": engine, "method": "row by row", "texts": sample,
                    "seconds": round(took, 2), "texts_per_s": round(sample / took),
                }
            )  # fmt: skip
            log(f"  row by row: {sample:,} in {took:.1f}s")
            if engine == engines[0]:
                took_v = _vader(corpus)
                if took_v is not None:
                    runs.append(
                        {
                            "engine": "—", "method": "vaderSentiment (sentiment only)",
                            "texts": len(corpus), "seconds": round(took_v, 2),
                            "texts_per_s": round(len(corpus) / took_v),
                        }
                    )  # fmt: skip
        finally:
            store.close()
    return {"customers": customers, "seed": seed, "runs": runs}


def enrich_table(runs: list[dict[str, Any]]) -> str:
    lines = [
        "| engine | method | texts | seconds | texts/s |",
        "|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r['engine']} | {r['method']} | {r['texts']:,} | {r['seconds']} | "
            f"{r['texts_per_s']:,} |"
        )
    return "\n".join(lines)
