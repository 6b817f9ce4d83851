"""Personas on the demo simulator: stable, versioned, with drift and cards."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from esperia.config import Settings
from esperia.demo import simulate
from esperia.errors import InvalidInput, NotFound
from esperia.ingest import ImportOptions, import_arrow
from esperia.personas import build_personas, list_versions, show_version
from esperia.store import KINDS, Store


def _load(store: Store, settings: Settings, customers: int) -> dict[str, str]:
    data = simulate(customers, seed=11)
    for kind in KINDS:
        import_arrow(store, settings, kind, data.tables[kind], source="test",
                     options=ImportOptions(all_or_nothing=True))  # fmt: skip
    truth = data.ground_truth_customers.to_pydict()
    return dict(zip(truth["customer_id"], truth["persona"], strict=True))


def _labels(store: Store, version: int) -> dict[str, int]:
    with store.connect() as conn:
        rows = conn.fetchall(
            "SELECT customer_id, persona FROM persona_members WHERE version = ?",
            (version,),
        )
    return {str(c): int(p) for c, p in rows}


def test_build_is_stable_versioned_and_reports_drift(
    store: Store, settings: Settings
) -> None:
    with pytest.raises(NotFound):
        show_version(store)
    truth = _load(store, settings, 2_000)
    first = build_personas(store, seed=7)
    second = build_personas(store, seed=7)
    assert first["version"] == 1 and second["version"] == 2
    # Five planted types, found by the BIC elbow without being told.
    assert first["k"] == 5 and first["criterion"] == "bic-elbow"
    bic = {int(c): s for c, s in first["scores"].items()}
    assert set(bic) == set(range(1, 9))
    assert all(bic[c + 1] < bic[c] for c in range(1, 5))  # each of 2..5 helps
    # Same data and seed: identical memberships and names, zero drift.
    assert _labels(store, 1) == _labels(store, 2)
    assert [c["name"] for c in first["personas"]] == [
        c["name"] for c in second["personas"]
    ]
    assert second["drift"]["share_changed"] == 0.0
    assert second["drift"]["customers_in_both"] == 2_000
    # A different k moves customers, and the drift says so.
    third = build_personas(store, seed=7, k=first["k"] + 2)
    assert third["k"] == first["k"] + 2
    assert third["drift"]["share_changed"] > 0.0
    assert [v["version"] for v in list_versions(store)] == [3, 2, 1]
    # Cards: sizes sum to all customers, largest first, revenue shares sum to 1.
    cards = first["personas"]
    assert sum(c["size"] for c in cards) == 2_000
    assert [c["size"] for c in cards] == sorted(
        (c["size"] for c in cards), reverse=True
    )
    assert sum(c["share_revenue"] for c in cards) == pytest.approx(1.0, abs=1e-3)
    assert all(c["name"]["it"] and c["name"]["en"] for c in cards)
    assert all(c["channels"] and c["sets_apart"] for c in cards)
    # Planted types recovered: the bar is an adjusted Rand index of 0.7
    # (0.38 with k-means on shares; 0.79 here, 0.83 on the 20,000 demo).
    labels = _labels(store, 1)
    ids = sorted(labels)
    ari = adjusted_rand_score([truth[i] for i in ids], [labels[i] for i in ids])
    assert ari >= 0.7, ari
    # Every member has a confidence; customers with fewer than three direct
    # contacts plus orders are flagged, and they are the less certain ones.
    with store.connect() as conn:
        rows = conn.fetchall(
            "SELECT m.low_activity, avg(m.confidence), count(*), "
            "count(m.confidence) FROM persona_members m WHERE m.version = 1 "
            "GROUP BY m.low_activity ORDER BY m.low_activity"
        )
    flags = {bool(r[0]): (float(r[1]), int(r[2]), int(r[3])) for r in rows}
    assert set(flags) == {False, True}
    assert all(n == with_conf for _, n, with_conf in flags.values())
    assert flags[True][0] < flags[False][0] <= 1.0
    assert sum(c["model"]["low_activity"] for c in cards) == flags[True][1]


def test_user_k_is_validated(store: Store, settings: Settings) -> None:
    _load(store, settings, 1_000)
    with pytest.raises(InvalidInput):
        build_personas(store, k=1)
    result = build_personas(store, k=4, seed=1)
    assert result["k"] == 4 and result["criterion"] == "user"
    assert len(result["personas"]) == 4
    assert np.isclose(sum(c["share_customers"] for c in result["personas"]), 1.0)
