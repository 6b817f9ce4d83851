"""Features per customer, computed in the engine: one SQL query per family.

Each family is one ``GROUP BY customer_id`` query written once for DuckDB and
PostgreSQL; Python only receives the per-customer result as columns (Arrow on
DuckDB, rows from PostgreSQL) and never loops over customers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from esperia.store.database import Connection, DuckDBConnection
from esperia.vocabulary import CHANNELS, MODULES, STAGES

__all__ = ["FeatureFrame", "compute_features"]

#: Aspects kept as features: the most mentioned ones in the workspace.
TOP_ASPECTS = 16
#: Order categories kept (``orders.properties.category``): the most frequent.
TOP_CATEGORIES = 12
#: Declared customer attributes (``customers.attributes`` keys) are used when
#: they have between 2 and this many values in a sample of customers.
MAX_DECLARED_LEVELS = 12
#: Customers read to discover the declared attributes worth a feature.
DECLARED_SAMPLE = 2_000
#: Activities (channel and interaction type) counted per customer: the most
#: frequent ones in the workspace.
TOP_ACTIVITIES = 24
_SAFE = re.compile(r"[^a-z0-9_]")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,40}")


@dataclass
class FeatureFrame:
    """Per-customer feature columns aligned on ``customer_ids``."""

    customer_ids: np.ndarray
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    categories: dict[str, np.ndarray] = field(default_factory=dict)
    families: dict[str, list[str]] = field(default_factory=dict)
    #: Count blocks for the mixture model: block name → its count columns
    #: (activity mix, month, time of day, order category, aspects).
    blocks: dict[str, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.customer_ids)


def _name(value: str) -> str:
    return _SAFE.sub("_", value.lower())


def _fetch(conn: Connection, sql: str, params: tuple[Any, ...] = ()) -> dict[str, Any]:
    """A query's result as numpy columns (Arrow on DuckDB, no per-row objects)."""
    if isinstance(conn, DuckDBConnection):
        table = conn.raw.sql(sql, params=list(params) or None).to_arrow_table()
        return {
            name: table.column(name).to_numpy(zero_copy_only=False)
            for name in table.column_names
        }
    rows = conn.fetch_dicts(sql, params)
    if not rows:
        return {}
    return {k: np.array([r[k] for r in rows], dtype=object) for k in rows[0]}


def _shares(
    column: str, values: list[str], total: str, prefix: str, contact: str = ""
) -> list[str]:
    """Share of rows per value; with ``contact``, of direct contacts only."""
    extra = f" AND {contact} IS DISTINCT FROM 'indirect'" if contact else ""
    return [
        f"count(*) FILTER (WHERE {column} = '{v.replace(chr(39), '')}'{extra}) "
        f"* 1.0 / {total} AS {prefix}_{_name(v)}"
        for v in values
    ]


def _behaviour_sql() -> str:
    """The per-customer interaction figures that are not a mix."""
    cols = [
        "e.cix",
        "count(*) AS interactions",
        "count(*) FILTER (WHERE e.direct) AS direct_contacts",
        "max(e.occurred_at) AS last_interaction",
        "min(e.occurred_at) AS first_interaction",
        "count(*) FILTER (WHERE e.medium = 'physical') * 1.0 / count(*) "
        "AS share_physical",
        "count(*) FILTER (WHERE e.contact = 'direct') * 1.0 / count(*) AS share_direct",
        "count(*) FILTER (WHERE e.hour_of_day < 12) * 1.0 / count(*) AS share_morning",
        "count(*) FILTER (WHERE e.hour_of_day >= 18) * 1.0 / count(*) AS share_evening",
        "count(*) FILTER (WHERE e.day_of_week IN (0, 6)) * 1.0 / count(*) "
        "AS share_weekend",
        "count(*) FILTER (WHERE e.stage = 'service') * 1.0 / count(*) AS share_care",
    ]
    return f"SELECT {', '.join(cols)} FROM _persona_events e GROUP BY e.cix"


