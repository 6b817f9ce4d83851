"""Pyramid, modules, value and promise gaps, drivers: hand-checked, both engines."""

from __future__ import annotations

import math

import pytest
from scipy import stats as sps
from support.metrics_table import WEB_FEB, insert, load_table

from esperia.ingest import import_records
from esperia.metrics import (
    Query,
    drivers,
    modules,
    promise_gaps,
    pyramid,
    value_gaps,
)


@pytest.fixture
def loaded(store, settings):  # type: ignore[no-untyped-def]
    load_table(store, settings)
    items = [
        ("F001", "pyramid.needs", 5), ("F001", "pyramid.ease", 4),
        ("F001", "pyramid.enjoyment", 5),
        ("F002", "pyramid.needs", 2), ("F002", "pyramid.ease", 5),
        ("F002", "pyramid.enjoyment", 5),
        ("F003", "pyramid.needs", 4), ("F003", "pyramid.ease", 2),
        ("F003", "pyramid.enjoyment", 5),
        ("F001", "module.sense", 5), ("F002", "module.sense", 2),
    ]  # fmt: skip
    rows = [(f, item, float(v), 1.0, 5.0, None) for f, item, v in items]
    pairs = [("F001", 6, 4), ("F002", 5, 5), ("F003", 7, 4), ("F004", 6, 5)]
    for fid, expected, perceived in pairs:
        rows.append((fid, "expectation.speed", float(expected), 1.0, 7.0, None))
        rows.append((fid, "perception.speed", float(perceived), 1.0, 7.0, None))
    rows.append(("F005", "perception.speed", 3.0, 1.0, 7.0, None))  # unpaired
    insert(store, "feedback_items", rows)
    insert(store, "feedback_aspects", [
        ("F011", 0, "range", 0.6, "positive", "needs"),
        ("F012", 0, "range", -0.8, "negative", "needs"),
    ])  # fmt: skip
    insert(store, "feedback_text", [
        (f, "it", 0.0, "neutral", None, None, None, None, None, 1, "test",
         "2025-03-01T00:00:00+00:00")
        for f in ("F011", "F012", "F013", "F014")
    ])  # fmt: skip
    insert(store, "feedback_modules", [
        ("F011", "relate", 0.8), ("F012", "relate", 0.4), ("F013", "sense", -0.6),
    ])  # fmt: skip
    return store


def test_pyramid_levels_sources_and_gate(loaded) -> None:  # type: ignore[no-untyped-def]
    rows = pyramid(loaded, Query(by=("touchpoint",)), threshold=0.6)
    got = {(r["touchpoint"], r["level"]): r for r in rows}
    needs = got[("TP-SHOP", "needs")]
    assert needs["based_on"] == "items" and needs["n"] == 3
    assert needs["pyramid"] == pytest.approx(round((100 + 25 + 75) / 3, 2))
    assert needs["reached"] == pytest.approx(66.67)
    assert got[("TP-SHOP", "ease")]["reached"] == pytest.approx(33.33)
    assert got[("TP-SHOP", "enjoyment")]["reached"] == pytest.approx(33.33)
    assert got[("TP-SHOP", "enjoyment")]["pyramid"] == pytest.approx(100.0)
    assert needs["broken_at"] is None
    # The web has no items: needs from text (0.6 → 80, -0.8 → 10), ease from CES.
    web_needs = got[("TP-WEB", "needs")]
    assert web_needs["based_on"] == "text" and web_needs["pyramid"] == 45.0
    assert web_needs["holds"] is False and web_needs["broken_at"] == "needs"
    web_ease = got[("TP-WEB", "ease")]
    ces = [a[2] for a in WEB_FEB]
    assert web_ease["based_on"] == "proxy"
    assert web_ease["pyramid"] == pytest.approx(
        round(sum((c - 1) / 6 * 100 for c in ces) / len(ces), 2)
    )
    assert web_ease["broken_at"] == "needs"  # gated: it broke below


