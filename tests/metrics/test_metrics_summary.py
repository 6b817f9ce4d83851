"""The stored overview gives the same figures as computing them, and knows its age."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from esperia.demo import simulate
from esperia.ingest import ImportOptions, import_arrow, import_records
from esperia.metrics.overview import OVERVIEW_PARTS, overview, refresh_overview
from esperia.metrics.summary import data_stamp, summary_status
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

    # An API batch (no refresh): the stored parts are stale, the next view
    # computes them again and sees the new answers.
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
    assert not any(p["from_summary"] for p in again.values())
    assert sum(r["n"] for r in again["nps_trend"]["rows"]) == n_before + 40
    assert all(p["from_summary"] for p in overview(store, settings).values())

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