#: One row per interaction with the fields the features need, computed once:
#: the customer's position, the touchpoint's traits and the calendar fields.
#: On DuckDB each ``extract`` from a zoned timestamp is a time-zone conversion,
#: and the optimiser repeats an inlined expression inside every FILTER, so
#: materialising them first made the scan several times faster.
_EVENTS_SQL = """
CREATE TEMP TABLE _persona_events AS
SELECT c.cix, i.occurred_at, coalesce(i.type, '') AS kind,
       t.channel, t.stage, t.medium, t.contact,
       t.contact IS DISTINCT FROM 'indirect' AS direct,
       CAST(extract(month FROM i.occurred_at) AS SMALLINT) AS month_of_year,
       CAST(extract(hour FROM i.occurred_at) AS SMALLINT) AS hour_of_day,
       CAST(extract(dow FROM i.occurred_at) AS SMALLINT) AS day_of_week
FROM interactions i
JOIN touchpoints t ON t.touchpoint_id = i.touchpoint_id
JOIN _persona_customers c ON c.customer_id = i.customer_id
"""

_ORDER_ROWS_SQL = """
CREATE TEMP TABLE _persona_orders AS
SELECT c.cix, o.revenue, o.items, o.ordered_at,
       CAST(extract(month FROM o.ordered_at) AS SMALLINT) AS month_of_year,
       o.properties->>'category' AS category
FROM orders o JOIN _persona_customers c ON c.customer_id = o.customer_id
"""

_CUSTOMER_INDEX_SQL = """
CREATE TEMP TABLE _persona_customers AS
SELECT customer_id, CAST(row_number() OVER (ORDER BY customer_id) - 1 AS INTEGER)
       AS cix
FROM customers
"""

_TEMP_TABLES = ("_persona_events", "_persona_orders", "_persona_customers")


