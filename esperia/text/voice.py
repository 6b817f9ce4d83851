"""Read side of the voice of the customer: what customers talk about, and how.

Every query runs in the engine (DuckDB or PostgreSQL, the same SQL) over the
enrichment tables joined to ``feedback`` and ``touchpoints``, restricted by one
:class:`VoiceFilters`; only the small summaries come back to Python. Text shown
to people is always ``feedback_text.text_redacted``, never ``feedback.text``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from esperia.errors import InvalidInput
from esperia.store.database import Connection, Store
from esperia.vocabulary import FEEDBACK_SOURCES, MODULES, PYRAMID_LEVELS, STAGES

__all__ = [
    "EMOTIONS",
    "PYRAMID_ORDER",
    "VoiceFilters",
    "aspect_summary",
    "emotion_breakdown",
    "example_comments",
    "filter_choices",
    "module_breakdown",
    "pyramid_breakdown",
    "voice_overview",
    "voice_report",
]

#: The pyramid bottom first, as enrichment writes it.
PYRAMID_ORDER: tuple[str, ...] = PYRAMID_LEVELS
#: The basic emotions, in the order pages list them when counts tie.
EMOTIONS: tuple[str, ...] = (
    "joy",
    "trust",
    "surprise",
    "anticipation",
    "anger",
    "sadness",
    "fear",
    "disgust",
)
_MAX_EXAMPLES = 200


@dataclass(frozen=True)
class VoiceFilters:
    """Which feedback a voice query looks at; ``None`` means no restriction."""

    touchpoint: str | None = None
    stage: str | None = None
    channel: str | None = None
    since: date | None = None  #: first day included
    until: date | None = None  #: last day included
    language: str | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        if self.stage is not None and self.stage not in STAGES:
            raise InvalidInput(
                f"unknown stage {self.stage!r}: one of {', '.join(STAGES)}"
            )
        if self.source is not None and self.source not in FEEDBACK_SOURCES:
            raise InvalidInput(
                f"unknown source {self.source!r}: one of {', '.join(FEEDBACK_SOURCES)}"
            )
        if self.since and self.until and self.since > self.until:
            raise InvalidInput(
                f"the period starts ({self.since}) after it ends ({self.until})"
            )

    @classmethod
    def parse(cls, **values: Any) -> VoiceFilters:
        """Filters from strings (query parameters, CLI options); blanks ignored."""
        clean: dict[str, Any] = {
            k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()
        }
        clean = {k: v for k, v in clean.items() if v not in (None, "")}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(clean) - known)
        if unknown:
            raise InvalidInput(f"unknown filter(s): {', '.join(unknown)}")
        for name in ("since", "until"):
            if name in clean and isinstance(clean[name], str):
                try:
                    clean[name] = date.fromisoformat(clean[name])
                except ValueError:
                    raise InvalidInput(
                        f"{name}: {clean[name]!r} is not a date (YYYY-MM-DD)"
                    ) from None
        for name in ("stage", "source", "language", "channel"):
            if name in clean:
                clean[name] = str(clean[name]).lower()
        return cls(**clean)

    def to_dict(self) -> dict[str, Any]:
        return {
            k: (v.isoformat() if isinstance(v, date) else v)
            for k, v in asdict(self).items()
            if v is not None
        }

    def sql(self, timezone: str) -> tuple[str, list[Any]]:
        """The WHERE conditions on ``t`` (feedback_text), ``f`` and ``p``."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.touchpoint:
            clauses.append("f.touchpoint_id = ?")
            params.append(self.touchpoint)
        if self.stage:
            clauses.append("p.stage = ?")
            params.append(self.stage)
        if self.channel:
            clauses.append("p.channel = ?")
            params.append(self.channel)
        if self.language:
            clauses.append("t.language = ?")
            params.append(self.language)
        if self.source:
            clauses.append("f.source = ?")
            params.append(self.source)
        zone = ZoneInfo(timezone)
        if self.since:
            clauses.append("f.received_at >= ?")
            params.append(datetime.combine(self.since, time(), zone))
        if self.until:
            clauses.append("f.received_at < ?")
            params.append(
                datetime.combine(self.until + timedelta(days=1), time(), zone)
            )
        return (" AND ".join(clauses) or "TRUE"), params


def _scope(filters: VoiceFilters, timezone: str) -> tuple[str, list[Any]]:
    """A CTE ``scope`` with the analysed feedback the filters keep."""
    where, params = filters.sql(timezone)
    cte = (
        "WITH scope AS (SELECT t.feedback_id, t.sentiment, t.polarity, "
        "t.pyramid_level, t.language FROM feedback_text t "
        "JOIN feedback f ON f.feedback_id = t.feedback_id "
        "LEFT JOIN touchpoints p ON p.touchpoint_id = f.touchpoint_id "
        f"WHERE {where}) "
    )
    return cte, params


def _num(value: Any, digits: int = 3) -> float | None:
    if value is None:
        return None
    number = float(value)
    return round(number, digits) if math.isfinite(number) else None


