"""Survey invitations: the trigger rules on a million candidates, two ways.

A DuckDB workspace gets ``candidates`` deliveries in the last 60 days for
``candidates / 5`` customers (80% with marketing consent). Timed side by side:

- **Esperia** — ``create_invitations`` (SQL for the candidates, consent and
  existing invitations; numpy for the gap between new ones), end to end with
  the insert;
- **one by one** — the same rules as a Python loop over the fetched
  candidates (the way they were written first, and the way a script would),
  selection only, without fetching or inserting.

Both must pick the same invitations; the run says so.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

NOW = datetime(2025, 6, 30, 12, tzinfo=UTC)


def _one_by_one(
    rows: list[tuple[Any, ...]], seed: int, survey_id: str, share: float,
    delay: timedelta, gap: timedelta,
) -> set[tuple[str, datetime]]:  # fmt: skip
    dates: dict[str, list[datetime]] = {}
    chosen = set()
    for interaction, customer, occurred, may in rows:
        if not may:
            continue
        key = f"{seed}:{survey_id}:{interaction}".encode()
        draw = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")
        if share < 1 and draw / float(2**64) >= share:
            continue
        due = occurred + delay
        mine = dates.setdefault(customer, [])
        at = bisect.bisect_left(mine, due)
        if any(abs(due - d) < gap for d in mine[max(at - 1, 0) : at + 1]):
            continue
        bisect.insort(mine, due)
        chosen.add((interaction, due))
    return chosen


def run(candidates: int, log: Any) -> dict[str, Any]:
    from esperia.config import load_settings
    from esperia.ingest import import_records
    from esperia.store import open_store, upgrade
    from esperia.surveys import (
        create_invitations,
        get_survey,
        import_examples,
        save_survey,
    )

    customers = max(candidates // 5, 1)
    with tempfile.TemporaryDirectory(prefix="esperia-invitations-") as tmp:
        settings = load_settings(Path(tmp), database_url=None)
        settings = settings.model_copy(update={"survey_min_days_between": 14})
        store = open_store(settings)
        try:
            upgrade(store)
            tps = [{"touchpoint_id": "TP-COURIER", "name": "Courier",
                    "channel": "delivery"}]  # fmt: skip
            import_records(store, settings, "touchpoints", tps)
            with store.connect() as conn:
                conn.execute(
                    "INSERT INTO customers (customer_id, email, consent_marketing) "
                    "SELECT 'c' || i, 'c' || i || '@example.org', i % 5 <> 0 "
                    f"FROM range({customers}) t(i)"
                )
                conn.execute(
                    "INSERT INTO interactions (interaction_id, customer_id, "
                    "touchpoint_id, occurred_at, type) SELECT 'i' || i, "
                    f"'c' || (hash(i) % {customers}), 'TP-COURIER', "
                    "TIMESTAMPTZ '2025-06-29 12:00:00+00' - "
                    "to_seconds((hash(i * 7) % (60 * 86400))::BIGINT), 'delivery' "
                    f"FROM range({candidates}) t(i)"
                )
            import_examples(store)
            survey = get_survey(store, "post-delivery")
            assert survey.trigger is not None
            trigger = dataclasses.replace(survey.trigger, sample=0.7)
            save_survey(store, dataclasses.replace(survey, trigger=trigger))
            since = NOW - timedelta(days=90)
            delay = timedelta(hours=trigger.delay_hours)
            log(f"invitations: {candidates:,} candidates, {customers:,} customers")
            started = time.perf_counter()
            result = create_invitations(
                store, settings, "post-delivery", since=since, now=NOW
            )
            ours = time.perf_counter() - started
            with store.connect() as conn:
                rows = conn.fetchall(
                    "SELECT i.interaction_id, i.customer_id, i.occurred_at, "
                    "coalesce(c.consent_marketing, FALSE) AND "
                    "coalesce(c.consent_analytics, TRUE) FROM interactions i "
                    "JOIN customers c USING (customer_id) WHERE i.occurred_at >= ? "
                    "AND i.occurred_at <= ? ORDER BY i.occurred_at, i.interaction_id",
                    (since, NOW - delay),
                )
                got = set(
                    conn.fetchall(
                        "SELECT interaction_id, due_at FROM survey_invitations "
                        "WHERE survey_id = 'post-delivery'"
                    )
                )
            started = time.perf_counter()
            want = _one_by_one(
                rows, trigger.seed, "post-delivery", 0.7, delay, timedelta(days=14)
            )
            loop = time.perf_counter() - started
        finally:
            store.close()
    same = got == want
    log(
        f"invitations: Esperia {ours:.2f} s (end to end), one-by-one loop "
        f"{loop:.2f} s (selection only); {result.created:,} created; "
        f"same invitations: {'yes' if same else 'NO'}"
    )
    return {
        "candidates": candidates,
        "esperia_s": round(ours, 3),
        "one_by_one_s": round(loop, 3),
        "same": same,
        **result.to_dict(),
    }
