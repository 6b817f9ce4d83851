"""The CX pyramid per group: a score per level and the level where it breaks.

Each level's score is on 0-100 and comes from the best source available for
that group and level, which every row names:

1. ``items`` — survey items ``pyramid.needs|ease|enjoyment`` rescaled from
   their own scale (``(value - scale_min) / (scale_max - scale_min)``);
2. ``text`` — aspects mentioned in free text, classified to a pyramid level
   by the text analysis; score = (sentiment + 1) / 2 * 100;
3. ``proxy`` — scores that stand in for a level: CSAT for needs met
   ((csat-1)/4), CES for ease ((ces-1)/6), NPS for enjoyment (nps/10).

A level *holds* when its score reaches ``metrics_pyramid_threshold`` * 100
(default 60). Gating: the experience *breaks* at the lowest level that does
not hold; enjoyment only counts when needs are met and it was easy. Where the
three items were asked in the same answer, ``reached`` also gives the share of
respondents who got through the gate up to each level.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from esperia.metrics import stats
from esperia.metrics.backend import metrics_backend, table_exists
from esperia.metrics.frame import Query, clean, feedback_frame, fetch_columns
from esperia.vocabulary import PYRAMID_LEVELS

__all__ = ["LEVEL_NAMES", "pyramid"]

#: How items and text name each level, and the name the product reports.
LEVEL_NAMES: dict[str, str] = {
    "needs": "needs",
    "ease": "ease",
    "enjoyment": "enjoyment",
}
_PROXIES = {"needs": ("csat", 1.0, 4.0), "ease": ("ces", 1.0, 6.0),
            "enjoyment": ("nps", 0.0, 10.0)}  # fmt: skip


def _agg(t: Any, keys: list[str], **aggs: Any) -> Any:
    return t.group_by(keys).aggregate(**aggs) if keys else t.aggregate(**aggs)


def _level_case(column: Any) -> Any:
    import ibis

    cases = [(column == name, level) for name, level in LEVEL_NAMES.items()]
    return ibis.cases(*cases, else_=None)


def _item_scores(con: Any, query: Query, threshold: float) -> tuple[Any, Any]:
    base = feedback_frame(con, query)
    fi = con.table("feedback_items")
    fi = fi.filter(
        fi.item.startswith("pyramid."),
        fi.value.notnull(),
        fi.scale_min.notnull(),
        fi.scale_max > fi.scale_min,
    )
    fi = fi.select(
        fi_id=fi.feedback_id,
        level=_level_case(fi.item.substr(8)),
        score=(fi.value - fi.scale_min) / (fi.scale_max - fi.scale_min) * 100,
    ).filter(lambda t: t.level.notnull())
    t = base.inner_join(fi, base.feedback_id == fi.fi_id)
    keys = list(query.by)
    levels = _agg(t, [*keys, "level"], n=t.score.count(), mean=t.score.mean(),
                  var=t.score.var())  # fmt: skip
    cut = threshold * 100
    per = t.group_by([*keys, "feedback_id"]).aggregate(
        needs=t.score.max(where=t.level == "needs"),
        ease=t.score.max(where=t.level == "ease"),
        joy=t.score.max(where=t.level == "enjoyment"),
    )
    per = per.filter(per.needs.notnull(), per.ease.notnull(), per.joy.notnull())
    gate1 = per.needs >= cut
    gate2 = gate1 & (per.ease >= cut)
    gate3 = gate2 & (per.joy >= cut)
    gated = _agg(per, keys, n_full=per.needs.count(), r1=gate1.sum(),
                 r2=gate2.sum(), r3=gate3.sum())  # fmt: skip
    return levels, gated


def _text_scores(con: Any, query: Query) -> Any:
    base = feedback_frame(con, query)
    fa = con.table("feedback_aspects")
    fa = fa.filter(fa.pyramid_level.notnull(), fa.sentiment.notnull())
    fa = fa.select(
        fa_id=fa.feedback_id,
        level=_level_case(fa.pyramid_level),
        score=(fa.sentiment + 1) * 50,
    ).filter(lambda t: t.level.notnull())
    t = base.inner_join(fa, base.feedback_id == fa.fa_id)
    return _agg(t, [*query.by, "level"], n=t.score.count(), mean=t.score.mean(),
                var=t.score.var())  # fmt: skip


def _proxy_scores(con: Any, query: Query) -> Any:
    """The three stand-in scores in one scan of the feedback."""
    base = feedback_frame(con, query, extra=("csat", "ces", "nps"))
    aggs: dict[str, Any] = {}
    for level, (column, low, span) in _PROXIES.items():
        value = (base[column] - low) / span * 100
        aggs[f"{level}__n"] = value.count()
        aggs[f"{level}__mean"] = value.mean()
        aggs[f"{level}__var"] = value.var()
    return _agg(base, list(query.by), **aggs)


def _split_proxies(cols: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    out = {}
    for level in _PROXIES:
        part = {k: cols[k] for k in keys}
        for stat in ("n", "mean", "var"):
            part[stat] = cols[f"{level}__{stat}"]
        out[level] = part
    return out


def _by_group(
    cols: dict[str, Any], keys: list[str], count: str = "n"
) -> dict[tuple[Any, ...], int]:
    size = len(cols.get(count, []))
    return {tuple(clean(cols[k][i]) for k in keys): i for i in range(size)}


def pyramid(store: Any, query: Query, threshold: float = 0.6) -> list[dict[str, Any]]:
    """One row per group and level: score, interval, source, holds, broken_at."""
    keys = list(query.by)
    with metrics_backend(store) as con:
        item_levels, gated = _item_scores(con, query, threshold)
        sources: dict[str, dict[str, Any]] = {"items": fetch_columns(item_levels)}
        gates = fetch_columns(gated)
        if table_exists(con, "feedback_aspects"):
            sources["text"] = fetch_columns(_text_scores(con, query))
        proxies = _split_proxies(fetch_columns(_proxy_scores(con, query)), keys)
    # (group, level) → (source, n, mean, var), best source first.
    found: dict[tuple[Any, ...], dict[str, tuple[str, float, float, float]]] = {}
    for name in ("items", "text"):
        cols = sources.get(name)
        if not cols:
            continue
        for i in range(len(cols["n"])):
            group = tuple(clean(cols[k][i]) for k in keys)
            level = cols["level"][i]
            slot = found.setdefault(group, {})
            if level not in slot and cols["n"][i] > 0:
                slot[level] = (name, cols["n"][i], cols["mean"][i], cols["var"][i])
    for level, cols in proxies.items():
        for i in range(len(cols["n"])):
            group = tuple(clean(cols[k][i]) for k in keys)
            slot = found.setdefault(group, {})
            if level not in slot and cols["n"][i] > 0:
                slot[level] = ("proxy", cols["n"][i], cols["mean"][i], cols["var"][i])
    gate_at = _by_group(gates, keys, "n_full")
    rows: list[dict[str, Any]] = []
    for group in sorted(found, key=lambda g: tuple((v is None, v or "") for v in g)):
        slot = found[group]
        holds = {
            level: slot[level][2] >= threshold * 100
            for level in PYRAMID_LEVELS
            if level in slot
        }
        broken = next(
            (lv for lv in PYRAMID_LEVELS if lv in holds and not holds[lv]), None
        )
        g = gate_at.get(group)
        for depth, level in enumerate(PYRAMID_LEVELS, start=1):
            if level not in slot:
                continue
            source, n, mean, var = slot[level]
            low, high = stats.mean_ci(n, mean, var, query.confidence)
            row: dict[str, Any] = dict(zip(keys, group, strict=True))
            reached = None
            if g is not None and gates["n_full"][g] > 0:
                reached = 100 * gates[f"r{depth}"][g] / gates["n_full"][g]
            row.update(
                level=level,
                n=int(n),
                pyramid=clean(mean, 2),
                ci_low=clean(np.clip(low, 0, 100), 2),
                ci_high=clean(np.clip(high, 0, 100), 2),
                low_n=bool(n < query.min_n),
                based_on=source,
                holds=bool(holds[level]),
                broken_at=broken,
                reached=clean(reached, 2),
            )
            rows.append(row)
    return rows
