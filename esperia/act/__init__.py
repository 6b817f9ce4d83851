"""Close the loop: rules that open recovery cases, notifications, outcomes, plans.

Subpackages: :mod:`~esperia.act.rules` (YAML rules evaluated in SQL),
:mod:`~esperia.act.cases` (the case flow), :mod:`~esperia.act.notify` (outbox,
e-mail, webhooks), :mod:`~esperia.act.outcomes` (did recovery work?) and
:mod:`~esperia.act.plans` (the outer loop on touchpoints).
"""

from esperia.act.access import Viewer, system_viewer, viewer_for_key, viewer_for_user
from esperia.act.customer360 import customer_view
from esperia.act.priority import fallback_money_at_risk, register_money_at_risk

__all__ = [
    "Viewer",
    "customer_view",
    "fallback_money_at_risk",
    "register_money_at_risk",
    "system_viewer",
    "viewer_for_key",
    "viewer_for_user",
]
