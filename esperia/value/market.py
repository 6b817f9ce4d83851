"""Market share as the user reports it, tracked over time next to NPS.

Market share comes from outside (a market study, an industry panel), so it is
recorded, not computed: per market (or category) and period, with its source.
The report puts each period's NPS, from the feedback received in the same
period, next to it: the value chain's last link (realization) beside the
customers' own verdict.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from esperia.errors import InvalidInput, NotFound
from esperia.store import Store
from esperia.value.figures import parse_period, read_figures

__all__ = ["add_market_share", "import_market_share", "market_share_report"]


def _check_share(share: float, where: str) -> None:
    if not 0.0 <= share <= 1.0:
        raise InvalidInput(
            f"{where}: share {share:g} must be a fraction between 0 and 1 (23% is 0.23)"
        )


def _store_rows(store: Store, table: pa.Table) -> int:
    """Replace the figures for the same market and period, then insert."""
    with store.write_lock, store.connect() as conn, conn.transaction():
        conn.load_arrow("_market_share_in", table)
        conn.execute(
            "DELETE FROM market_share WHERE EXISTS (SELECT 1 FROM _market_share_in n "
            "WHERE n.market = market_share.market "
            "AND n.period_start = market_share.period_start "
            "AND n.period_end = market_share.period_end)"
        )
        conn.execute(
            "INSERT INTO market_share SELECT market, period_start, period_end, "
            "share, source, recorded_at FROM _market_share_in"
        )
        conn.execute("DROP TABLE _market_share_in")
        return int(conn.scalar("SELECT count(*) FROM market_share"))


def _arrow(
    market: list[str], start: Any, end: Any, share: Any, source: list[str | None]
) -> pa.Table:
    now = dt.datetime.now(dt.UTC)
    return pa.table(
        {
            "market": pa.array(market, pa.string()),
            "period_start": pa.array(start, pa.date32()),
            "period_end": pa.array(end, pa.date32()),
            "share": pa.array(share, pa.float64()),
            "source": pa.array(source, pa.string()),
            "recorded_at": pa.array([now] * len(market), pa.timestamp("us", "UTC")),
        }
    )


def add_market_share(
    store: Store, *, market: str, period: str, share: float, source: str | None = None
) -> dict[str, Any]:
    """Record one figure; a second one for the same market and period replaces it."""
    if not market.strip():
        raise InvalidInput("market: empty")
    start, end = parse_period(period)
    _check_share(float(share), "share")
    _store_rows(
        store, _arrow([market.strip()], [start], [end], [float(share)], [source])
    )
    return {
        "market": market.strip(),
        "period_start": str(start),
        "period_end": str(end),
        "share": float(share),
        "source": source,
    }


def import_market_share(
    store: Store, source: Path | Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """Columns: market, share (0-1), and period (2025, 2025-Q2, 2025-03) or
    period_start and period_end (YYYY-MM-DD); optional source."""
    fig = read_figures(source)
    if len(fig) == 0:
        raise InvalidInput(f"{fig.where}: no rows")
    market = fig.text("market")
    share = fig.numbers("share")
    if fig.has("period"):
        periods = fig.text("period")
        bounds = [
            parse_period(str(p), f"{fig.where}, data row {i + 1}, column 'period'")
            for i, p in enumerate(periods)
        ]
        start = np.array([b[0] for b in bounds], dtype="datetime64[D]")
        end = np.array([b[1] for b in bounds], dtype="datetime64[D]")
    elif fig.has("period_start"):
        start, end = fig.dates("period_start"), fig.dates("period_end")
    else:
        raise InvalidInput(
            f"{fig.where}: needs a period column (2025, 2025-Q2, 2025-03) or "
            "period_start and period_end"
        )
    for i in np.flatnonzero(end < start)[:1]:
        raise fig.fail(int(i), "period_end", "before period_start")
    for i in np.flatnonzero((share < 0) | (share > 1))[:1]:
        raise fig.fail(
            int(i), "share", f"{share[i]:g} is not a fraction between 0 and 1"
        )
    src = fig.text("source", required=False)
    table = _arrow(market.tolist(), start, end, share, src.tolist())
    stored = _store_rows(store, table)
    return {"imported": len(fig), "rows": stored}


_REPORT = """
WITH p AS (SELECT DISTINCT period_start, period_end FROM market_share),
n AS (
    SELECT p.period_start, p.period_end, count(f.nps) AS answers,
           sum(CASE WHEN f.nps >= 9 THEN 1 ELSE 0 END) AS promoters,
           sum(CASE WHEN f.nps <= 6 THEN 1 ELSE 0 END) AS detractors
    FROM p LEFT JOIN feedback f
      ON f.nps IS NOT NULL
     AND CAST(f.received_at AS DATE) BETWEEN p.period_start AND p.period_end
    GROUP BY 1, 2
)
SELECT m.market, m.period_start, m.period_end, m.share, m.source,
       n.answers, n.promoters, n.detractors
FROM market_share m JOIN n ON n.period_start = m.period_start
 AND n.period_end = m.period_end
ORDER BY m.market, m.period_start, m.period_end
"""


def market_share_report(store: Store) -> dict[str, Any]:
    """Every recorded figure with the NPS of the same period, by market."""
    with store.connect() as conn:
        rows = conn.fetch_dicts(_REPORT)
    if not rows:
        raise NotFound(
            "no market share recorded: run `esperia value market-share add` or `import`"
        )
    out = []
    for r in rows:
        answers = int(r["answers"] or 0)
        nps = (
            100.0 * (int(r["promoters"]) - int(r["detractors"])) / answers
            if answers
            else None
        )
        out.append(
            {"market": r["market"], "period_start": str(r["period_start"]),
             "period_end": str(r["period_end"]), "share": float(r["share"]),
             "source": r["source"], "nps": nps, "nps_answers": answers}
        )  # fmt: skip
    markets = sorted({str(r["market"]) for r in out})
    return {"markets": markets, "rows": out}
