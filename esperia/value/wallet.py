"""Share of wallet: what we sell a customer out of what they spend in a category.

The total a customer (or a whole segment) spends in a category, across every
seller, is something only the user knows (a panel, a survey, a loyalty
partner). They import it per period; our side is the revenue of the orders in
that category and period (``orders.properties.category``), summed in the
engine. Share of wallet = our revenue / their total, per customer, and pooled
(sum of ours / sum of theirs) per segment and per category.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from esperia.errors import InvalidInput, NotFound
from esperia.store import Store
from esperia.value.figures import read_figures

__all__ = ["WalletBy", "import_category_spend", "share_of_wallet"]

WalletBy = Literal["customer", "segment", "category"]


def import_category_spend(
    store: Store,
    source: Path | Sequence[dict[str, Any]],
    *,
    source_name: str | None = None,
    replace: bool = False,
) -> dict[str, Any]:
    """Store total category spend rows; each names a customer_id or a segment.

    Columns: ``customer_id`` or ``segment`` (exactly one per row), ``category``,
    ``period_start``, ``period_end`` (YYYY-MM-DD), ``total_spend`` (≥ 0), and
    an optional ``source``. All rows are checked before any is stored.
    """
    fig = read_figures(source)
    if len(fig) == 0:
        raise InvalidInput(f"{fig.where}: no rows")
    if not fig.has("customer_id") and not fig.has("segment"):
        raise InvalidInput(
            f"{fig.where}: needs a customer_id or a segment column "
            f"(columns: {', '.join(fig.table.column_names)})"
        )
    customer = fig.text("customer_id", required=False)
    segment = fig.text("segment", required=False)
    both = np.flatnonzero((customer != None) == (segment != None))  # noqa: E711
    if len(both):
        i = int(both[0])
        raise fig.fail(
            i, "customer_id", "give either a customer_id or a segment (not both)"
        )
    category = fig.text("category")
    start = fig.dates("period_start")
    end = fig.dates("period_end")
    backwards = np.flatnonzero(end < start)
    if len(backwards):
        raise fig.fail(int(backwards[0]), "period_end", "before period_start")
    spend = fig.numbers("total_spend")
    negative = np.flatnonzero(spend < 0)
    if len(negative):
        i = int(negative[0])
        raise fig.fail(i, "total_spend", f"{spend[i]} is negative")
    label = source_name or (source.name if isinstance(source, Path) else "api")
    src = fig.text("source", required=False)
    src = np.where(src == None, label, src)  # noqa: E711
    now = dt.datetime.now(dt.UTC)
    table = pa.table(
        {
            "customer_id": pa.array(customer.tolist(), pa.string()),
            "segment": pa.array(segment.tolist(), pa.string()),
            "category": pa.array(category.tolist(), pa.string()),
            "period_start": pa.array(start, pa.date32()),
            "period_end": pa.array(end, pa.date32()),
            "total_spend": pa.array(spend, pa.float64()),
            "source": pa.array(src.tolist(), pa.string()),
            "recorded_at": pa.array([now] * len(fig), pa.timestamp("us", "UTC")),
        }
    )
    with store.write_lock, store.connect() as conn, conn.transaction():
        if replace:
            conn.execute("DELETE FROM category_spend")
        conn.load_arrow("_category_spend_in", table)
        conn.execute(
            "INSERT INTO category_spend SELECT customer_id, segment, category, "
            "period_start, period_end, total_spend, source, recorded_at "
            "FROM _category_spend_in"
        )
        conn.execute("DROP TABLE _category_spend_in")
        stored = int(conn.scalar("SELECT count(*) FROM category_spend"))
    return {"imported": len(fig), "rows": stored, "source": label}


#: Our revenue per supplied row, in the engine. A segment row sums the orders
#: of every customer in that segment.
_ROWS = """
WITH s AS (
    SELECT row_number() OVER (ORDER BY customer_id, segment, category,
                              period_start, period_end) AS rid, *
    FROM category_spend
),
ours AS (
    SELECT s.rid, sum(o.revenue) AS revenue
    FROM s
    JOIN customers c ON (s.customer_id IS NOT NULL AND c.customer_id = s.customer_id)
                     OR (s.customer_id IS NULL AND c.segment = s.segment)
    JOIN orders o ON o.customer_id = c.customer_id
     AND (o.properties ->> 'category') = s.category
     AND CAST(o.ordered_at AS DATE) BETWEEN s.period_start AND s.period_end
    GROUP BY s.rid
)
SELECT CASE WHEN s.customer_id IS NULL THEN 'segment' ELSE 'customer' END
           AS level,
       s.customer_id, coalesce(s.segment, c.segment, '') AS segment, s.category,
       s.period_start, s.period_end, s.total_spend,
       coalesce(ours.revenue, 0) AS our_revenue, s.source
FROM s LEFT JOIN ours ON ours.rid = s.rid
LEFT JOIN customers c ON c.customer_id = s.customer_id
"""
_KEYS: dict[str, tuple[str, ...]] = {
    "customer": (
        "level",
        "customer_id",
        "segment",
        "category",
        "period_start",
        "period_end",
    ),
    "segment": ("level", "segment", "category"),
    "category": ("level", "category"),
}


def share_of_wallet(
    store: Store, *, by: WalletBy = "segment", limit: int = 1000
) -> dict[str, Any]:
    """Share of wallet per supplied row (``customer``) or pooled per group.

    Pooled shares are the sum of our revenue over the sum of the reported
    totals (a big customer weighs as much as their spend), kept apart by
    ``level``: figures given per customer and per segment would otherwise
    count the same spend twice. ``exceeding`` counts rows where our orders
    top the reported total: an incomplete figure or periods that do not match.
    """
    if by not in _KEYS:
        raise InvalidInput(f"by must be customer, segment or category, not {by!r}")
    keys = ", ".join(_KEYS[by])
    with store.connect() as conn:
        if not conn.scalar("SELECT count(*) FROM category_spend"):
            raise NotFound(
                "no category spend imported: run `esperia value wallet import FILE`"
            )
        groups = conn.fetch_dicts(
            f"""
            WITH r AS ({_ROWS})
            SELECT {keys}, count(*) AS rows, sum(total_spend) AS total_spend,
                   sum(our_revenue) AS our_revenue,
                   sum(CASE WHEN our_revenue > total_spend THEN 1 ELSE 0 END)
                       AS exceeding
            FROM r GROUP BY {keys} ORDER BY {keys} LIMIT ?
            """,
            (int(limit),),
        )
        total = conn.fetch_dicts(
            f"""
            WITH r AS ({_ROWS})
            SELECT count(*) AS rows, sum(total_spend) AS total_spend,
                   sum(our_revenue) AS our_revenue,
                   sum(CASE WHEN our_revenue > total_spend THEN 1 ELSE 0 END)
                       AS exceeding
            FROM r
            """
        )[0]
    for g in [*groups, total]:
        for k in ("period_start", "period_end"):
            if k in g:
                g[k] = str(g[k])
        g["rows"] = int(g["rows"])
        g["exceeding"] = int(g["exceeding"])
        g["total_spend"] = float(g["total_spend"])
        g["our_revenue"] = float(g["our_revenue"])
        g["share_of_wallet"] = _share(g["our_revenue"], g["total_spend"])
    return {"by": by, "groups": groups, "total": total}


def _share(ours: float, total: float) -> float | None:
    return None if total <= 0 else ours / total
