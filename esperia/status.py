"""What the workspace holds: counts per table, data freshness, latest feedback."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from esperia.store import KINDS, Store
from esperia.text.redact import redact

__all__ = ["latest_feedback", "recent_imports", "workspace_status"]


def workspace_status(store: Store) -> dict[str, Any]:
    """Counts per kind and the newest timestamp of each (its freshness)."""
    parts = []
    for kind in KINDS.values():
        newest = f"max({kind.time_column})" if kind.time_column else "NULL"
        parts.append(
            f"SELECT '{kind.name}' AS kind, count(*) AS n, {newest} AS newest, "
            f"max(loaded_at) AS loaded FROM {kind.table}"
        )
    with store.connect() as conn:
        rows = conn.fetchall(" UNION ALL ".join(parts))
        last_import = conn.scalar("SELECT max(finished_at) FROM imports")
    tables = {
        name: {
            "count": int(n),
            "newest": _iso(newest),
            "last_loaded_at": _iso(loaded),
        }
        for name, n, newest, loaded in rows
    }
    order = list(KINDS)
    return {
        "database": store.display_url,
        "engine": store.dialect,
        "tables": {k: tables[k] for k in order},
        "last_import_at": _iso(last_import),
    }


def latest_feedback(store: Store, limit: int = 10) -> list[dict[str, Any]]:
    """The newest feedback with its touchpoint name, newest first, text redacted."""
    with store.connect() as conn:
        rows = conn.fetch_dicts(
            "SELECT f.feedback_id, f.received_at, f.source, f.customer_id, "
            "f.touchpoint_id, t.name AS touchpoint, f.nps, f.csat, f.ces, f.rating, "
            "f.text, f.language "
            "FROM feedback f LEFT JOIN touchpoints t "
            "ON t.touchpoint_id = f.touchpoint_id "
            "ORDER BY f.received_at DESC, f.feedback_id LIMIT ?",
            (int(limit),),
        )
    for row in rows:
        row["received_at"] = _iso(row["received_at"])
        # Shown masked whatever text_keep_original says, enriched yet or not.
        row["text"] = redact(row["text"]) if row["text"] else row["text"]
    return rows


def recent_imports(store: Store, limit: int = 20) -> list[dict[str, Any]]:
    """The latest imports with their counts, newest first."""
    with store.connect() as conn:
        rows = conn.fetch_dicts(
            "SELECT import_id, kind, source, started_at, finished_at, read_rows, "
            "loaded_rows, updated_rows, duplicate_rows, rejected_rows, "
            "created_references, rejects_file FROM imports "
            "ORDER BY import_id DESC LIMIT ?",
            (int(limit),),
        )
    for row in rows:
        row["started_at"] = _iso(row["started_at"])
        row["finished_at"] = _iso(row["finished_at"])
    return rows


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