def test_module_profile_from_items_and_text(loaded) -> None:  # type: ignore[no-untyped-def]
    rows = modules(loaded, Query(by=("touchpoint",)), threshold=0.6)
    got = {(r["touchpoint"], r["module"], r["based_on"]): r for r in rows}
    sense = got[("TP-SHOP", "sense", "items")]
    assert sense["n"] == 2 and sense["modules"] == 50.0
    assert sense["felt"] == pytest.approx(0.25)
    relate = got[("TP-WEB", "relate", "text")]
    assert relate["n"] == 4 and relate["mentions"] == 2
    assert relate["modules"] == 50.0 and relate["felt"] == pytest.approx(0.6)
    assert got[("TP-WEB", "sense", "text")]["modules"] == 25.0


def test_value_gap_is_paired_with_a_t_test(loaded) -> None:  # type: ignore[no-untyped-def]
    (row,) = value_gaps(loaded, Query())
    diffs = [-2, 0, -3, -1]
    assert row["dimension"] == "speed" and row["n"] == 4
    assert row["gap"] == pytest.approx(-1.5)
    assert row["expectation"] == pytest.approx(6.0)
    assert row["perception"] == pytest.approx(4.5)
    t = -1.5 / math.sqrt((5 / 3) / 4)
    assert row["p_value"] == pytest.approx(2 * sps.t.sf(abs(t), 3), abs=1e-3)
    assert row["significant"] is False
    assert sum(diffs) / 4 == row["gap"]


def test_promise_gaps_on_columns_and_properties(loaded, settings) -> None:  # type: ignore[no-untyped-def]
    import_records(loaded, settings, "touchpoints", [
        {"touchpoint_id": "TP-DEL", "name": "Courier", "channel": "delivery",
         "stage": "delivery", "promise_metric": "delivery_hours",
         "promise_target": 48},
    ])  # fmt: skip
    rows = [
        {"interaction_id": f"I{i}", "customer_id": "C1", "touchpoint_id": tp,
         "occurred_at": "2025-02-03T10:00:00+01:00", **extra}
        for i, (tp, extra) in enumerate([
            ("TP-WEB", {"wait_s": 30}), ("TP-WEB", {"wait_s": 90}),
            ("TP-WEB", {"wait_s": 400}), ("TP-WEB", {}),
            ("TP-DEL", {"delivery_hours": 30}), ("TP-DEL", {"delivery_hours": 50}),
        ])
    ]  # fmt: skip
    summary = import_records(loaded, settings, "interactions", rows)
    assert summary.rejected == 0
    import_records(loaded, settings, "feedback", [
        {"feedback_id": f"G{i}", "received_at": "2025-02-04T10:00:00+01:00",
         "source": "survey", "interaction_id": f"I{i}", "ces": ces}
        for i, ces in ((0, 7), (1, 6), (2, 2))
    ])  # fmt: skip
    got = {r["touchpoint"]: r for r in promise_gaps(loaded, Query())}
    web = got["TP-WEB"]
    assert web["n"] == 3 and web["kept"] == pytest.approx(33.33)
    assert web["median_actual"] == 90.0 and web["n_ces"] == 3
    assert web["ces_kept"] == 7.0 and web["ces_broken"] == 4.0
    # Least squares of CES on seconds beyond 60: x = 0, 30, 340.
    x, y = [0.0, 30.0, 340.0], [7.0, 6.0, 2.0]
    mx, my = sum(x) / 3, sum(y) / 3
    slope = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True)) / sum(
        (a - mx) ** 2 for a in x
    )
    assert web["ces_per_unit_beyond"] == pytest.approx(slope, abs=1e-5)
    delivery = got["TP-DEL"]
    assert delivery["metric"] == "delivery_hours" and delivery["kept"] == 50.0


def test_item_drivers_add_up(loaded) -> None:  # type: ignore[no-untyped-def]
    rows = drivers(loaded, Query(), target="nps", kind="items", bootstrap=20)
    names = {r["driver"] for r in rows}
    assert {"csat", "ces"} <= names
    assert sum(r["importance"] for r in rows) == pytest.approx(100, abs=0.1)
    assert all(r["quadrant"] in {"fix_first", "strength", "watch", "maintain"}
               for r in rows)  # fmt: skip
    top = rows[0]
    assert top["driver"] in {"csat", "ces"} and top["direction"] == "+"
    assert top["ci_low"] <= top["importance"] <= top["ci_high"]