def _query(
    store: Store, filters: VoiceFilters, body: str, extra: list[Any] | None = None
) -> list[dict[str, Any]]:
    cte, params = _scope(filters, store.settings.timezone)
    with store.connect() as conn:
        return conn.fetch_dicts(cte + body, params + (extra or []))


def _polarity_counts(prefix: str) -> str:
    return (
        f"sum(CASE WHEN {prefix}polarity = 'negative' THEN 1 ELSE 0 END) AS negative, "
        f"sum(CASE WHEN {prefix}polarity = 'positive' THEN 1 ELSE 0 END) AS positive"
    )


def voice_overview(store: Store, filters: VoiceFilters) -> dict[str, Any]:
    """How many comments are analysed, their mean sentiment and polarity mix."""
    rows = _query(
        store, filters,
        f"SELECT count(*) AS n, avg(sentiment) AS sentiment, {_polarity_counts('')} "
        "FROM scope",
    )  # fmt: skip
    languages = _query(
        store, filters,
        "SELECT coalesce(language, 'unknown') AS language, count(*) AS n "
        "FROM scope GROUP BY 1 ORDER BY n DESC, language",
    )  # fmt: skip
    with store.connect() as conn:
        waiting = _pending(conn)
    row = rows[0]
    n = int(row["n"] or 0)
    return {
        "comments": n,
        "sentiment": _num(row["sentiment"]),
        "negative": int(row["negative"] or 0),
        "positive": int(row["positive"] or 0),
        "neutral": n - int(row["negative"] or 0) - int(row["positive"] or 0),
        "languages": [{"language": r["language"], "n": int(r["n"])} for r in languages],
        "not_analysed": waiting,
    }


def _pending(conn: Connection) -> int:
    return int(
        conn.scalar(
            "SELECT count(*) FROM feedback f WHERE f.text IS NOT NULL "
            "AND length(trim(f.text)) > 0 AND NOT EXISTS (SELECT 1 FROM "
            "feedback_text t WHERE t.feedback_id = f.feedback_id)"
        )
    )


def _with_error(row: dict[str, Any]) -> dict[str, Any]:
    """Mean sentiment with its standard error and a 95% interval (normal)."""
    n = int(row["n"])
    sd = _num(row.pop("sd", None), 6)
    se = sd / math.sqrt(n) if sd is not None and n > 1 else None
    mean = _num(row["sentiment"])
    row["n"] = n
    row["sentiment"] = mean
    row["sentiment_se"] = _num(se)
    row["sentiment_low"] = (
        _num(mean - 1.96 * se) if se is not None and mean is not None else None
    )
    row["sentiment_high"] = (
        _num(mean + 1.96 * se) if se is not None and mean is not None else None
    )
    for key in ("negative", "positive", "comments"):
        if key in row:
            row[key] = int(row[key] or 0)
    return row


def aspect_summary(
    store: Store, filters: VoiceFilters, *, min_mentions: int = 1
) -> list[dict[str, Any]]:
    """Each aspect's mentions, comments, mean sentiment (± error) and polarity mix.

    Sorted by volume; the pyramid level is the one the aspect maps to.
    """
    rows = _query(
        store, filters,
        "SELECT a.aspect, count(*) AS n, count(DISTINCT a.feedback_id) AS comments, "
        "avg(a.sentiment) AS sentiment, stddev_samp(a.sentiment) AS sd, "
        f"{_polarity_counts('a.')}, min(a.pyramid_level) AS pyramid_level "
        "FROM feedback_aspects a JOIN scope s ON s.feedback_id = a.feedback_id "
        "GROUP BY a.aspect HAVING count(*) >= ? ORDER BY n DESC, a.aspect",
        [int(min_mentions)],
    )  # fmt: skip
    return [_with_error(r) for r in rows]


def module_breakdown(store: Store, filters: VoiceFilters) -> list[dict[str, Any]]:
    """Schmitt's five modules: comments speaking to each and their sentiment."""
    rows = _query(
        store, filters,
        "SELECT m.module, count(*) AS n, avg(m.sentiment) AS sentiment, "
        "stddev_samp(m.sentiment) AS sd, "
        "sum(CASE WHEN m.sentiment < 0 THEN 1 ELSE 0 END) AS negative, "
        "sum(CASE WHEN m.sentiment > 0 THEN 1 ELSE 0 END) AS positive "
        "FROM feedback_modules m JOIN scope s ON s.feedback_id = m.feedback_id "
        "GROUP BY m.module",
    )  # fmt: skip
    order = {name: i for i, name in enumerate(MODULES)}
    rows.sort(key=lambda r: (order.get(r["module"], len(order)), r["module"]))
    return [_with_error(r) for r in rows]


