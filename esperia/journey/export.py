"""Export an event log as XES or CSV, for process-mining tools."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from esperia.errors import InvalidInput
from esperia.journey.eventlog import EventLog
from esperia.journey.xes import write_xes

__all__ = ["export_log"]

_EXTRA = (
    "customer_id",
    "touchpoint_id",
    "channel",
    "medium",
    "stage",
    "type",
    "outcome",
)


def export_log(log: EventLog, path: Path | str) -> dict[str, Any]:
    """Write ``log`` to ``path`` (.xes or .csv), ordered by case then time.

    Columns follow the XES keys (``case:concept:name``, ``concept:name``,
    ``time:timestamp``, ``org:resource``) so pm4py and ProM read them as is.
    """
    path = Path(path)
    kind = path.suffix.lower()
    if kind not in (".xes", ".csv"):
        raise InvalidInput(f"{path}: export to a .xes or .csv file")
    extra = [c for c in _EXTRA if log.has(c)]
    cols = ", ".join(["case_id", "activity", "ts", "resource", *extra])
    rows = log.rows(f"SELECT {cols} FROM {{log}} ORDER BY case_id, {log.order}")
    names = ["concept:name", "time:timestamp", "org:resource", *extra]
    if kind == ".csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["case:concept:name", *names])
            for r in rows:
                writer.writerow(
                    [
                        r[0],
                        r[1],
                        r[2].isoformat(),
                        *("" if v is None else v for v in r[3:]),
                    ]
                )
        cases = len({r[0] for r in rows})
    else:
        with path.open("w", encoding="utf-8") as fh:
            cases = write_xes(
                fh,
                ((r[0], dict(zip(names, r[1:], strict=True))) for r in rows),
            )
    return {"path": str(path), "events": len(rows), "cases": cases, "format": kind[1:]}
