"""Build, store, list and show persona versions; drift between versions."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
from scipy.optimize import linear_sum_assignment

from esperia.errors import NotFound
from esperia.personas.cards import build_cards
from esperia.personas.features import compute_features
from esperia.personas.mixture import MixtureData, prepare
from esperia.personas.model import FIT_SAMPLE, Clustering, cluster
from esperia.store.database import Connection, Store

__all__ = ["build_personas", "list_versions", "show_persona", "show_version"]

Progress = Callable[[str, float], None]


def _drift(conn: Connection, previous: int, version: int, k: int) -> dict[str, Any]:
    """Membership moves from ``previous``: each new persona is matched to the
    old one it shares most customers with (Hungarian assignment on overlap)."""
    pairs = conn.fetchall(
        "SELECT o.persona, n.persona, count(*) FROM persona_members o "
        "JOIN persona_members n ON n.customer_id = o.customer_id "
        "WHERE o.version = ? AND n.version = ? GROUP BY o.persona, n.persona",
        (previous, version),
    )
    k_old = int(
        conn.scalar("SELECT k FROM persona_versions WHERE version = ?", (previous,))
        or 0
    )
    matrix = np.zeros((max(k_old, 1), k), dtype=np.int64)
    for old, new, n in pairs:
        if int(old) < matrix.shape[0]:
            matrix[int(old), int(new)] = int(n)
    rows, cols = linear_sum_assignment(-matrix.T)
    match = {int(r): int(c) for r, c in zip(rows, cols, strict=True)}
    both = int(matrix.sum())
    stayed = sum(int(matrix[old, new]) for new, old in match.items())
    return {
        "previous_version": previous,
        "matched": {str(new): old for new, old in match.items()},
        "transitions": matrix.tolist(),
        "customers_in_both": both,
        "share_changed": round(1.0 - stayed / both, 4) if both else None,
    }


def _model_card(data: MixtureData, result: Clustering, persona: int) -> dict[str, Any]:
    """What the model learnt for one persona, in readable units."""
    model = result.model
    mine = result.labels == persona
    return {
        "weight": round(float(np.exp(model.log_weight[persona])), 4),
        "traits": {
            n: round(float(model.mean[persona, j]), 3)
            for j, n in enumerate(data.trait_names)
        },
        "confidence_mean": round(float(result.confidence[mine].mean()), 4)
        if mine.any()
        else None,
        "low_activity": int((mine & result.low_activity).sum()),
    }


def build_personas(
    store: Store, *, seed: int = 42, k: int | None = None,
    k_range: tuple[int, int] = (2, 8), sample: int = FIT_SAMPLE,
    progress: Progress | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Compute features, cluster, store a new version with its cards and drift."""

    def step(what: str, fraction: float) -> None:
        if progress is not None:
            progress(what, fraction)

    step("computing features", 0.0)
    with store.connect() as conn:
        frame = compute_features(conn)
    if len(frame) == 0:
        raise NotFound("no customers in the workspace: import customers first")
    step("preparing the model's view", 0.25)
    data = prepare(frame)
    result = cluster(
        data, seed=seed, k=k, k_range=k_range, sample=sample, progress=step
    )
    features = data.count_names + data.trait_names + data.onehot_names
    step("storing the version", 0.85)
    members = pa.table({
        "customer_id": pa.array(frame.customer_ids.astype(str)),
        "persona": pa.array(result.labels, pa.int32()),
        "confidence": pa.array(result.confidence, pa.float32()),
        "low_activity": pa.array(result.low_activity, pa.bool_()),
    })  # fmt: skip
    with store.write_lock, store.connect() as conn, conn.transaction():
        version = (
            int(conn.scalar("SELECT coalesce(max(version), 0) FROM persona_versions"))
            + 1
        )
        previous = version - 1 if version > 1 else None
        conn.load_arrow("_persona_members_in", members)
        conn.execute(
            "INSERT INTO persona_members (version, customer_id, persona, "
            "confidence, low_activity) SELECT ?, customer_id, persona, confidence, "
            "low_activity FROM _persona_members_in",
            (version,),
        )
        conn.execute("DROP TABLE _persona_members_in")
        step("writing the cards", 0.92)
        cards = build_cards(conn, frame, result.labels, result.k, version)
        drift = _drift(conn, previous, version, result.k) if previous else None
        conn.execute(
            "INSERT INTO persona_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (version, datetime.now(UTC), result.k, seed, result.criterion, len(frame),
             json.dumps(features), json.dumps(result.scores),
             json.dumps(drift) if drift else None),
        )  # fmt: skip
        for card in cards:
            card["model"] = _model_card(data, result, card["persona"])
            conn.execute(
                "INSERT INTO personas VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (version, card["persona"], card["name"]["it"], card["name"]["en"],
                 card["size"], card["share_customers"], card["share_revenue"],
                 json.dumps(card, ensure_ascii=False)),
            )  # fmt: skip
    step("done", 1.0)
    return show_version(store, version)


def list_versions(store: Store) -> list[dict[str, Any]]:
    """Every stored version, newest first."""
    with store.connect() as conn:
        rows = conn.fetch_dicts(
            "SELECT version, built_at, k, seed, criterion, customers, drift "
            "FROM persona_versions ORDER BY version DESC"
        )
    for row in rows:
        drift = json.loads(row.pop("drift")) if row["drift"] else None
        row["share_changed"] = drift["share_changed"] if drift else None
        row["built_at"] = row["built_at"].isoformat()
    return rows


def show_version(store: Store, version: int | None = None) -> dict[str, Any]:
    """A version (default: the newest) with its cards."""
    with store.connect() as conn:
        if version is None:
            version = conn.scalar("SELECT max(version) FROM persona_versions")
            if version is None:
                raise NotFound("no personas yet: run `esperia personas build`")
        head = conn.fetch_dicts(
            "SELECT * FROM persona_versions WHERE version = ?", (int(version),)
        )
        if not head:
            raise NotFound(f"persona version {version} does not exist")
        cards = [
            json.loads(r[0])
            for r in conn.fetchall(
                "SELECT card FROM personas WHERE version = ? ORDER BY persona",
                (int(version),),
            )
        ]
    info = head[0]
    return {
        "version": int(info["version"]),
        "built_at": info["built_at"].isoformat(),
        "k": int(info["k"]),
        "seed": int(info["seed"]),
        "criterion": info["criterion"],
        "customers": int(info["customers"]),
        "features": json.loads(info["features"]),
        "scores": json.loads(info["scores"] or "{}"),
        "drift": json.loads(info["drift"]) if info["drift"] else None,
        "personas": cards,
    }


def show_persona(store: Store, version: int, persona: int) -> dict[str, Any]:
    """One persona's card in a version, with the version's header."""
    with store.connect() as conn:
        row = conn.fetchall(
            "SELECT card FROM personas WHERE version = ? AND persona = ?",
            (int(version), int(persona)),
        )
    if not row:
        raise NotFound(f"persona {persona} of version {version} does not exist")
    card: dict[str, Any] = json.loads(row[0][0])
    card["version"] = int(version)
    return card
