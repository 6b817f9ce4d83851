"""Event logs: case, activity, timestamp (and more) as a relation in the engine.

An :class:`EventLog` is a SQL relation with a fixed set of columns that every
analysis reads — ``case_id``, ``activity``, ``ts`` (a TIMESTAMPTZ) and ``ord``
(the original order, which breaks ties between equal timestamps the way
process-mining tools do: a stable sort keeps file order) — plus optional ones
(``resource``, and for workspace journeys ``customer_id``, ``touchpoint_id``,
``channel``, ``medium``, ``stage``, ``type``, ``outcome``, ``interaction_id``,
``segment``). The relation lives either in the workspace store (DuckDB or
PostgreSQL: the SQL is portable) or in an in-memory DuckDB holding a file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb

from esperia.errors import InvalidInput
from esperia.store.database import Connection, DuckDBConnection, Store

__all__ = [
    "ACTIVITY_LEVELS",
    "EventLog",
    "JourneyOptions",
    "file_log",
    "open_workspace_log",
    "workspace_log",
]

ActivityLevel = Literal["touchpoint", "channel", "stage"]
ACTIVITY_LEVELS: tuple[str, ...] = ("touchpoint", "channel", "stage")
SplitRule = Literal["gap", "purchase"]


@dataclass(frozen=True)
class JourneyOptions:
    """How workspace interactions become journeys (cases)."""

    #: What an activity is: the touchpoint, its channel or its journey stage.
    level: ActivityLevel = "touchpoint"
    #: ``gap``: a new journey after ``gap_hours`` without contact;
    #: ``purchase``: a journey ends with each purchase.
    split: SplitRule = "gap"
    gap_hours: float = 24.0 * 30
    #: Only interactions in [since, until) (ISO dates), when given.
    since: str | None = None
    until: str | None = None
    segment: str | None = None

    def __post_init__(self) -> None:
        if self.level not in ACTIVITY_LEVELS:
            raise InvalidInput(
                f"activity level {self.level!r}: choose touchpoint, channel or stage"
            )
        if self.split not in ("gap", "purchase"):
            raise InvalidInput(f"split {self.split!r}: choose gap or purchase")
        if not self.gap_hours > 0:
            raise InvalidInput("the inactivity gap must be more than 0 hours")


@dataclass
class EventLog:
    """A relation of events plus the connection that can query it."""

    conn: Connection
    #: A parenthesised SELECT or a table name, usable after ``FROM``.
    source: str
    params: tuple[Any, ...] = ()
    #: Which optional columns the relation has.
    columns: frozenset[str] = field(default_factory=frozenset)
    description: str = ""
    #: How events of a case are ordered. File logs are stored pre-sorted with a
    #: position column, so windows order by one integer instead of (ts, ord).
    order: str = "ts, ord"
    #: File logs also carry integer codes (``case_no``, ``activity_no``) and
    #: ``tus`` (epoch microseconds): the DFG then runs on integers.
    prepared: bool = False
    #: With ``prepared``: the table of (activity_no, activity) codes.
    activity_table: str = ""
    #: Stored unfiltered journeys: the per-journey path column, as
    #: ``table.column``, so top paths group ready-made paths.
    path_column: str = ""

    @property
    def dialect(self) -> str:
        return self.conn.dialect

    def has(self, column: str) -> bool:
        return column in self.columns

    def _sql(self, sql: str) -> str:
        """Put the relation where ``{log}`` stands (aliased ``log_``).

        A source with parameters becomes a leading CTE, so its placeholders
        come first however often the query reads the log.
        """
        if not self.params:
            return sql.replace("{log}", f"{self.source} AS log_")
        body = sql.replace("{log}", "log_src AS log_")
        head = f"log_src AS {self.source}"
        stripped = body.lstrip()
        if stripped[:4].upper() == "WITH":
            return f"WITH {head}, {stripped[4:]}"
        return f"WITH {head} {body}"

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Run ``sql`` where ``{log}`` stands for the event relation."""
        return self.conn.fetch_dicts(self._sql(sql), self.params + params)

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self.conn.fetchall(self._sql(sql), self.params + params)

    def summary(self) -> dict[str, Any]:
        row = self.query(
            "SELECT count(*) AS events, count(DISTINCT case_id) AS cases, "
            "count(DISTINCT activity) AS activities, min(ts) AS first, "
            "max(ts) AS last FROM {log}"
        )[0]
        return {**row, "source": self.description}


# ------------------------------------------------------------------ workspace

_ACTIVITY = {
    "touchpoint": "i.touchpoint_id",
    "channel": "coalesce(t.channel, 'unknown')",
    "stage": "coalesce(t.stage, 'unknown')",
}

#: A purchase closes a journey under the purchase-cycle rule.
IS_PURCHASE = "(coalesce(type, '') = 'purchase')"


_COLUMNS = frozenset(
    {
        "customer_id", "interaction_id", "touchpoint_id", "type", "outcome",
        "channel", "medium", "stage", "segment", "resource",
    }
)  # fmt: skip


