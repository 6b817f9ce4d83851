"""Real parts for the test suite: a throwaway PostgreSQL, a live server, a browser.

Each part is started by the suite itself from what is installed on the machine.
When a part is missing the tests that need it are skipped on a developer's
machine but fail under ``CI=true``, so a CI run can never pass by skipping them.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

__all__ = ["in_ci", "unavailable"]


def in_ci() -> bool:
    """Whether the suite runs in CI, where every real part is required."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def unavailable(reason: str) -> NoReturn:
    """Skip the test for lack of ``reason``; fail instead under ``CI=true``."""
    if in_ci():
        pytest.fail(f"{reason} (required because CI=true)", pytrace=False)
    pytest.skip(reason)
