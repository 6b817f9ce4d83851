"""The fixed "now" of the survey tests (kept here, not in a conftest, so test
modules import it by a name no other conftest shadows)."""

from __future__ import annotations

from datetime import UTC, datetime

#: "Now" for every trigger test: the survey fixtures sit in the ten days before it.
NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
