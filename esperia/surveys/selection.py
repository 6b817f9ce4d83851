"""Who a trigger invites, decided a column at a time.

The rules (see :mod:`esperia.surveys.invitations`) in three set-wise steps:

1. **SQL** — the candidate interactions with the customer's consent and
   whether an invitation the customer already has (any survey) lies less
   than the minimum gap before or after this one's due time: running maxima
   and minima of the existing due times over the customer's timeline (window
   functions over candidates and existing invitations, ordered by time).
2. **Sampling** — the seeded draw per interaction id (BLAKE2b of seed, survey
   and interaction, as before, so the same interactions are drawn).
3. **The greedy contact rule** between new invitations, in numpy: within a
   customer, taken in time order, an invitation is kept when it is at least
   the gap after the previous *kept* one. Each candidate points to the first
   one of the same customer at least a gap later (one sorted search); the
   kept ones are the chains of pointers from each customer's first candidate,
   followed for all customers at once (as many rounds as the longest chain).

Checking new invitations only against the previous kept one is exact: they
are taken in time order, so every kept one before lies earlier still.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Selection", "candidates_sql", "greedy_spacing", "new_tokens", "select"]

_MAX_UINT64 = float(2**64)


def candidates_sql(where: list[str]) -> str:
    """Candidates in time order, with consent and nearness to existing invitations.

    Parameters, in order: the delay (an interval), the ``where`` values, the
    survey id, then the gap twice.
    """
    return f"""
        WITH cand AS (
          SELECT i.interaction_id, i.customer_id, i.touchpoint_id, i.occurred_at,
                 i.occurred_at + ? AS due_at, c.email, c.language,
                 coalesce(c.consent_marketing, FALSE)
                   AND coalesce(c.consent_analytics, TRUE) AS may_contact
          FROM interactions i JOIN customers c ON c.customer_id = i.customer_id
          WHERE {" AND ".join(where)}
            AND NOT EXISTS (
              SELECT 1 FROM survey_invitations v
              WHERE v.survey_id = ? AND v.interaction_id = i.interaction_id)
        ),
        timeline AS (
          SELECT customer_id, due_at, interaction_id, 0 AS existing
          FROM cand WHERE may_contact
          UNION ALL
          SELECT v.customer_id, v.due_at, NULL, 1 FROM survey_invitations v
          WHERE v.customer_id IN (SELECT customer_id FROM cand WHERE may_contact)
        ),
        around AS (
          SELECT interaction_id, due_at,
                 max(CASE WHEN existing = 1 THEN due_at END) OVER (
                   PARTITION BY customer_id ORDER BY due_at, existing DESC
                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS before,
                 min(CASE WHEN existing = 1 THEN due_at END) OVER (
                   PARTITION BY customer_id ORDER BY due_at, existing DESC
                   ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS after
          FROM timeline
        )
        SELECT c.interaction_id, c.customer_id, c.touchpoint_id, c.due_at, c.email,
               c.language, c.may_contact,
               coalesce(a.due_at - a.before < ?, FALSE)
                 OR coalesce(a.after - a.due_at < ?, FALSE) AS near_existing
        FROM cand c LEFT JOIN around a ON a.interaction_id = c.interaction_id
        ORDER BY c.occurred_at, c.interaction_id
    """


def fetch_table(conn: Any, sql: str, params: list[Any]) -> pa.Table:
    """The result as Arrow columns (DuckDB hands them over; PostgreSQL rows)."""
    names = ("interaction_id", "customer_id", "touchpoint_id", "due_at", "email",
             "language", "may_contact", "near_existing")  # fmt: skip
    if conn.dialect == "duckdb":
        table = conn.raw.sql(sql, params=params).to_arrow_table()
        return table.rename_columns(list(names))
    rows = conn.fetchall(sql, params)
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    types = [pa.string(), pa.string(), pa.string(), pa.timestamp("us", tz="UTC"),
             pa.string(), pa.string(), pa.bool_(), pa.bool_()]  # fmt: skip
    return pa.table(
        [pa.array(list(c), type=t) for c, t in zip(columns, types, strict=True)],
        names=list(names),
    )


def sampled(seed: int, survey_id: str, ids: list[str], share: float) -> np.ndarray:
    """The seeded draw of each interaction id (True: drawn)."""
    if share >= 1:
        return np.ones(len(ids), dtype=bool)
    prefix = f"{seed}:{survey_id}:"
    draws = np.fromiter(
        (
            int.from_bytes(
                hashlib.blake2b(f"{prefix}{i}".encode(), digest_size=8).digest(),
                "big",
            )
            for i in ids
        ),
        dtype=np.float64,
        count=len(ids),
    )
    return draws / _MAX_UINT64 < share


def greedy_spacing(
    customers: np.ndarray, due_us: np.ndarray, gap_us: int
) -> np.ndarray:
    """Kept mask: per customer, in the given (time) order, at least ``gap`` apart."""
    n = len(due_us)
    if n == 0 or gap_us <= 0:
        return np.ones(n, dtype=bool)
    # Stable: equal times keep the input order, as the rule reads them.
    order = np.lexsort((due_us, customers))
    cs = customers[order].astype(np.int64)
    ds = due_us[order].astype(np.int64)
    # Ranks of every time and of every time plus the gap, on one scale.
    _, ranks = np.unique(np.concatenate([ds, ds + gap_us]), return_inverse=True)
    width = int(ranks.max()) + 2
    key = cs * width + ranks[:n]
    nxt = np.searchsorted(key, cs * width + ranks[n:], side="left")
    valid = nxt < n
    valid[valid] = cs[nxt[valid]] == cs[valid]
    nxt = np.where(valid, nxt, -1)
    kept_sorted = np.zeros(n, dtype=bool)
    frontier = np.flatnonzero(np.r_[True, cs[1:] != cs[:-1]])
    while frontier.size:
        kept_sorted[frontier] = True
        frontier = nxt[frontier]
        frontier = frontier[frontier >= 0]
    kept = np.empty(n, dtype=bool)
    kept[order] = kept_sorted
    return kept


def new_tokens(count: int) -> pa.Array:
    """``count`` one-time tokens of 144 random bits, URL-safe (24 characters)."""
    raw = base64.urlsafe_b64encode(os.urandom(18 * count))
    fixed = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(24), count, [None, pa.py_buffer(raw)]
    )
    return fixed.cast(pa.binary()).cast(pa.string())


@dataclass
class Selection:
    """The invitations to create (Arrow columns) and what each rule removed."""

    chosen: pa.Table
    candidates: int
    no_consent: int
    sampled_out: int
    too_frequent: int


def select(
    table: pa.Table,
    *,
    seed: int,
    survey_id: str,
    share: float,
    gap: timedelta,
    languages: tuple[str, ...],
    default_language: str,
) -> Selection:
    """Apply consent, sampling and the contact rule to the fetched candidates."""
    may = table.column("may_contact").to_numpy(zero_copy_only=False).astype(bool)
    ids = table.column("interaction_id")
    draw = np.zeros(len(may), dtype=bool)
    if may.any():
        draw[may] = sampled(
            seed, survey_id, pc.filter(ids, pa.array(may)).to_pylist(), share
        )
    pool = may & draw
    kept = pool.copy()
    gap_us = int(gap / timedelta(microseconds=1))
    if gap_us > 0 and pool.any():
        near = table.column("near_existing").to_numpy(zero_copy_only=False)
        kept &= ~near.astype(bool)
        idx = np.flatnonzero(kept)
        who = table.column("customer_id").take(pa.array(idx)).combine_chunks()
        codes = who.dictionary_encode().indices.to_numpy(zero_copy_only=False)
        due = table.column("due_at").take(pa.array(idx)).cast(pa.int64())
        spaced = greedy_spacing(
            codes, due.to_numpy(zero_copy_only=False).astype(np.int64), gap_us
        )
        kept[idx[~spaced]] = False
    chosen = table.filter(pa.array(kept))
    lang = chosen.column("language")
    known = pc.fill_null(pc.is_in(lang, pa.array(list(languages))), False)
    chosen = pa.table(
        {
            "token": new_tokens(chosen.num_rows),
            "customer_id": chosen.column("customer_id"),
            "interaction_id": chosen.column("interaction_id"),
            "touchpoint_id": chosen.column("touchpoint_id"),
            "email": chosen.column("email"),
            "language": pc.if_else(known, lang, default_language),
            "due_at": chosen.column("due_at").cast(pa.timestamp("us", tz="UTC")),
        }
    )
    return Selection(
        chosen=chosen,
        candidates=len(may),
        no_consent=int((~may).sum()),
        sampled_out=int((may & ~draw).sum()),
        too_frequent=int(pool.sum() - kept.sum()),
    )
