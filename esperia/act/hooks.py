"""When rules run by themselves: after an import of events, if the workspace wants.

Adapters call :func:`after_import` once a file or batch is stored; it returns
the run (or None when nothing was due), so the adapter can say what happened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from esperia.act.rules import RunResult
    from esperia.config import Settings
    from esperia.store import Store

__all__ = ["EVENT_KINDS", "after_import", "rules_due_after"]

#: Imports of these kinds can make rules match.
EVENT_KINDS = frozenset({"interactions", "feedback", "touchpoints", "customers"})


def rules_due_after(settings: Settings, kind: str, stored: int) -> bool:
    """Whether an import of ``stored`` rows of ``kind`` should trigger the rules."""
    return settings.act_rules_on_import and kind in EVENT_KINDS and stored > 0


def after_import(
    store: Store, settings: Settings, kind: str, stored: int, *, source: str
) -> RunResult | None:
    """Run the enabled rules after an import, when due and when any are enabled."""
    if not rules_due_after(settings, kind, stored):
        return None
    from esperia.act.rules import enabled_rules, run_rules

    if not enabled_rules(store):
        return None
    return run_rules(store, settings, started_by=source)