def pyramid_breakdown(store: Store, filters: VoiceFilters) -> list[dict[str, Any]]:
    """Comments by the lowest pyramid level they speak to, bottom level first.

    ``n`` counts comments at that level; a negative share at ``needs`` is the
    experience breaking at its base, which no enjoyment above makes up for.
    """
    rows = _query(
        store, filters,
        "SELECT pyramid_level, count(*) AS n, avg(sentiment) AS sentiment, "
        f"stddev_samp(sentiment) AS sd, {_polarity_counts('')} "
        "FROM scope WHERE pyramid_level IS NOT NULL GROUP BY pyramid_level",
    )  # fmt: skip
    order = {name: i for i, name in enumerate(PYRAMID_ORDER)}
    rows.sort(key=lambda r: (order.get(r["pyramid_level"], 99), r["pyramid_level"]))
    return [_with_error(r) for r in rows]


def emotion_breakdown(store: Store, filters: VoiceFilters) -> list[dict[str, Any]]:
    """Each emotion: comments expressing it, mean intensity and comment sentiment."""
    rows = _query(
        store, filters,
        "SELECT e.emotion, count(*) AS n, avg(e.intensity) AS intensity, "
        "avg(s.sentiment) AS sentiment FROM feedback_emotions e "
        "JOIN scope s ON s.feedback_id = e.feedback_id GROUP BY e.emotion",
    )  # fmt: skip
    order = {name: i for i, name in enumerate(EMOTIONS)}
    rows.sort(key=lambda r: (-int(r["n"]), order.get(r["emotion"], 99)))
    return [
        {
            "emotion": r["emotion"],
            "n": int(r["n"]),
            "intensity": _num(r["intensity"]),
            "sentiment": _num(r["sentiment"]),
        }
        for r in rows
    ]


def example_comments(
    store: Store,
    filters: VoiceFilters,
    *,
    aspect: str | None = None,
    polarity: str | None = None,
    limit: int = 10,
) -> list[dict[str, Any]]:
    """Recent comments (redacted text only), optionally about one aspect or tone."""
    if polarity is not None and polarity not in ("negative", "neutral", "positive"):
        raise InvalidInput(
            f"unknown polarity {polarity!r}: negative, neutral or positive"
        )
    if not 1 <= int(limit) <= _MAX_EXAMPLES:
        raise InvalidInput(f"limit must be between 1 and {_MAX_EXAMPLES}")
    conditions = ["TRUE"]
    extra: list[Any] = []
    if aspect:
        conditions.append(
            "EXISTS (SELECT 1 FROM feedback_aspects a WHERE "
            "a.feedback_id = s.feedback_id AND a.aspect = ?)"
        )
        extra.append(aspect)
    if polarity:
        conditions.append("s.polarity = ?")
        extra.append(polarity)
    rows = _query(
        store, filters,
        "SELECT s.feedback_id, f.received_at, f.source, f.touchpoint_id, "
        "p.name AS touchpoint, s.language, s.sentiment, s.polarity, t.aspects, "
        "t.emotions, t.text_redacted AS text FROM scope s "
        "JOIN feedback f ON f.feedback_id = s.feedback_id "
        "JOIN feedback_text t ON t.feedback_id = s.feedback_id "
        "LEFT JOIN touchpoints p ON p.touchpoint_id = f.touchpoint_id "
        f"WHERE {' AND '.join(conditions)} "
        "ORDER BY f.received_at DESC, s.feedback_id LIMIT ?",
        [*extra, int(limit)],
    )  # fmt: skip
    for row in rows:
        when = row["received_at"]
        row["received_at"] = when.isoformat() if isinstance(when, datetime) else when
        row["sentiment"] = _num(row["sentiment"])
        row["aspects"] = row["aspects"].split(";") if row["aspects"] else []
        row["emotions"] = row["emotions"].split(";") if row["emotions"] else []
    return rows


def filter_choices(store: Store) -> dict[str, list[Any]]:
    """The values each filter can take in this workspace (for forms)."""
    with store.connect() as conn:
        touchpoints = conn.fetch_dicts(
            "SELECT touchpoint_id AS id, name FROM touchpoints ORDER BY name, "
            "touchpoint_id"
        )
        channels = [
            r[0]
            for r in conn.fetchall(
                "SELECT DISTINCT channel FROM touchpoints WHERE channel IS NOT NULL "
                "ORDER BY channel"
            )
        ]
        languages = [
            r[0]
            for r in conn.fetchall(
                "SELECT DISTINCT language FROM feedback_text "
                "WHERE language IS NOT NULL ORDER BY language"
            )
        ]
        sources = [
            r[0]
            for r in conn.fetchall("SELECT DISTINCT source FROM feedback ORDER BY 1")
        ]
    return {
        "touchpoints": touchpoints,
        "stages": list(STAGES),
        "channels": channels,
        "languages": languages,
        "sources": sources,
    }


def voice_report(
    store: Store, filters: VoiceFilters, *, examples: int = 10
) -> dict[str, Any]:
    """Everything the voice page shows, in one answer."""
    return {
        "filters": filters.to_dict(),
        "overview": voice_overview(store, filters),
        "aspects": aspect_summary(store, filters),
        "modules": module_breakdown(store, filters),
        "pyramid": pyramid_breakdown(store, filters),
        "emotions": emotion_breakdown(store, filters),
        "examples": example_comments(store, filters, limit=examples),
    }