def workspace_log(conn: Connection, options: JourneyOptions | None = None) -> EventLog:
    """The workspace's interactions as journeys, one case per journey.

    Case ids read ``<customer_id>#<n>`` (n numbers journeys across the
    workspace). When the stored journeys (:mod:`esperia.journey.build`) match
    ``options`` they are read in their stored order; otherwise the split runs
    on the fly.
    """
    from esperia.journey.build import journeys_state

    opts = options or JourneyOptions()
    if journeys_state(conn, opts)["current"]:
        return _stored_log(conn, opts)
    return _live_log(conn, opts)


def _stored_log(conn: Connection, opts: JourneyOptions) -> EventLog:
    from esperia.journey.build import PATHS_TABLE

    where, params = [], []
    if opts.since:
        where.append("j.ts >= CAST(? AS TIMESTAMPTZ)")
        params.append(opts.since)
    if opts.until:
        where.append("j.ts < CAST(? AS TIMESTAMPTZ)")
        params.append(opts.until)
    if opts.segment:
        where.append(
            "j.customer_id IN (SELECT customer_id FROM customers WHERE segment = ?)"
        )
        params.append(opts.segment)
    activity = _ACTIVITY[opts.level].replace("i.touchpoint_id", "j.touchpoint_id")
    activity = activity.replace("t.", "j.")
    source = f"""(
        SELECT j.pos, j.case_no, j.case_id, j.customer_id, j.interaction_id,
               j.touchpoint_id, j.channel, j.medium, j.stage, j.type, j.outcome,
               j.ts, j.tus, j.is_first, j.seq, j.interaction_id AS ord,
               CAST(NULL AS TEXT) AS segment, CAST(NULL AS TEXT) AS resource,
               {activity} AS activity
        FROM journey_events j
        {"WHERE " + " AND ".join(where) if where else ""}
    )"""
    # Pairing rows by position needs every event of a case and DuckDB's kept
    # insertion order; a filtered log pairs through window functions instead.
    positional = conn.dialect == "duckdb" and not where
    path_column = ""
    if not where and conn.table_exists(PATHS_TABLE):
        path_column = f"{PATHS_TABLE}.{opts.level}_path"
    return EventLog(
        conn, source, tuple(params), _COLUMNS,
        description=f"workspace journeys ({opts.level}, split by {opts.split})",
        order="pos", prepared=positional, path_column=path_column,
    )  # fmt: skip


def _live_log(conn: Connection, opts: JourneyOptions) -> EventLog:
    where, params = ["1 = 1"], []
    if opts.since:
        where.append("i.occurred_at >= CAST(? AS TIMESTAMPTZ)")
        params.append(opts.since)
    if opts.until:
        where.append("i.occurred_at < CAST(? AS TIMESTAMPTZ)")
        params.append(opts.until)
    if opts.segment:
        where.append("c.segment = ?")
        params.append(opts.segment)
    base = f"""
        SELECT i.customer_id, i.interaction_id, i.touchpoint_id,
               i.occurred_at AS ts, i.interaction_id AS ord, i.type, i.outcome,
               t.channel, t.medium, t.stage, c.segment,
               CAST(NULL AS TEXT) AS resource,
               {_ACTIVITY[opts.level]} AS activity
        FROM interactions i
        LEFT JOIN touchpoints t ON t.touchpoint_id = i.touchpoint_id
        LEFT JOIN customers c ON c.customer_id = i.customer_id
        WHERE {" AND ".join(where)}"""
    if opts.split == "gap":
        gap_s = float(opts.gap_hours) * 3600.0
        boundary = (
            "CASE WHEN lag(ts) OVER w IS NULL OR "
            "CAST(extract(epoch FROM ts) AS DOUBLE PRECISION) - "
            "CAST(extract(epoch FROM lag(ts) OVER w) AS DOUBLE PRECISION) "
            f"> {gap_s!r} THEN 1 ELSE 0 END"
        )
    else:
        boundary = (
            f"CASE WHEN lag(ts) OVER w IS NULL OR lag({IS_PURCHASE}) OVER w "
            "THEN 1 ELSE 0 END"
        )
    source = f"""(
        SELECT f.*, f.customer_id || '#' || CAST(sum(f.new_journey) OVER (
                   PARTITION BY f.customer_id ORDER BY f.ts, f.ord
                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS TEXT)
               AS case_id
        FROM (
            SELECT b.*, {boundary} AS new_journey
            FROM ({base}) b
            WINDOW w AS (PARTITION BY b.customer_id ORDER BY b.ts, b.ord)
        ) f
    )"""
    return EventLog(
        conn, source, tuple(params), _COLUMNS,
        description=f"workspace journeys ({opts.level}, split by {opts.split})",
    )  # fmt: skip


