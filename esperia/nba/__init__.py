"""Next best action: a catalogue of actions, scored per customer by expected
value, with guardrails, consent, a holdout and measured uplift (docs/nba.md)."""

from esperia.nba.catalogue import Action, Catalogue, load_catalogue, parse_catalogue
from esperia.nba.context import in_holdout
from esperia.nba.measure import (
    assign_actions,
    current_effects,
    measure_uplift,
    record_action,
)
from esperia.nba.scoring import score_customers
from esperia.nba.service import customer_context, next_best_actions

__all__ = [
    "Action",
    "Catalogue",
    "assign_actions",
    "current_effects",
    "customer_context",
    "in_holdout",
    "load_catalogue",
    "measure_uplift",
    "next_best_actions",
    "parse_catalogue",
    "record_action",
    "score_customers",
]
