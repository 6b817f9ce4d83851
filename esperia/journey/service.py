"""Entry points the adapters share: open the right event log, run one analysis."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from esperia.config import Settings
from esperia.errors import InvalidInput, NotFound
from esperia.journey.build import ensure_journeys, options_from_settings
from esperia.journey.design import Design, load_design
from esperia.journey.eventlog import EventLog, JourneyOptions, file_log, workspace_log
from esperia.journey.flows import channel_switching, goal_dropouts, top_paths
from esperia.journey.moments import experience_index, moments_of_truth
from esperia.store.database import Store

__all__ = [
    "DEMO_DESIGN",
    "LogSpec",
    "design_names",
    "moments_report",
    "open_log",
    "paths_report",
    "resolve_design",
    "save_design",
    "touchpoint_ids",
]

#: The example design shipped for the demo bookshop.
DEMO_DESIGN = Path(__file__).resolve().parent / "designs" / "bookshop_online.yaml"


class LogSpec:
    """Where events come from: a file (with its columns) or the workspace."""

    def __init__(
        self,
        file: Path | None = None,
        *,
        case: str = "case:concept:name",
        activity: str = "concept:name",
        timestamp: str = "time:timestamp",
        resource: str | None = None,
        level: str | None = None,
        split: str | None = None,
        gap_hours: float | None = None,
        since: str | None = None,
        until: str | None = None,
        segment: str | None = None,
    ) -> None:
        self.file = file
        self.columns = {"case": case, "activity": activity, "timestamp": timestamp}
        self.resource = resource
        self.overrides = {
            "level": level, "split": split, "gap_hours": gap_hours,
            "since": since, "until": until, "segment": segment,
        }  # fmt: skip

    def options(self, settings: Settings) -> JourneyOptions:
        return options_from_settings(settings, **self.overrides)


@contextmanager
def open_log(
    spec: LogSpec, settings: Settings, store: Store | None
) -> Iterator[EventLog]:
    """The event log of ``spec``; workspace journeys are (re)built when stale."""
    if spec.file is not None:
        log = file_log(spec.file, resource=spec.resource, **spec.columns)
        try:
            yield log
        finally:
            log.conn.raw.close()  # type: ignore[attr-defined]
        return
    assert store is not None
    options = spec.options(settings)
    default = options_from_settings(settings)
    if (options.split, options.gap_hours) == (default.split, default.gap_hours):
        ensure_journeys(store, options)
    with store.connect() as conn:
        yield workspace_log(conn, options)


def describe(log: EventLog) -> dict[str, Any]:
    return {"source": log.description}


def paths_report(
    log: EventLog, *, limit: int = 10, goal: str = "purchase"
) -> dict[str, Any]:
    """Top paths, the journeys that never reach ``goal`` and channel switching."""
    out = top_paths(log, limit=limit)
    out["goal"] = goal_dropouts(log, goal)
    if log.has("medium"):
        out["channel_switching"] = channel_switching(log)
    return out


def moments_report(
    store: Store, settings: Settings, *, limit: int = 10, min_events: int = 20
) -> dict[str, Any]:
    """Moments of truth plus the journey experience index (plain vs peak-end)."""
    horizon = settings.journey_horizon_days
    with store.connect() as conn:
        result = moments_of_truth(
            conn, horizon_days=horizon, min_events=min_events, limit=limit
        )
    with open_log(LogSpec(), settings, store) as lg:
        result["experience_index"] = experience_index(lg, horizon_days=horizon)
    return result


# ------------------------------------------------------------ stored designs

#: The shipped design's name; stored designs live in <workspace>/journey/designs/.
SHIPPED = "bookshop_online"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _designs_dir(settings: Settings) -> Path:
    return Path(settings.workspace) / "journey" / "designs"


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidInput(
            f"design name {name!r}: use 1-64 lowercase letters, digits, - or _"
        )
    return name


def design_names(settings: Settings) -> list[dict[str, Any]]:
    """The shipped design and those stored in the workspace, with their titles."""
    out = [{"name": SHIPPED, "title": load_design(DEMO_DESIGN).name, "shipped": True}]
    folder = _designs_dir(settings)
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            if path.stem == SHIPPED:
                continue
            try:
                title = load_design(path).name
            except InvalidInput:
                continue  # an unreadable file is reported when it is asked for
            out.append({"name": path.stem, "title": title, "shipped": False})
    return out


def resolve_design(settings: Settings, name: str | None) -> Design:
    """A stored design by name (``None``: the shipped demo design)."""
    if not name or name == SHIPPED:
        return load_design(DEMO_DESIGN)
    path = _designs_dir(settings) / f"{_check_name(name)}.yaml"
    if not path.is_file():
        raise NotFound(f"no journey design named {name!r} in {path.parent}")
    return load_design(path)


def save_design(settings: Settings, name: str, body: dict[str, Any]) -> Design:
    """Check ``body`` as a design and store it as ``<name>.yaml`` in the workspace."""
    if _check_name(name) == SHIPPED:
        raise InvalidInput(f"{SHIPPED!r} is the shipped design: choose another name")
    design = load_design(body)
    folder = _designs_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(body, allow_unicode=True, sort_keys=False)
    (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return design


def touchpoint_ids(store: Store) -> list[str]:
    """Every touchpoint id, sorted: the steps a funnel may be built from."""
    with store.connect() as conn:
        rows = conn.fetchall("SELECT touchpoint_id FROM touchpoints ORDER BY 1")
    return [str(r[0]) for r in rows]
