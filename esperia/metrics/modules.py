"""The experiential-module profile (Schmitt): how present each module is, how felt.

Two sources, each row saying which it used:

- ``items`` — agreement items ``module.sense|feel|think|act|relate``: presence
  is the share of answers at or above ``metrics_pyramid_threshold`` of the
  scale (Wilson interval); *felt* is the mean agreement mapped to -1..1.
- ``text`` — modules the text analysis found: presence is the share of the
  group's analysed texts that express the module (Wilson); *felt* is the mean
  sentiment of those mentions, -1..1 (t interval).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from esperia.metrics import stats
from esperia.metrics.backend import metrics_backend, table_exists
from esperia.metrics.frame import Query, clean, feedback_frame, fetch_columns
from esperia.vocabulary import MODULES

__all__ = ["modules"]


def _agg(t: Any, keys: list[str], **aggs: Any) -> Any:
    return t.group_by(keys).aggregate(**aggs) if keys else t.aggregate(**aggs)


def _items(con: Any, query: Query, threshold: float) -> Any:
    base = feedback_frame(con, query)
    fi = con.table("feedback_items")
    fi = fi.filter(
        fi.item.startswith("module."),
        fi.value.notnull(),
        fi.scale_min.notnull(),
        fi.scale_max > fi.scale_min,
    )
    fi = fi.select(
        fi_id=fi.feedback_id,
        module=fi.item.substr(7),
        norm=(fi.value - fi.scale_min) / (fi.scale_max - fi.scale_min),
    ).filter(lambda t: t.module.isin(MODULES))
    t = base.inner_join(fi, base.feedback_id == fi.fi_id)
    felt = t.norm * 2 - 1
    return _agg(t, [*query.by, "module"], n=t.norm.count(),
                present=(t.norm >= threshold).sum(), mentions=t.norm.count(),
                felt=felt.mean(), felt_var=felt.var())  # fmt: skip


def _text(con: Any, query: Query) -> tuple[Any, Any]:
    base = feedback_frame(con, query)
    ft = con.table("feedback_text").select(ft_id="feedback_id")
    analysed = base.inner_join(ft, base.feedback_id == ft.ft_id)
    totals = _agg(analysed, list(query.by), n=analysed.feedback_id.count())
    fm = con.table("feedback_modules")
    fm = fm.filter(fm.module.isin(MODULES)).select(
        fm_id=fm.feedback_id, module=fm.module, sentiment=fm.sentiment
    )
    t = base.inner_join(fm, base.feedback_id == fm.fm_id)
    per = t.group_by([*query.by, "module", "feedback_id"]).aggregate(
        sentiment=t.sentiment.mean()
    )
    mentions = _agg(
        per,
        [*query.by, "module"],
        mentions=per.feedback_id.count(),
        felt=per.sentiment.mean(),
        felt_var=per.sentiment.var(),
    )
    return totals, mentions


def modules(store: Any, query: Query, threshold: float = 0.6) -> list[dict[str, Any]]:
    """One row per group, module and source: presence %, felt -1..1, intervals."""
    keys = list(query.by)
    conf = query.confidence
    rows: list[dict[str, Any]] = []
    with metrics_backend(store) as con:
        items = fetch_columns(_items(con, query, threshold))
        text: tuple[dict[str, Any], dict[str, Any]] | None = None
        if table_exists(con, "feedback_modules") and table_exists(con, "feedback_text"):
            totals, mentions = _text(con, query)
            text = (fetch_columns(totals), fetch_columns(mentions))
    for i in range(len(items.get("n", []))):
        rows.append(_row(keys, items, i, items["n"][i], "items", conf, query.min_n))
    if text is not None:
        totals, mentions = text
        denominators = {
            tuple(clean(totals[k][j]) for k in keys): totals["n"][j]
            for j in range(len(totals.get("n", [])))
        }
        for i in range(len(mentions.get("mentions", []))):
            group = tuple(clean(mentions[k][i]) for k in keys)
            n = denominators.get(group, 0.0)
            mentions.setdefault("present", mentions["mentions"])
            rows.append(_row(keys, mentions, i, n, "text", conf, query.min_n))
    order = {m: j for j, m in enumerate(MODULES)}
    rows.sort(
        key=lambda r: (
            tuple((r[k] is None, r[k] or "") for k in keys),
            r["based_on"],
            order.get(r["module"], 9),
        )
    )
    return rows


def _row(
    keys: list[str],
    cols: dict[str, Any],
    i: int,
    n: float,
    source: str,
    conf: float,
    min_n: int,
) -> dict[str, Any]:
    present = cols["present"][i]
    share, low, high = stats.wilson_ci(n, present, conf)
    mentions = cols["mentions"][i]
    f_low, f_high = stats.mean_ci(mentions, cols["felt"][i], cols["felt_var"][i], conf)
    row: dict[str, Any] = {k: clean(cols[k][i]) for k in keys}
    row.update(
        module=cols["module"][i],
        based_on=source,
        n=int(n),
        mentions=int(mentions),
        modules=clean(100 * share, 2),
        ci_low=clean(100 * low, 2),
        ci_high=clean(100 * high, 2),
        felt=clean(cols["felt"][i], 3),
        felt_ci_low=clean(np.clip(f_low, -1, 1), 3),
        felt_ci_high=clean(np.clip(f_high, -1, 1), 3),
        low_n=bool(n < min_n),
    )
    return row
