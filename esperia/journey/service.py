"""Entry points the adapters share: open the right event log, run one analysis."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from esperia.config import Settings
from esperia.journey.build import ensure_journeys, options_from_settings
from esperia.journey.eventlog import EventLog, JourneyOptions, file_log, workspace_log
from esperia.store.database import Store

__all__ = ["DEMO_DESIGN", "LogSpec", "open_log"]

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
