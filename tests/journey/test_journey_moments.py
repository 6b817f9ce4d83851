"""On the demo bookshop, the planted harmful moments come first; designs conform."""

from __future__ import annotations

from pathlib import Path

import pytest

from esperia.config import load_settings
from esperia.demo.build import build_demo
from esperia.errors import InvalidInput
from esperia.journey.design import conformance, load_design
from esperia.journey.eventlog import JourneyOptions, workspace_log
from esperia.journey.moments import experience_index, moments_of_truth
from esperia.journey.service import DEMO_DESIGN
from esperia.store import Store, open_store

PLANTED = {"delivery:late", "complaint:unanswered"}


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("journey-demo")
    build_demo(folder, customers=5000, seed=11)
    store = open_store(load_settings(folder))
    yield store  # type: ignore[misc]
    store.close()


def test_planted_harmful_moments_come_first(demo_store: Store) -> None:
    with demo_store.connect() as conn:
        result = moments_of_truth(conn, horizon_days=90, min_events=20)
    kinds = [m["experience"] for m in result["moments"]]
    # Late deliveries (courier, locker) and unanswered complaints lead the ranking.
    assert set(kinds[:4]) == PLANTED, kinds[:6]
    for m in result["moments"][:4]:
        assert m["retention_drop"] > 0.05 and m["satisfaction_drop"] > 0.1
    # Harmless "bad" outcomes rank below all planted ones.
    planted_harm = min(
        m["harm"] for m in result["moments"] if m["experience"] in PLANTED
    )
    others = [m["harm"] for m in result["moments"] if m["experience"] not in PLANTED]
    assert max(others) < planted_harm


def test_experience_index_reports_both_aucs(demo_store: Store) -> None:
    with demo_store.connect() as conn:
        index = experience_index(workspace_log(conn, JourneyOptions()))
    assert index["journeys"] > 1000
    assert 0.0 < index["auc_plain"] < 1.0 and 0.0 < index["auc_peak_end"] < 1.0
    assert index["better"] in ("plain", "peak_end")
    assert index["mean_peak_end"] <= index["mean_plain"]  # the worst moment weighs


def test_demo_design_conformance(demo_store: Store) -> None:
    design = load_design(DEMO_DESIGN)
    with demo_store.connect() as conn:
        result = conformance(
            workspace_log(conn, JourneyOptions(level=design.level)), design
        )
    assert result["journeys"] > 1000
    assert 0.0 < result["mean_fitness"] < 1.0
    steps = {s["step"]: s for s in result["steps"]}
    assert steps["delivery"]["late"] > 0  # late parcels break the 72 h promise
    assert steps["awareness"]["skipped"] == 0  # optional steps are never skipped
    assert {d["deviation"] for d in result["deviations"]} <= {
        "skipped", "out_of_order", "late", "repeated",
    }  # fmt: skip
    worst = result["worst_journeys"][0]
    assert worst["fitness"] <= result["mean_fitness"]


def test_design_on_a_hand_made_journey(tmp_path: Path) -> None:
    from esperia.journey import file_log

    path = tmp_path / "log.csv"
    path.write_text(
        "case,act,time\n"
        "ok,a,2024-01-01T00:00:00Z\nok,b,2024-01-01T01:00:00Z\n"
        "ok,c,2024-01-01T02:00:00Z\n"
        "late,a,2024-01-01T00:00:00Z\nlate,b,2024-01-03T00:00:00Z\n"
        "late,c,2024-01-03T01:00:00Z\n"
        "loop,a,2024-01-01T00:00:00Z\nloop,c,2024-01-01T01:00:00Z\n"
        "loop,b,2024-01-01T02:00:00Z\nloop,b,2024-01-01T03:00:00Z\n"
        "skip,a,2024-01-01T00:00:00Z\nskip,c,2024-01-01T01:00:00Z\n",
        encoding="utf-8",
    )
    design = load_design(
        "name: t\nlevel: stage\nsteps:\n  - a\n  - name: b\n    within_hours: 24\n"
        "  - c\n"
    )
    log = file_log(path, case="case", activity="act", timestamp="time")
    result = conformance(log, design)
    by = {j["case_id"]: j for j in result["worst_journeys"]}
    assert by["ok"]["fitness"] == 1.0
    assert by["late"]["late"] == ["b"] and by["late"]["fitness"] == pytest.approx(
        5 / 6, abs=1e-4
    )
    assert by["loop"]["repeats"] == 1 and by["loop"]["out_of_order"] == ["c"]
    assert by["skip"]["skipped"] == ["b"] and by["skip"]["fitness"] == pytest.approx(
        2 / 3, abs=1e-4
    )
    with pytest.raises(InvalidInput, match="at least two steps"):
        load_design("steps: [a]")
    with pytest.raises(InvalidInput, match="belongs to two steps"):
        load_design({"steps": [{"name": "a"}, {"name": "b", "activities": ["a"]}]})
