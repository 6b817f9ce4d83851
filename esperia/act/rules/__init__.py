"""Rules: YAML conditions on feedback, interactions and value that open cases."""

from esperia.act.rules.engine import RunResult, data_clock, run_rules
from esperia.act.rules.model import Conditions, Rule, parse_rules, rules_to_yaml
from esperia.act.rules.storage import (
    EXAMPLE_RULES,
    delete_rule,
    enabled_rules,
    list_rules,
    load_rules_file,
    save_rules,
    set_enabled,
)

__all__ = [
    "EXAMPLE_RULES",
    "Conditions",
    "Rule",
    "RunResult",
    "data_clock",
    "delete_rule",
    "enabled_rules",
    "list_rules",
    "load_rules_file",
    "parse_rules",
    "rules_to_yaml",
    "run_rules",
    "save_rules",
    "set_enabled",
]