@contextmanager
def open_workspace_log(
    store: Store, options: JourneyOptions | None = None
) -> Iterator[EventLog]:
    """A workspace event log on a connection that lives as long as the block."""
    with store.connect() as conn:
        yield workspace_log(conn, options)


# ---------------------------------------------------------------------- files


def _reader(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
        return "read_csv(?, header = true, all_varchar = true)"
    if name.endswith(".parquet"):
        return "read_parquet(?)"
    raise InvalidInput(
        f"{path}: unknown event-log format; use .csv (.csv.gz), .parquet or .xes "
        "(.xes.gz)"
    )


def file_log(
    path: Path | str,
    *,
    case: str = "case:concept:name",
    activity: str = "concept:name",
    timestamp: str = "time:timestamp",
    resource: str | None = None,
) -> EventLog:
    """Load an event-log file into an in-memory DuckDB and describe it.

    Column names default to the XES standard keys, so an XES file (or a CSV
    flattened from one) needs no options.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    con = duckdb.connect(":memory:")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET TimeZone = 'UTC'")
    name = path.name.lower()
    try:
        if name.endswith((".xes", ".xes.gz")):
            from esperia.journey.xes import read_xes

            con.register("raw_in", read_xes(path))
            con.execute("CREATE TABLE raw AS SELECT * FROM raw_in")
            con.unregister("raw_in")
        else:
            con.execute(
                f"CREATE TABLE raw AS SELECT * FROM {_reader(path)}", [str(path)]
            )
    except duckdb.Error as exc:
        raise InvalidInput(f"{path}: cannot read it: {exc}") from None
    names = [r[0] for r in con.execute("DESCRIBE raw").fetchall()]
    wanted = {"--case": case, "--activity": activity, "--timestamp": timestamp}
    if resource:
        wanted["--resource"] = resource
    for option, column in wanted.items():
        if column not in names:
            raise InvalidInput(
                f"{path}: no column {column!r} for {option}; the file has: "
                + ", ".join(names[:30])
            )
    q = _ident
    res = f"CAST({q(resource)} AS TEXT)" if resource else "CAST(NULL AS TEXT)"
    con.execute(
        f"""CREATE TABLE typed AS SELECT
              CAST({q(case)} AS TEXT) AS case_id,
              CAST({q(activity)} AS TEXT) AS activity,
              TRY_CAST({q(timestamp)} AS TIMESTAMPTZ) AS ts,
              CAST({q(timestamp)} AS TEXT) AS ts_raw,
              rowid AS ord, {res} AS resource
            FROM raw"""
    )
    con.execute("DROP TABLE raw")
    bad = con.execute(
        "SELECT ord, ts_raw FROM typed WHERE ts IS NULL AND ts_raw IS NOT NULL "
        "ORDER BY ord LIMIT 1"
    ).fetchone()
    if bad is not None:
        raise InvalidInput(
            f"{path}: row {int(bad[0]) + 1}, column {timestamp!r}: {bad[1]!r} is "
            "not a timestamp (use ISO 8601, e.g. 2024-03-01T10:00:00+01:00)"
        )
    # Sorted once by (case, time, file order) with integer codes: every
    # analysis then orders by ``pos`` and the DFG compares integers.
    con.execute(
        """CREATE TABLE events AS
           WITH ok AS (
               SELECT * FROM typed
               WHERE case_id IS NOT NULL AND activity IS NOT NULL AND ts IS NOT NULL
           ), acts AS (
               SELECT activity,
                      CAST(row_number() OVER (ORDER BY activity) AS INTEGER)
                          AS activity_no
               FROM (SELECT DISTINCT activity FROM ok) a
           )
           SELECT row_number() OVER (ORDER BY ok.case_id, ok.ts, ok.ord) AS pos,
                  CAST(dense_rank() OVER (ORDER BY ok.case_id) AS INTEGER)
                      AS case_no,
                  ok.case_id, ok.activity, acts.activity_no, ok.ts,
                  epoch_us(ok.ts) AS tus, ok.ord, ok.resource,
                  row_number() OVER (PARTITION BY ok.case_id
                                     ORDER BY ok.ts, ok.ord) - 1 AS seq,
                  seq = 0 AS is_first
           FROM ok JOIN acts USING (activity)
           ORDER BY pos"""
    )
    con.execute(
        "CREATE TABLE activities AS SELECT DISTINCT activity_no, activity FROM events"
    )
    total = con.execute("SELECT count(*) FROM typed").fetchone()
    kept = con.execute("SELECT count(*) FROM events").fetchone()
    con.execute("DROP TABLE typed")
    if not kept or not kept[0]:
        raise InvalidInput(f"{path}: no events with a case, an activity and a time")
    skipped = int(total[0]) - int(kept[0]) if total else 0
    note = f" ({skipped} incomplete events skipped)" if skipped else ""
    return EventLog(
        DuckDBConnection(con), "events", (), frozenset({"resource"}),
        description=f"{path.name}{note}", order="pos", prepared=True,
        activity_table="activities",
    )  # fmt: skip


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