def _literal(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _pivot(
    conn: Connection, n: int, keys: list[str], levels: list[tuple[Any, ...]],
    where: str = "",
) -> np.ndarray:  # fmt: skip
    """Counts of events per customer and level (n x levels).

    One ``GROUP BY (customer, level)`` in the engine, the level found by a join
    with a small table of the levels, then one numpy placement: several times
    faster than a ``count(*) FILTER`` per level, which tests every row once
    per level.
    """
    out = np.zeros((n, len(levels)), dtype=np.float64)
    if not levels:
        return out
    rows = ", ".join(
        "(" + ", ".join([str(i), *(_literal(v) for v in level)]) + ")"
        for i, level in enumerate(levels)
    )
    names = ", ".join(f"k{j}" for j in range(len(keys)))
    on = " AND ".join(f"l.k{j} = {key}" for j, key in enumerate(keys))
    result = _fetch(
        conn,
        f"SELECT e.cix, l.code, count(*) AS n FROM _persona_events e "
        f"JOIN (VALUES {rows}) AS l(code, {names}) ON {on} "
        f"{'WHERE ' + where if where else ''} GROUP BY e.cix, l.code",
    )
    if result and len(result["cix"]):
        cix = _as_float(np.asarray(result["cix"])).astype(np.int64)
        code = _as_float(np.asarray(result["code"])).astype(np.int64)
        out[cix, code] = _as_float(np.asarray(result["n"]))
    return out


def _mixes(
    conn: Connection, n: int, channels: list[str], keys: list[tuple[str, str]]
) -> dict[str, np.ndarray]:
    """Activity, season and time-of-day counts; channel, stage and care mixes.

    Mixes are over direct contacts only: indirect ones (an ad seen, a press
    mention) say what the company pushed, not how the customer chose to deal.
    Season and time of day count direct contacts (the mixture model reads them
    as multinomials): month of the year, 3-hour slot of the day.
    """
    care_channels = [("phone",), ("chat",), ("email",)]
    return _mix_columns(
        n, channels, keys,
        activity=_pivot(conn, n, ["e.channel", "e.kind"], list(keys)),
        months=_pivot(conn, n, ["e.month_of_year"], [(m,) for m in range(1, 13)],
                      "e.direct"),
        slots=_pivot(conn, n, ["e.hour_of_day"], [(h,) for h in range(24)],
                     "e.direct"),
        by_channel=_pivot(conn, n, ["e.channel"], [(c,) for c in channels],
                          "e.direct"),
        by_stage=_pivot(conn, n, ["e.stage"], [(s,) for s in STAGES], "e.direct"),
        care=_pivot(conn, n, ["e.channel"], care_channels, "e.stage = 'service'"),
        service=_pivot(conn, n, ["e.stage"], [("service",)])[:, 0],
    )  # fmt: skip


def _mix_columns(
    n: int, channels: list[str], keys: list[tuple[str, str]], *,
    activity: np.ndarray, months: np.ndarray, slots: np.ndarray,
    by_channel: np.ndarray, by_stage: np.ndarray, care: np.ndarray,
    service: np.ndarray,
) -> dict[str, np.ndarray]:  # fmt: skip
    """Named feature columns from the per-customer count matrices."""
    cols: dict[str, np.ndarray] = {}
    for j, (c, k) in enumerate(keys):
        cols[f"activity_{_name(c)}__{_name(k) or 'none'}"] = activity[:, j]
    for m in range(12):
        cols[f"month_{m + 1:02d}"] = months[:, m]
    for h in range(8):
        cols[f"daypart_{3 * h:02d}"] = slots[:, 3 * h : 3 * h + 3].sum(axis=1)
    direct = np.maximum(by_channel.sum(axis=1), 1.0)
    for j, c in enumerate(channels):
        cols[f"channel_{_name(c)}"] = by_channel[:, j] / direct
    for j, stage in enumerate(STAGES):
        cols[f"stage_{stage}"] = by_stage[:, j] / direct
    for j, c in enumerate(("phone", "chat", "email")):
        cols[f"care_{c}"] = care[:, j] / np.maximum(service, 1.0)
    return cols


def _codes(column: Any, levels: list[str]) -> np.ndarray:
    """Position of each row's value in ``levels`` (-1 elsewhere), through the
    Arrow dictionary: the lookup runs over distinct values, not rows."""
    encoded = column.combine_chunks().dictionary_encode()
    lookup = {v: i for i, v in enumerate(levels)}
    table = np.array(
        [lookup.get(v, -1) for v in encoded.dictionary.to_pylist()] + [-1],
        dtype=np.int64,
    )
    idx = encoded.indices.fill_null(len(encoded.dictionary)).to_numpy()
    return table[idx]


def _mixes_arrow(
    conn: DuckDBConnection, n: int, channels: list[str], keys: list[tuple[str, str]]
) -> dict[str, np.ndarray]:
    """:func:`_mixes` on DuckDB: the event columns come over as Arrow (small
    codes, a few bytes per event) and numpy counts them with ``bincount``,
    one pass per block instead of one engine ``GROUP BY`` per block."""
    table = conn.raw.sql(
        "SELECT cix, channel, kind, stage, direct, month_of_year, hour_of_day "
        "FROM _persona_events"
    ).to_arrow_table()
    cix = table.column("cix").to_numpy().astype(np.int64)
    direct = table.column("direct").to_numpy(zero_copy_only=False).astype(bool)
    channel = _codes(table.column("channel"), channels)
    kind_levels = sorted({k for _, k in keys})
    kind = _codes(table.column("kind"), kind_levels)
    stage = _codes(table.column("stage"), list(STAGES))
    month = table.column("month_of_year").to_numpy().astype(np.int64) - 1
    hour = table.column("hour_of_day").to_numpy().astype(np.int64)
    del table

    def count(codes: np.ndarray, levels: int, mask: np.ndarray) -> np.ndarray:
        ok = mask & (codes >= 0)
        flat = np.bincount(cix[ok] * levels + codes[ok], minlength=n * levels)
        return flat.reshape(n, levels).astype(np.float64)

    pair = np.full(len(channels) * len(kind_levels) + 1, -1, dtype=np.int64)
    for j, (c, k) in enumerate(keys):
        pair[channels.index(c) * len(kind_levels) + kind_levels.index(k)] = j
    both = (channel >= 0) & (kind >= 0)
    activity_code = np.where(
        both, pair[np.where(both, channel * len(kind_levels) + kind, len(pair) - 1)],
        -1,
    )  # fmt: skip
    everything = np.ones(len(cix), dtype=bool)
    service = stage == STAGES.index("service")
    care_channels = ["phone", "chat", "email"]
    care_code = np.full(len(channels) + 1, -1, dtype=np.int64)
    for j, c in enumerate(care_channels):
        if c in channels:
            care_code[channels.index(c)] = j
    return _mix_columns(
        n, channels, keys,
        activity=count(activity_code, len(keys), everything),
        months=count(month, 12, direct),
        slots=count(hour, 24, direct),
        by_channel=count(channel, len(channels), direct),
        by_stage=count(stage, len(STAGES), direct),
        care=count(np.where(channel >= 0, care_code[channel], -1), 3, service),
        service=np.bincount(cix[service], minlength=n).astype(np.float64),
    )  # fmt: skip


def _activity_keys(conn: Connection) -> list[tuple[str, str]]:
    """The most frequent (channel, interaction type) pairs of the workspace."""
    rows = conn.fetchall(
        "SELECT channel, kind, count(*) AS n FROM _persona_events "
        f"GROUP BY channel, kind ORDER BY n DESC, channel, kind LIMIT {TOP_ACTIVITIES}"
    )
    return [(str(c), str(k)) for c, k, _ in rows]


def _orders_sql(categories: list[str]) -> str:
    """Order features in one scan; category counts from ``properties``."""
    cols = "".join(
        f", count(*) FILTER (WHERE category = "
        f"'{c.replace(chr(39), '')}') AS category_{_name(c)}"
        for c in categories
    )
    return _ORDERS_SQL.replace("{categories}", cols)


_ORDERS_SQL = """
SELECT cix{categories},
       count(*) AS orders,
       sum(revenue) AS revenue,
       avg(revenue) AS basket,
       avg(ln(greatest(revenue, 0) + 1)) AS log_basket,
       avg(ln(greatest(coalesce(items, 1), 0) + 1)) AS log_items,
       max(ordered_at) AS last_order,
       min(ordered_at) AS first_order,
       count(*) FILTER (WHERE month_of_year = 12) * 1.0 / count(*)
           AS season_december,
       count(*) FILTER (WHERE month_of_year IN (2, 9)) * 1.0
           / count(*) AS season_school,
       count(*) FILTER (WHERE month_of_year IN (6, 7, 8)) * 1.0
           / count(*) AS season_summer
FROM _persona_orders GROUP BY cix
"""

_FEEDBACK_SQL = """
SELECT c.cix,
       count(*) AS feedback,
       avg(f.nps) AS nps_mean,
       count(*) FILTER (WHERE f.nps >= 9) * 1.0
           / greatest(count(f.nps), 1) AS share_promoter,
       avg(ft.sentiment) AS sentiment_mean
FROM feedback f
JOIN _persona_customers c ON c.customer_id = f.customer_id
LEFT JOIN feedback_text ft ON ft.feedback_id = f.feedback_id
GROUP BY c.cix
"""


def _modules_sql() -> str:
    cols = _shares("m.module", list(MODULES), "count(*)", "module")
    return (
        f"SELECT c.cix, {', '.join(cols)} FROM feedback_modules m "
        "JOIN feedback f ON f.feedback_id = m.feedback_id "
        "JOIN _persona_customers c ON c.customer_id = f.customer_id GROUP BY c.cix"
    )


def _aspects_sql(aspects: list[str]) -> str:
    cols = [
        f"count(*) FILTER (WHERE a.aspect = '{a.replace(chr(39), '')}') "
        f"AS mentions_{_name(a)}"
        for a in aspects
    ]
    return (
        f"SELECT c.cix, {', '.join(cols)} FROM feedback_aspects a "
        "JOIN feedback f ON f.feedback_id = a.feedback_id "
        "JOIN _persona_customers c ON c.customer_id = f.customer_id GROUP BY c.cix"
    )


_CUSTOMERS_SQL = """
SELECT c.customer_id, birth_year, first_seen_at,
       coalesce(language, '') AS language, coalesce(region, '') AS region,
       coalesce(segment, '') AS segment{declared}
FROM customers c JOIN _persona_customers p ON p.customer_id = c.customer_id
ORDER BY p.cix
"""


def _declared_keys(conn: Connection) -> list[str]:
    """Keys of ``customers.attributes`` that read as a declared preference: a
    few distinct plain values (a loyalty card, how they heard of us), found
    in a sample of customers; free text and identifiers are left out."""
    rows = conn.fetchall(
        "SELECT attributes FROM customers WHERE attributes IS NOT NULL "
        f"ORDER BY customer_id LIMIT {DECLARED_SAMPLE}"
    )
    levels: dict[str, set[str]] = {}
    seen: dict[str, int] = {}
    for (raw,) in rows:
        data = json.loads(raw) if isinstance(raw, str) else raw
        for key, value in (data if isinstance(data, dict) else {}).items():
            seen[key] = seen.get(key, 0) + 1
            if isinstance(value, str | bool | int):
                levels.setdefault(str(key), set()).add(str(value).lower())
    return sorted(
        key
        for key, values in levels.items()
        if 2 <= len(values) <= MAX_DECLARED_LEVELS
        and seen[key] * 2 >= len(rows)
        and _KEY.fullmatch(key)
    )


def _days(later: np.ndarray, earlier: Any) -> np.ndarray:
    """Days between two timestamp columns (NaT/None become NaN)."""
    a = np.array(later, dtype="datetime64[s]")
    b = np.array(earlier, dtype="datetime64[s]")
    out = (a - b).astype("timedelta64[s]").astype(float) / 86_400.0
    out[np.isnat(a) | np.isnat(b)] = np.nan
    return out


def _to_naive(values: np.ndarray) -> np.ndarray:
    """Timestamps (tz-aware objects from PostgreSQL too) as UTC datetime64."""
    if values.dtype == object:
        cleaned = [
            None if v is None else np.datetime64(int(v.timestamp()), "s")
            for v in values.tolist()
        ]
        return np.array(cleaned, dtype="datetime64[s]")
    return values.astype("datetime64[s]")


def _as_float(col: np.ndarray) -> np.ndarray:
    """Numbers with NULL as NaN (PostgreSQL rows hold ``None`` objects)."""
    if col.dtype == object:
        col = np.where(np.equal(col, np.array(None, dtype=object)), np.nan, col)
    return np.asarray(col, dtype=float)


def _scatter(n: int, result: dict[str, Any], fill: float) -> dict[str, np.ndarray]:
    """Place a family's columns at their customers' positions (``cix``);
    customers the family has no row for get ``fill`` (or NaT)."""
    if not result:
        return {}
    at = np.asarray(_as_float(np.asarray(result.pop("cix"))), dtype=np.int64)
    out: dict[str, np.ndarray] = {}
    for name, raw in result.items():
        col = np.asarray(raw)
        if col.dtype.kind in "Mm" or (
            col.dtype == object and len(col) and isinstance(col[0], datetime)
        ):
            values = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
            values[at] = _to_naive(col)
        else:
            values = np.full(n, fill, dtype=float)
            values[at] = _as_float(col)
        out[name] = values
    return out


def compute_features(conn: Connection, as_of: datetime | None = None) -> FeatureFrame:
    """Every feature family for every customer, in customer-id order."""
    for table in _TEMP_TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(_CUSTOMER_INDEX_SQL)
    try:
        return _compute(conn, as_of)
    finally:
        for table in _TEMP_TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")


def _compute(conn: Connection, as_of: datetime | None) -> FeatureFrame:
    declared = _declared_keys(conn)
    extra = "".join(
        f", coalesce(lower(attributes->>'{k}'), '') AS declared_{k}" for k in declared
    )
    base = _fetch(conn, _CUSTOMERS_SQL.replace("{declared}", extra))
    ids = np.asarray(base.get("customer_id", []), dtype=object).astype(str)
    frame = FeatureFrame(customer_ids=ids)
    n = len(ids)
    if n == 0:
        return frame
    channels = sorted(
        {r[0] for r in conn.fetchall("SELECT DISTINCT channel FROM touchpoints")}
        | set(CHANNELS)
    )
    conn.execute(_EVENTS_SQL)
    keys = _activity_keys(conn)
    behaviour = _scatter(n, _fetch(conn, _behaviour_sql()), 0.0)
    if isinstance(conn, DuckDBConnection):
        behaviour.update(_mixes_arrow(conn, n, channels, keys))
    else:
        behaviour.update(_mixes(conn, n, channels, keys))
    conn.execute(_ORDER_ROWS_SQL)
    categories = [
        str(r[0])
        for r in conn.fetchall(
            "SELECT category FROM _persona_orders WHERE category IS NOT NULL "
            f"GROUP BY category ORDER BY count(*) DESC, category LIMIT {TOP_CATEGORIES}"
        )
    ]
    orders = _scatter(n, _fetch(conn, _orders_sql(categories)), 0.0)
    feedback = _scatter(n, _fetch(conn, _FEEDBACK_SQL), np.nan)
    modules = _scatter(n, _fetch(conn, _modules_sql()), 0.0)
    aspects_list = [
        str(r[0])
        for r in conn.fetchall(
            "SELECT aspect FROM feedback_aspects GROUP BY aspect "
            f"ORDER BY count(*) DESC, aspect LIMIT {TOP_ASPECTS}"
        )
    ]
    aspects = (
        _scatter(n, _fetch(conn, _aspects_sql(aspects_list)), 0.0)
        if aspects_list
        else {}
    )
    mentions = [m for m in aspects if m.startswith("mentions_")]
    if mentions:
        total = np.maximum(np.sum([aspects[m] for m in mentions], axis=0), 1.0)
        for m in mentions:
            aspects["aspect_" + m[len("mentions_") :]] = aspects[m] / total
    if as_of is None:
        stamp = conn.scalar("SELECT max(occurred_at) FROM interactions") or conn.scalar(
            "SELECT max(ordered_at) FROM orders"
        )
        as_of = stamp if stamp is not None else datetime.now()
    now = _to_naive(np.array([as_of], dtype=object))[0]
    first_seen = _to_naive(np.asarray(base["first_seen_at"], dtype=object))
    first_any = np.where(
        np.isnat(first_seen), behaviour.get("first_interaction", first_seen),
        first_seen,
    )  # fmt: skip
    last = behaviour.pop("last_interaction", np.full(len(ids), np.datetime64("NaT")))
    behaviour.pop("first_interaction", None)
    cols = frame.columns
    cols["recency_days"] = np.nan_to_num(_days(np.full(len(ids), now), last), nan=-1)
    cols["tenure_days"] = np.nan_to_num(
        _days(np.full(len(ids), now), first_any), nan=0.0
    )
    cols["recency_days"][cols["recency_days"] < 0] = cols["tenure_days"][
        cols["recency_days"] < 0
    ]
    for name in ("last_order", "first_order"):
        orders.pop(name, None)
    cols.update(behaviour)
    cols.update(orders)
    cols.update(feedback)
    cols.update(modules)
    cols.update(aspects)
    birth = _as_float(np.asarray(base["birth_year"]))
    year = now.astype("datetime64[Y]").astype(int) + 1970
    cols["age"] = year - birth
    frame.categories["language"] = np.asarray(base["language"], dtype=object)
    frame.categories["region"] = np.asarray(base["region"], dtype=object)
    frame.categories["segment"] = np.asarray(base["segment"], dtype=object)
    for key in declared:
        frame.categories[f"declared_{key}"] = np.asarray(
            base[f"declared_{key}"], dtype=object
        )
    frame.families = {
        "behaviour": ["recency_days", "tenure_days", *behaviour],
        "orders": list(orders),
        "attitudes": [*feedback, *modules, *aspects],
        "demographics": ["age"],
    }
    frame.blocks = {
        name: [n for n in cols if n.startswith(prefix)]
        for name, prefix in (
            ("activity", "activity_"),
            ("season", "month_"),
            ("time_of_day", "daypart_"),
            ("category", "category_"),
            ("aspects", "mentions_"),
        )
    }
    frame.blocks = {k: v for k, v in frame.blocks.items() if v}
    return frame
