"""The audit log as CSV, for admins who export it (web and API)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

__all__ = ["audit_csv"]


def audit_csv(entries: list[dict[str, Any]]) -> str:
    """Audit entries as CSV, ``details`` as JSON text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["audit_id", "occurred_at", "actor", "action", "subject", "details"]
    )
    for e in entries:
        writer.writerow(
            [e["audit_id"], e["occurred_at"], e["actor"], e["action"],
             e["subject"] or "", json.dumps(e["details"], ensure_ascii=False)]
        )  # fmt: skip
    return out.getvalue()
