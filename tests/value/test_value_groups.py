"""Stored CLV summarised per segment, persona and touchpoint, on both engines."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from esperia.config import Settings
from esperia.demo import DemoData
from esperia.errors import InvalidInput, NotFound
from esperia.store import Store
from esperia.value.groups import clv_by_group
from esperia.value.service import customer_values, predict_workspace

Loader = Callable[[Store, Settings, tuple[str, ...]], None]


def test_clv_by_segment_persona_touchpoint(
    store: Store, settings: Settings, load_demo: Loader, demo_small: DemoData
) -> None:
    load_demo(store, settings, ("customers", "touchpoints", "interactions", "orders"))
    with pytest.raises(NotFound, match="clv predict"):
        clv_by_group(store, "segment")
    predict_workspace(store, settings)
    values = customer_values(store, limit=100_000)
    clv = {str(v["customer_id"]): float(v["clv"]) for v in values}

    seg = clv_by_group(store, "segment")
    customers = demo_small.tables["customers"]
    segment_of = dict(
        zip(customers["customer_id"].to_pylist(), customers["segment"].to_pylist(),
            strict=True)
    )  # fmt: skip
    for g in seg["groups"]:
        mine = [c for c in clv if (segment_of[c] or "") == g["key"]]
        assert g["customers"] == len(mine)
        assert g["clv_total"] == pytest.approx(sum(clv[c] for c in mine))
    assert sum(g["customers"] for g in seg["groups"]) == len(clv)
    assert seg["total"]["clv_total"] == pytest.approx(sum(clv.values()))
    assert not seg["overlapping"]

    tp = {g["key"]: g for g in clv_by_group(store, "touchpoint")["groups"]}
    inter = demo_small.tables["interactions"]
    orders = demo_small.tables["orders"]
    web = set(
        np.array(inter["customer_id"].to_pylist())[
            np.array(inter["touchpoint_id"].to_pylist()) == "TP-WEB"
        ]
    ) | set(
        np.array(orders["customer_id"].to_pylist())[
            np.array(orders["touchpoint_id"].to_pylist(), dtype=object) == "TP-WEB"
        ]
    )
    valued_web = web & set(clv)
    assert tp["TP-WEB"]["customers"] == len(valued_web)
    assert tp["TP-WEB"]["clv_total"] == pytest.approx(sum(clv[c] for c in valued_web))

    with pytest.raises(NotFound, match="personas build"):
        clv_by_group(store, "persona")
    with pytest.raises(InvalidInput):
        clv_by_group(store, "city")  # type: ignore[arg-type]


def test_clv_by_persona(
    duckdb_store: Store, duckdb_settings: Settings, load_demo: Loader
) -> None:
    from esperia.personas import build_personas

    load_demo(
        duckdb_store, duckdb_settings,
        ("customers", "touchpoints", "interactions", "orders", "feedback"),
    )  # fmt: skip
    predict_workspace(duckdb_store, duckdb_settings)
    build_personas(duckdb_store, seed=42)
    data = clv_by_group(duckdb_store, "persona")
    assert len(data["groups"]) >= 2
    assert all(g["name"] and g["name_it"] for g in data["groups"])
    # Personas partition the valued customers.
    assert sum(g["customers"] for g in data["groups"]) == data["total"]["customers"]
    means = [g["clv_mean"] for g in data["groups"]]
    assert max(means) > 1.5 * min(means)  # personas differ in value
