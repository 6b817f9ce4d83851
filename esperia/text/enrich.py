"""Enrichment: analyse stored feedback text and keep the results in the store.

Feedback with text and no row in ``feedback_text`` is read in batches (keyset
pages by ``feedback_id``), analysed by an :class:`~esperia.text.model.Analyzer`
and written back in one transaction per batch: the results travel as Arrow
tables into temporary tables (DuckDB's Arrow scan, PostgreSQL's COPY) and reach
``feedback_text``, ``feedback_aspects``, ``feedback_emotions`` and
``feedback_modules`` with one ``INSERT … SELECT`` each. A batch replaces
whatever an earlier run stored for the same feedback, so a rerun never
duplicates rows.

Unless ``text_keep_original`` is on, the same transaction masks the personal
data in ``feedback.text`` itself (:func:`esperia.text.redact.redact` on the
original, so its layout stays): after enrichment the store keeps no e-mail
address, phone number, IBAN, fiscal code, card number or street address a
customer wrote.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import pyarrow as pa

from esperia.config import Settings
from esperia.errors import InvalidInput
from esperia.store.database import Connection, Store
from esperia.text.model import Analyzer, TextAnalysis
from esperia.text.redact import redact

__all__ = [
    "EnrichSummary",
    "Mode",
    "count_pending",
    "default_analyzer",
    "enrich_feedback",
    "results_tables",
]

#: ``new``: feedback never analysed; ``outdated``: also feedback an analyzer other
#: than the current one analysed; ``all``: everything again.
Mode = Literal["new", "outdated", "all"]

#: (texts done, texts to do)
Progress = Callable[[int, int], None]


@dataclass
class EnrichSummary:
    """What one enrichment run did."""

    analyzer: str
    mode: str
    pending: int = 0
    analyzed: int = 0
    redacted: int = 0  #: feedback texts replaced by their redacted form
    aspects: int = 0
    batches: int = 0
    seconds: float = 0.0

    @property
    def texts_per_second(self) -> float:
        return self.analyzed / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        data["texts_per_second"] = round(self.texts_per_second, 1)
        return data


def default_analyzer(settings: Settings) -> Analyzer:
    """The workspace's analyzer: Esperia's own offline engine."""
    from esperia.text.analyzer import get_analyzer

    return get_analyzer(settings)


def _where(mode: Mode, import_id: int | None) -> tuple[str, list[Any]]:
    """The WHERE clause choosing the feedback to analyse, and its parameters."""
    clauses = ["f.text IS NOT NULL", "length(trim(f.text)) > 0"]
    params: list[Any] = []
    if import_id is not None:
        clauses.append("f.import_id = ?")
        params.append(import_id)
    if mode == "new":
        clauses.append(
            "NOT EXISTS (SELECT 1 FROM feedback_text t "
            "WHERE t.feedback_id = f.feedback_id)"
        )
    elif mode == "outdated":
        clauses.append(
            "NOT EXISTS (SELECT 1 FROM feedback_text t "
            "WHERE t.feedback_id = f.feedback_id AND t.analyzer = ?)"
        )
    return " AND ".join(clauses), params


def _mode_params(mode: Mode, analyzer: str) -> list[Any]:
    return [analyzer] if mode == "outdated" else []


def count_pending(
    store: Store,
    analyzer_name: str,
    *,
    mode: Mode = "new",
    import_id: int | None = None,
) -> int:
    """How many feedback texts a run in ``mode`` would analyse."""
    where, params = _where(mode, import_id)
    with store.connect() as conn:
        return int(
            conn.scalar(
                f"SELECT count(*) FROM feedback f WHERE {where}",
                params + _mode_params(mode, analyzer_name),
            )
        )


def enrich_feedback(
    store: Store,
    settings: Settings,
    analyzer: Analyzer | None = None,
    *,
    mode: Mode = "new",
    import_id: int | None = None,
    batch_size: int | None = None,
    progress: Progress | None = None,
) -> EnrichSummary:
    """Analyse the feedback ``mode`` selects (within one import if given) and store it.

    Work is committed batch by batch: an interrupted run keeps what it finished
    and the next run carries on from there.
    """
    if mode not in ("new", "outdated", "all"):
        raise InvalidInput(f"unknown enrichment mode {mode!r}: new, outdated or all")
    engine = analyzer or default_analyzer(settings)
    size = int(batch_size or settings.text_enrich_batch_size)
    if size < 1:
        raise InvalidInput("the enrichment batch size must be at least 1")
    started = time.perf_counter()
    summary = EnrichSummary(analyzer=engine.name, mode=mode)
    where, params = _where(mode, import_id)
    params += _mode_params(mode, engine.name)
    languages = set(settings.text_languages)
    with store.connect() as conn:
        summary.pending = int(
            conn.scalar(f"SELECT count(*) FROM feedback f WHERE {where}", params)
        )
        if progress is not None:
            progress(0, summary.pending)
        after = ""
        while summary.analyzed < summary.pending:
            rows = conn.fetchall(
                "SELECT f.feedback_id, f.text, f.language FROM feedback f "
                f"WHERE {where} AND f.feedback_id > ? "
                "ORDER BY f.feedback_id LIMIT ?",
                [*params, after, size],
            )
            if not rows:
                break
            after = str(rows[-1][0])
            results = _analyze(engine, rows, languages)
            ids = [str(row[0]) for row in rows]
            originals = [str(row[1]) for row in rows]
            with store.write_lock, conn.transaction():
                written = _store_batch(
                    conn, engine.name, ids, results, originals,
                    keep_original=settings.text_keep_original,
                )  # fmt: skip
            summary.analyzed += len(rows)
            summary.redacted += written["redacted"]
            summary.aspects += written["aspects"]
            summary.batches += 1
            if progress is not None:
                progress(summary.analyzed, summary.pending)
    summary.seconds = time.perf_counter() - started
    return summary


def _analyze(
    engine: Analyzer, rows: Sequence[tuple[Any, ...]], languages: set[str]
) -> list[TextAnalysis]:
    """Results in row order; rows that declare a known language skip detection."""
    groups: dict[str | None, list[int]] = {}
    for i, row in enumerate(rows):
        declared = str(row[2]).strip().lower() if row[2] else None
        groups.setdefault(declared if declared in languages else None, []).append(i)
    results: list[TextAnalysis | None] = [None] * len(rows)
    for language, positions in groups.items():
        texts = [str(rows[i][1]) for i in positions]
        analysed = engine.analyze(texts, language=language)
        if len(analysed) != len(texts):
            raise InvalidInput(
                f"the analyzer {engine.name!r} returned {len(analysed)} results "
                f"for {len(texts)} texts"
            )
        for i, result in zip(positions, analysed, strict=True):
            results[i] = result
    return [r for r in results if r is not None]


def results_tables(
    ids: Sequence[str], results: Sequence[TextAnalysis]
) -> dict[str, pa.Table]:
    """The four result tables of a batch as Arrow, one column at a time."""
    emotions = [
        sorted(r.emotions.items(), key=lambda kv: (-kv[1], kv[0])) for r in results
    ]
    text = pa.table(
        {
            "feedback_id": pa.array(ids, pa.string()),
            "language": [r.language for r in results],
            "sentiment": pa.array([float(r.sentiment) for r in results], pa.float64()),
            "polarity": [r.polarity for r in results],
            "emotions": [";".join(e for e, _ in pairs) or None for pairs in emotions],
            "aspects": [
                ";".join(dict.fromkeys(a.aspect for a in r.aspects)) or None
                for r in results
            ],
            "modules": [";".join(r.modules) or None for r in results],
            "pyramid_level": pa.array([r.pyramid_level for r in results], pa.string()),
            "text_redacted": [r.text_redacted for r in results],
            "sentences": pa.array([int(r.sentences) for r in results], pa.int32()),
        }
    )
    aspect_rows = [(fid, a) for fid, r in zip(ids, results, strict=True)
                   for a in r.aspects]  # fmt: skip
    aspects = pa.table(
        {
            "feedback_id": pa.array([fid for fid, _ in aspect_rows], pa.string()),
            "sentence": pa.array([a.sentence for _, a in aspect_rows], pa.int32()),
            "aspect": pa.array([a.aspect for _, a in aspect_rows], pa.string()),
            "sentiment": pa.array(
                [float(a.sentiment) for _, a in aspect_rows], pa.float64()
            ),
            "polarity": pa.array([a.polarity for _, a in aspect_rows], pa.string()),
            "pyramid_level": pa.array(
                [a.pyramid_level for _, a in aspect_rows], pa.string()
            ),
        }
    )
    emotion_rows = [(fid, e, v) for fid, pairs in zip(ids, emotions, strict=True)
                    for e, v in pairs]  # fmt: skip
    emotion_table = pa.table(
        {
            "feedback_id": pa.array([r[0] for r in emotion_rows], pa.string()),
            "emotion": pa.array([r[1] for r in emotion_rows], pa.string()),
            "intensity": pa.array([float(r[2]) for r in emotion_rows], pa.float64()),
        }
    )
    module_rows = [(fid, m, v) for fid, r in zip(ids, results, strict=True)
                   for m, v in r.modules.items()]  # fmt: skip
    modules = pa.table(
        {
            "feedback_id": pa.array([r[0] for r in module_rows], pa.string()),
            "module": pa.array([r[1] for r in module_rows], pa.string()),
            "sentiment": pa.array([float(r[2]) for r in module_rows], pa.float64()),
        }
    )
    return {
        "feedback_text": text,
        "feedback_aspects": aspects,
        "feedback_emotions": emotion_table,
        "feedback_modules": modules,
    }


_COLUMNS = {
    "feedback_aspects": "feedback_id, sentence, aspect, sentiment, polarity, "
    "pyramid_level",
    "feedback_emotions": "feedback_id, emotion, intensity",
    "feedback_modules": "feedback_id, module, sentiment",
}


def _store_batch(
    conn: Connection,
    analyzer: str,
    ids: Sequence[str],
    results: Sequence[TextAnalysis],
    originals: Sequence[str],
    *,
    keep_original: bool,
) -> dict[str, int]:
    """Replace the stored results of ``ids`` (the caller holds a transaction)."""
    tables = results_tables(ids, results)
    conn.load_arrow("_enrich_text", tables["feedback_text"])
    for table in ("feedback_text", *_COLUMNS):
        conn.execute(
            f"DELETE FROM {table} WHERE feedback_id IN "
            "(SELECT feedback_id FROM _enrich_text)"
        )
    conn.execute(
        "INSERT INTO feedback_text (feedback_id, language, sentiment, polarity, "
        "emotions, aspects, modules, pyramid_level, text_redacted, sentences, "
        "analyzer, analyzed_at) SELECT feedback_id, language, sentiment, polarity, "
        "emotions, aspects, modules, pyramid_level, text_redacted, sentences, ?, "
        "current_timestamp FROM _enrich_text",
        (analyzer,),
    )
    for table, columns in _COLUMNS.items():
        data = tables[table]
        if data.num_rows == 0:
            continue
        temp = f"_enrich_{table.removeprefix('feedback_')}"
        conn.load_arrow(temp, data)
        conn.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {temp}")
    redacted = 0
    if not keep_original:
        # The original with only personal data masked: its layout (markup, line
        # breaks) stays as imported; the analysis's cleaned text is elsewhere.
        masked = [(fid, redact(text)) for fid, text in zip(ids, originals, strict=True)]
        changed = [(fid, text) for (fid, text), original in
                   zip(masked, originals, strict=True) if text != original]  # fmt: skip
        redacted = len(changed)
        if changed:
            conn.load_arrow(
                "_enrich_masked",
                pa.table(
                    {
                        "feedback_id": pa.array([c[0] for c in changed], pa.string()),
                        "text": pa.array([c[1] for c in changed], pa.string()),
                    }
                ),
            )
            conn.execute(
                "UPDATE feedback SET text = m.text FROM _enrich_masked m "
                "WHERE feedback.feedback_id = m.feedback_id"
            )
    return {"redacted": redacted, "aspects": tables["feedback_aspects"].num_rows}
