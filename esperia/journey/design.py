"""The designed journey and how real journeys conform to it.

A design (YAML) lists ordered steps; each step matches one or more activities
(touchpoints, channels or stages, by ``level``), may be ``optional`` and may
promise a time (``within_hours``) since the previous step. For every journey
that touches the design, per step (all in SQL):

- **skipped** — a required step never happens;
- **out of order** — the step's first occurrence comes before the previous
  present step's first occurrence;
- **late** — it comes later than the step's ``within_hours`` promise;
- **repeated** — it happens more than once (loops and repetitions).

**Fitness** is the mean step score over required steps plus present optional
steps: 1 for a step done in order and on time, 0.5 for one done out of order
or late, 0 for a skipped required step. Repetitions are reported, not scored.
Deviation types are then ranked by harm: the churn rate (no activity within
the horizon after the journey) and the feedback score after the journey, each
compared with journeys without that deviation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from esperia.errors import InvalidInput
from esperia.journey.eventlog import ACTIVITY_LEVELS, EventLog
from esperia.journey.flows import epoch_seconds

__all__ = ["Design", "DesignStep", "conformance", "load_design"]

_COLUMN = {"touchpoint": "touchpoint_id", "channel": "channel", "stage": "stage"}


@dataclass(frozen=True)
class DesignStep:
    name: str
    activities: tuple[str, ...]
    optional: bool = False
    within_hours: float | None = None


@dataclass(frozen=True)
class Design:
    name: str
    level: str
    steps: tuple[DesignStep, ...]


def load_design(source: Path | str | dict[str, Any]) -> Design:
    """Read and check a design (a YAML file, YAML text or a parsed mapping)."""
    where = "the design"
    if isinstance(source, dict):
        data: Any = source
    else:
        text = str(source)
        path = Path(text) if "\n" not in text else None
        if path is not None and path.is_file():
            where, text = str(path), path.read_text(encoding="utf-8")
        elif path is not None and text.endswith((".yaml", ".yml")):
            raise InvalidInput(f"{text}: no such design file")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidInput(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise InvalidInput(f"{where}: needs a `steps:` list")
    level = str(data.get("level", "touchpoint"))
    if level not in ACTIVITY_LEVELS:
        raise InvalidInput(
            f"{where}: level {level!r}: use touchpoint, channel or stage"
        )
    steps = []
    for i, raw in enumerate(data["steps"], 1):
        if isinstance(raw, str):
            raw = {"name": raw}
        if not isinstance(raw, dict) or not raw.get("name"):
            raise InvalidInput(f"{where}: step {i} needs a `name`")
        acts = raw.get("activities") or [raw["name"]]
        if isinstance(acts, str):
            acts = [acts]
        within = raw.get("within_hours")
        if within is not None and (not isinstance(within, int | float) or within <= 0):
            raise InvalidInput(f"{where}: step {i} `within_hours` must be a number > 0")
        steps.append(
            DesignStep(
                name=str(raw["name"]),
                activities=tuple(str(a) for a in acts),
                optional=bool(raw.get("optional", False)),
                within_hours=None if within is None else float(within),
            )
        )
    if len(steps) < 2:
        raise InvalidInput(f"{where}: a design needs at least two steps")
    if all(s.optional for s in steps):
        raise InvalidInput(f"{where}: at least one step must be required")
    seen: set[str] = set()
    for step in steps:
        dup = seen.intersection(step.activities)
        if dup:
            raise InvalidInput(f"{where}: {sorted(dup)[0]!r} belongs to two steps")
        seen.update(step.activities)
    return Design(str(data.get("name", "designed journey")), level, tuple(steps))


def conformance(
    log: EventLog, design: Design, *, horizon_days: int = 90, limit: int = 20
) -> dict[str, Any]:
    """Conformance of every journey touching ``design``, and deviations by harm."""
    column = _COLUMN[design.level]
    if not log.has(column):
        column = "activity"  # a file log: steps name activities
    values, params = [], []
    for idx, step in enumerate(design.steps):
        for act in step.activities:
            values.append("(?, CAST(? AS INTEGER))")
            params.extend([act, idx])
    steps_sql = []
    for idx, step in enumerate(design.steps):
        within = "NULL" if step.within_hours is None else repr(step.within_hours * 3600)
        steps_sql.append(
            f"SELECT CAST({idx} AS INTEGER) AS idx, "
            f"{'TRUE' if step.optional else 'FALSE'} AS optional, "
            f"CAST({within} AS DOUBLE PRECISION) AS within_s"
        )
    e = lambda x: epoch_seconds(log, x)  # noqa: E731
    key = "case_id"
    has_customer = log.has("customer_id")
    cust = "log_.customer_id" if has_customer else "CAST(NULL AS TEXT)"
    horizon_s = float(horizon_days) * 86400.0
    sql = f"""
        WITH map AS (SELECT * FROM (VALUES {", ".join(values)}) AS m(act, idx)),
        design AS ({" UNION ALL ".join(steps_sql)}),
        matched AS (
            SELECT log_.{key} AS k, {cust} AS customer_id, log_.ts, m.idx
            FROM {{log}} JOIN map m ON m.act = log_.{column}
        ),
        per_step AS (
            SELECT k, idx, min(ts) AS first_ts, count(*) AS n
            FROM matched GROUP BY k, idx
        ),
        cases AS (SELECT k, min(customer_id) AS customer_id, max(ts) AS ended_at
                  FROM matched GROUP BY k),
        grid AS (
            SELECT c.k, d.idx, d.optional, d.within_s, p.first_ts, p.n,
                   max(CASE WHEN p.first_ts IS NOT NULL THEN d.idx END) OVER (
                       PARTITION BY c.k ORDER BY d.idx
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_idx
            FROM cases c CROSS JOIN design d
            LEFT JOIN per_step p ON p.k = c.k AND p.idx = d.idx
        ),
        judged AS (
            SELECT g.*, pp.first_ts AS prev_ts,
                   CASE WHEN g.first_ts IS NULL AND NOT g.optional THEN 1 ELSE 0 END
                       AS skipped,
                   CASE WHEN g.first_ts IS NOT NULL AND pp.first_ts IS NOT NULL
                             AND g.first_ts < pp.first_ts THEN 1 ELSE 0 END
                       AS out_of_order,
                   CASE WHEN g.first_ts IS NOT NULL AND pp.first_ts IS NOT NULL
                             AND g.within_s IS NOT NULL
                             AND {e("g.first_ts")} - {e("pp.first_ts")} > g.within_s
                        THEN 1 ELSE 0 END AS late,
                   CASE WHEN g.n > 1 THEN g.n - 1 ELSE 0 END AS repeats
            FROM grid g
            LEFT JOIN per_step pp ON pp.k = g.k AND pp.idx = g.prev_idx
        ),
        scored AS (
            SELECT j.*,
                   CASE WHEN j.first_ts IS NULL THEN
                            CASE WHEN j.optional THEN NULL ELSE 0.0 END
                        WHEN j.out_of_order = 1 OR j.late = 1 THEN 0.5
                        ELSE 1.0 END AS score
            FROM judged j
        )
        SELECT s.k, s.idx, s.skipped, s.out_of_order, s.late, s.repeats, s.score,
               c.customer_id, c.ended_at
        FROM scored s JOIN cases c ON c.k = s.k
        ORDER BY s.k, s.idx"""
    rows = log.rows(sql, tuple(params))
    cases: dict[str, dict[str, Any]] = {}
    step_totals: list[dict[str, Any]] = [
        {"step": s.name, "skipped": 0, "out_of_order": 0, "late": 0, "repeats": 0}
        for s in design.steps
    ]
    for k, idx, skipped, ooo, late, repeats, score, customer, ended in rows:
        case = cases.setdefault(
            k,
            {"case_id": k, "customer_id": customer, "ended_at": ended, "scores": [],
             "skipped": [], "out_of_order": [], "late": [], "repeats": 0},
        )  # fmt: skip
        name = design.steps[int(idx)].name
        totals = step_totals[int(idx)]
        if score is not None:
            case["scores"].append(float(score))
        for flag, value in (
            ("skipped", skipped),
            ("out_of_order", ooo),
            ("late", late),
        ):
            if int(value):
                case[flag].append(name)
                totals[flag] += 1
        case["repeats"] += int(repeats)
        totals["repeats"] += int(repeats)
    journeys = []
    for case in cases.values():
        scores = case.pop("scores")
        case["fitness"] = round(sum(scores) / len(scores), 4) if scores else 0.0
        journeys.append(case)
    harm = _deviation_harm(log, journeys, horizon_s) if has_customer else []
    n = len(journeys)
    return {
        "design": design.name,
        "level": design.level,
        "journeys": n,
        "mean_fitness": round(sum(j["fitness"] for j in journeys) / n, 4)
        if n
        else None,
        "perfect_share": round(sum(j["fitness"] == 1.0 for j in journeys) / n, 4)
        if n
        else None,
        "steps": step_totals,
        "deviations": harm,
        "worst_journeys": [
            {**j, "ended_at": str(j["ended_at"])}
            for j in sorted(journeys, key=lambda j: (j["fitness"], str(j["case_id"])))[
                :limit
            ]
        ],
    }


def _deviation_harm(
    log: EventLog, journeys: list[dict[str, Any]], horizon_s: float
) -> list[dict[str, Any]]:
    """Churn and feedback after journeys with each deviation vs. without any."""
    if not journeys:
        return []
    conn = log.conn
    table = [
        (j["case_id"], j["customer_id"], j["ended_at"],
         int(bool(j["skipped"])), int(bool(j["out_of_order"])), int(bool(j["late"])),
         int(j["repeats"] > 0))
        for j in journeys
    ]  # fmt: skip
    import pyarrow as pa

    conn.load_arrow(
        "conformance_cases",
        pa.table(
            {
                "k": [t[0] for t in table],
                "customer_id": [t[1] for t in table],
                "ended_at": pa.array([t[2] for t in table]),
                "skipped": [t[3] for t in table],
                "out_of_order": [t[4] for t in table],
                "late": [t[5] for t in table],
                "repeated": [t[6] for t in table],
            }
        ),
    )
    e = lambda x: epoch_seconds(log, x)  # noqa: E731
    rows = conn.fetch_dicts(
        f"""
        WITH cut AS (SELECT max(occurred_at) AS end_at FROM interactions),
        outcome AS (
            SELECT c.*,
                   CASE WHEN EXISTS (
                       SELECT 1 FROM interactions i WHERE i.customer_id = c.customer_id
                         AND i.occurred_at > c.ended_at
                         AND {e("i.occurred_at")} - {e("c.ended_at")} <= {horizon_s!r}
                   ) THEN 0.0 ELSE 1.0 END AS churned,
                   (SELECT avg(CASE WHEN f.nps IS NOT NULL THEN f.nps / 10.0
                                    WHEN f.csat IS NOT NULL THEN (f.csat - 1) / 4.0
                                    WHEN f.rating IS NOT NULL THEN (f.rating - 1) / 4.0
                               END)
                    FROM feedback f WHERE f.customer_id = c.customer_id
                      AND f.received_at >= c.ended_at
                      AND {e("f.received_at")} - {e("c.ended_at")} <= 5184000.0)
                       AS score_after
            FROM conformance_cases c CROSS JOIN cut
            WHERE {e("cut.end_at")} - {e("c.ended_at")} > {horizon_s!r}
        )
        SELECT 'skipped' AS deviation, skipped AS flag, count(*) AS n,
               avg(churned) AS churn, avg(score_after) AS score FROM outcome GROUP BY 2
        UNION ALL
        SELECT 'out_of_order', out_of_order, count(*), avg(churned), avg(score_after)
        FROM outcome GROUP BY 2
        UNION ALL
        SELECT 'late', late, count(*), avg(churned), avg(score_after)
        FROM outcome GROUP BY 2
        UNION ALL
        SELECT 'repeated', repeated, count(*), avg(churned), avg(score_after)
        FROM outcome GROUP BY 2"""
    )
    by = {(r["deviation"], int(r["flag"])): r for r in rows}
    out: list[dict[str, Any]] = []
    for deviation in ("skipped", "out_of_order", "late", "repeated"):
        yes, no = by.get((deviation, 1)), by.get((deviation, 0))
        if not yes or not no:
            continue
        churn_up = float(yes["churn"]) - float(no["churn"])
        score_drop = None
        if yes["score"] is not None and no["score"] is not None:
            score_drop = float(no["score"]) - float(yes["score"])
        out.append(
            {
                "deviation": deviation,
                "journeys": int(yes["n"]),
                "churn": round(float(yes["churn"]), 4),
                "churn_without": round(float(no["churn"]), 4),
                "churn_increase": round(churn_up, 4),
                "satisfaction_drop": None
                if score_drop is None
                else round(score_drop, 4),
                "harm": round(churn_up + (score_drop or 0.0), 4),
            }
        )
    out.sort(key=lambda d: -float(d["harm"]))
    return out
