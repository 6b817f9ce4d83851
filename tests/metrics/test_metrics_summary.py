"""The stored overview gives the same figures as computing them, and knows its age."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from esperia.demo import simulate
from esperia.ingest import ImportOptions, import_arrow, import_records
from esperia.metrics.background import refresh_state, wait_for_refresh
from esperia.metrics.overview import OVERVIEW_PARTS, overview, refresh_overview
from esperia.metrics.summary import REFRESH_FAILURE, data_stamp, summary_status
from esperia.store import KINDS


def _load_demo(store: Any, settings: Any) -> Any:
    data = simulate(1500, seed=5)
    for kind in KINDS:
        import_arrow(store, settings, kind, data.tables[kind], source="demo",
                     options=ImportOptions(all_or_nothing=True))  # fmt: skip
    return data


def _figures(parts: dict[str, Any]) -> dict[str, Any]:
    return {name: (part["rows"], part.get("error")) for name, part in parts.items()}


def test_stored_overview_equals_the_direct_computation(store, settings) -> None:  # type: ignore[no-untyped-def]
    _load_demo(store, settings)
    direct = overview(store, settings, stored=False, workers=1)
    assert all(not p["from_summary"] for p in direct.values())
    # Side by side on separate connections: the same rows.
    assert _figures(overview(store, settings, stored=False, workers=3)) == _figures(
        direct
    )
    assert sum(len(p["rows"]) for p in direct.values()) > 50
    assert status_parts(store, settings) == []  # stored=False keeps nothing
    info = refresh_overview(store, settings)
    assert info["periods"] == ["month"]
    assert set(info["parts"]) >= {"promises", "drivers", "nps_trend:month"}
    read = overview(store, settings)
    assert list(read) == list(OVERVIEW_PARTS)
    assert all(p["from_summary"] for p in read.values())
    assert _figures(read) == _figures(direct)
    # Every part says when it was computed (the refresh, in UTC).
    assert all(p["computed_at"].endswith("+00:00") for p in read.values())
    # Another period: its trends are computed (and then kept), the rest read.
    weekly = overview(store, settings, "week")
    assert not weekly["nps_trend"]["from_summary"]
    assert weekly["promises"]["from_summary"]
    assert _figures(overview(store, settings, "week")) == _figures(
        overview(store, settings, "week", stored=False)
    )
    assert overview(store, settings, "week")["nps_trend"]["from_summary"]


def status_parts(store: Any, settings: Any) -> list[tuple[str, str, bool]]:
    return [(r["part"], r["variant"], r["current"])
            for r in summary_status(store, settings)]  # fmt: skip


def test_new_data_makes_it_stale_and_file_imports_refresh_it(store, settings) -> None:  # type: ignore[no-untyped-def]
    _load_demo(store, settings)
    # Nothing is stored until the overview is used: imports do not refresh.
    assert status_parts(store, settings) == []
    first = overview(store, settings)
    assert not any(p["from_summary"] for p in first.values())
    assert all(current for _, _, current in status_parts(store, settings))
    stamp = data_stamp(store, settings)

    # An API batch (no refresh): the stored parts are stale. The next view
    # returns them at once, marked stale, and refreshes them in the background.
    n_before = sum(r["n"] for r in first["nps_trend"]["rows"])
    batch = [
        {"feedback_id": f"NEW-{i}", "received_at": "2024-06-01T10:00:00",
         "source": "survey", "nps": 10}
        for i in range(40)
    ]  # fmt: skip
    import_records(store, settings, "feedback", batch)
    assert data_stamp(store, settings) != stamp
    assert not any(current for _, _, current in status_parts(store, settings))
    again = overview(store, settings)
    assert all(p["from_summary"] and p["stale"] and p["refreshing"]
               for p in again.values())  # fmt: skip
    assert _figures(again) == _figures(first)  # the old figures, not recomputed
    assert [p["computed_at"] for p in again.values()] == [
        p["computed_at"] for p in first.values()
    ]
    assert wait_for_refresh(store, timeout=120)
    assert refresh_state(store)["last_error"] is None
    assert all(current for _, _, current in status_parts(store, settings))
    fresh = overview(store, settings)
    assert all(p["from_summary"] and not p["stale"] for p in fresh.values())
    assert sum(r["n"] for r in fresh["nps_trend"]["rows"]) == n_before + 40
    assert _figures(fresh) == _figures(overview(store, settings, stored=False))

    # A file-like (Arrow) import refreshes what is kept, so the next view reads it.
    more = pa.Table.from_pylist(
        [{"feedback_id": f"MORE-{i}", "received_at": "2024-07-01T10:00:00",
          "source": "survey", "nps": 0} for i in range(30)]
    )  # fmt: skip
    import_arrow(store, settings, "feedback", more, source="test")
    assert all(current for _, _, current in status_parts(store, settings))
    after = overview(store, settings)
    assert all(p["from_summary"] for p in after.values())
    assert sum(r["n"] for r in after["nps_trend"]["rows"]) == n_before + 70
    assert _figures(after) == _figures(overview(store, settings, stored=False))


def test_views_during_a_refresh_ask_for_one_refresh(store, settings) -> None:  # type: ignore[no-untyped-def]
    _load_demo(store, settings)
    overview(store, settings)
    import_records(store, settings, "feedback", [
        {"feedback_id": "BURST-1", "received_at": "2024-06-02T10:00:00",
         "source": "survey", "nps": 2}])  # fmt: skip
    runs = refresh_state(store)["runs"]
    views = [overview(store, settings) for _ in range(4)]
    assert all(p["stale"] for p in views[0].values())
    assert all(v["drivers"]["from_summary"] for v in views)
    assert wait_for_refresh(store, timeout=120)
    # Four views while stale, one refresh (later views found it queued or done).
    assert refresh_state(store)["runs"] - runs == 1
    assert not any(p["stale"] for p in overview(store, settings).values())
    assert refresh_state(store)["runs"] - runs == 1


def test_a_failed_refresh_is_kept_and_shown_not_raised(store, settings) -> None:  # type: ignore[no-untyped-def]
    _load_demo(store, settings)
    first = overview(store, settings)
    # New data, then a store damaged under the overview (a column it reads is
    # gone): the refresh fails in the engine, not as a figure's own error.
    import_records(store, settings, "feedback", [
        {"feedback_id": "LATE-2", "received_at": "2024-06-01T10:00:00",
         "source": "survey", "nps": 9}])  # fmt: skip
    with store.connect() as conn:
        conn.execute("ALTER TABLE interactions DROP COLUMN wait_s")
    stale = overview(store, settings)
    assert _figures(stale) == _figures(first)
    assert all(p["stale"] for p in stale.values())
    assert wait_for_refresh(store, timeout=120)
    failed = refresh_state(store)["last_error"]
    assert failed is not None and failed["period"] == "month"
    rows = summary_status(store, settings)
    errors = [r for r in rows if r["part"] == REFRESH_FAILURE]
    assert [r["variant"] for r in errors] == ["month"]
    assert errors[0]["error"] and not errors[0]["current"]
    # The view still answers with the stored rows; it does not retry the
    # refresh on the same data, and says the refresh is not under way.
    again = overview(store, settings)
    assert _figures(again) == _figures(first)
    assert not any(p.get("refreshing") for p in again.values())
    assert refresh_state(store)["running"] is None
    # The CLI refresh (synchronous) raises the same failure to its caller.
    with pytest.raises(Exception, match="wait_s"):
        refresh_overview(store, settings)


def test_settings_are_part_of_the_stamp(store, settings) -> None:  # type: ignore[no-untyped-def]
    stamp = data_stamp(store, settings)
    assert data_stamp(store, settings) == stamp
    other = settings.model_copy(update={"metrics_min_n": settings.metrics_min_n + 1})
    assert data_stamp(store, other) != stamp


def test_no_refresh_after_import_when_switched_off(store, settings) -> None:  # type: ignore[no-untyped-def]
    _load_demo(store, settings)
    overview(store, settings)
    off = settings.model_copy(update={"metrics_refresh_after_import": False})
    more = pa.Table.from_pylist(
        [{"feedback_id": "LATE-1", "received_at": "2024-07-01T10:00:00",
          "source": "survey", "nps": 3}]
    )  # fmt: skip
    import_arrow(store, off, "feedback", more, source="test")
    assert not any(current for _, _, current in status_parts(store, settings))
