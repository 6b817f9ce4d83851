"""The demo's close-the-loop step: example rules, teams, and a first rules run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from esperia.act.rules import EXAMPLE_RULES, load_rules_file, run_rules
from esperia.auth.teams import create_team

if TYPE_CHECKING:
    from esperia.config import Settings
    from esperia.store import Store

__all__ = ["DEMO_TEAMS", "demo_rules"]

#: The bookshop's teams (the touchpoints' owner_team values).
DEMO_TEAMS = (
    "customer_care",
    "logistics",
    "ecommerce",
    "store_ops",
    "cafe",
    "events",
    "marketing",
    "b2b_sales",
)


def demo_rules(store: Store, settings: Settings) -> int:
    """Load the example rules and teams, run the rules; the number of cases opened."""
    for team in DEMO_TEAMS:
        create_team(store, team, name=team.replace("_", " ").title(), actor="demo")
    load_rules_file(store, EXAMPLE_RULES, actor="demo")
    return run_rules(store, settings, started_by="demo").created
