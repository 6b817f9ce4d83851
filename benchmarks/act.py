"""Rules benchmark: Esperia's SQL rule engine against a pandas script.

The workload: the demo bookshop's whole history (every rule's look-back set to
ten years) checked for three conditions: delivery later than the touchpoint's
promise, complaints with no reply in 48 hours, NPS 0-6. The pandas baseline is
what an analyst would write: read the tables into data frames, filter, and
anti-join the complaints with their replies. Both sides must find the same
triggers (checked); Esperia also decides consent, cooldown and duplicates and
writes the cases, which the baseline does not do.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

RULES = """
rules:
  - {id: late, on: interaction, when: {broken_promise: true, stage_in: [delivery]},
     lookback_days: 3650}
  - {id: unanswered, on: interaction, when: {complaint_unanswered_hours: 48},
     lookback_days: 3650}
  - {id: detractor, on: feedback, when: {nps_at_most: 6}, lookback_days: 3650}
"""


def _pandas_triggers(store: Any, as_of: Any) -> tuple[dict[str, set[str]], float]:
    """The baseline: pull the tables, then filter and anti-join in pandas."""
    import pandas as pd

    started = time.perf_counter()
    with store.connect() as conn:
        raw = conn.raw
        inter = raw.execute(
            "SELECT interaction_id, customer_id, touchpoint_id, occurred_at, type, "
            "outcome, TRY_CAST(json_extract_string(properties, '$.delivery_hours') "
            "AS DOUBLE) AS delivery_hours FROM interactions"
        ).df()
        tps = raw.execute(
            "SELECT touchpoint_id, stage, promise_metric, promise_target "
            "FROM touchpoints"
        ).df()
        fb = raw.execute("SELECT feedback_id, customer_id, nps FROM feedback").df()
    m = inter.merge(tps, on="touchpoint_id", how="left")
    late = m[
        (m["stage"] == "delivery")
        & (m["promise_metric"] == "delivery_hours")
        & (m["delivery_hours"] > m["promise_target"])
    ]
    window = pd.Timedelta(hours=48)
    comp = inter[
        (inter["type"] == "complaint")
        & ~inter["outcome"].isin(["resolved", "unresolved", "ok", "answered"])
        & (inter["occurred_at"] + window <= as_of)
    ]
    replies = inter[
        inter["type"].isin(["callback", "reply", "call", "email", "chat"])
        & ~inter["outcome"].isin(["unanswered", "failed"])
    ][["customer_id", "occurred_at"]].rename(columns={"occurred_at": "reply_at"})
    pairs = comp.merge(replies, on="customer_id", how="left")
    answered = pairs[
        (pairs["reply_at"] > pairs["occurred_at"])
        & (pairs["reply_at"] <= pairs["occurred_at"] + window)
    ]["interaction_id"]
    unanswered = comp[~comp["interaction_id"].isin(set(answered))]
    detractors = fb[fb["customer_id"].notna() & (fb["nps"] <= 6)]
    found = {
        "late": set(late["interaction_id"]),
        "unanswered": set(unanswered["interaction_id"]),
        "detractor": set(detractors["feedback_id"]),
    }
    return found, time.perf_counter() - started


def run_act_benchmark(customers: int, repeat: int, log: Any) -> dict[str, Any]:
    from esperia.act.rules import parse_rules, run_rules
    from esperia.config import load_settings
    from esperia.demo import simulate
    from esperia.ingest import ImportOptions, import_arrow
    from esperia.store import KINDS, open_store, upgrade

    data = simulate(customers, seed=42)
    rules = parse_rules(RULES)
    esperia_s: list[float] = []
    pandas_s: list[float] = []
    agree = True
    counts: dict[str, Any] = {}
    for attempt in range(repeat):
        with tempfile.TemporaryDirectory(prefix="esperia-act-bench-") as tmp:
            settings = load_settings(Path(tmp) / "ws")
            store = open_store(settings)
            try:
                upgrade(store)
                for kind in KINDS:
                    options = ImportOptions(all_or_nothing=True)
                    import_arrow(
                        store, settings, kind, data.tables[kind], source="bench",
                        options=options,
                    )  # fmt: skip
                started = time.perf_counter()
                result = run_rules(store, settings, rules=rules)
                esperia_s.append(time.perf_counter() - started)
                started = time.perf_counter()
                second = run_rules(store, settings, rules=rules)
                rerun = time.perf_counter() - started
                with store.connect() as conn:
                    hits = conn.fetchall(
                        "SELECT rule_id, trigger_id FROM act_rule_hits"
                    )
                ours: dict[str, set[str]] = {}
                for rule_id, trigger in hits:
                    ours.setdefault(str(rule_id), set()).add(str(trigger))
                theirs, seconds = _pandas_triggers(store, result.as_of)
                pandas_s.append(seconds)
                agree = agree and all(
                    ours.get(k, set()) == v for k, v in theirs.items()
                )
                counts = {
                    "interactions": data.tables["interactions"].num_rows,
                    "feedback": data.tables["feedback"].num_rows,
                    "matched": result.matched,
                    "cases": result.created,
                    "suppressed": result.suppressed,
                    "rerun_created": second.created,
                    "rerun_seconds": round(rerun, 3),
                    "triggers": {k: len(v) for k, v in theirs.items()},
                }
            finally:
                store.close()
        log(f"  run {attempt + 1}: esperia {esperia_s[-1]:.2f}s, "
            f"pandas {pandas_s[-1]:.2f}s, agree={agree}")  # fmt: skip
    return {
        "customers": customers,
        "esperia_seconds": [round(s, 3) for s in esperia_s],
        "pandas_seconds": [round(s, 3) for s in pandas_s],
        "esperia_median": round(statistics.median(esperia_s), 3),
        "pandas_median": round(statistics.median(pandas_s), 3),
        "same_triggers": agree,
        **counts,
    }
