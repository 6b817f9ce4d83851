"""Where a customer's personal data lives: one declarative registry.

Every table that holds rows about one customer is listed in :data:`PERSONAL`
with how its rows reach the customer: a column holding the customer's id (or
e-mail), or a column pointing at the key of a parent table whose rows are the
customer's. Erasure and export (:mod:`esperia.customers.privacy`) walk this
registry and nothing else, and every other table is named in
:data:`NOT_PERSONAL` with the reason, so a test can check that a new migration
cannot add personal data that erasure would miss.

A row that names its customer directly belongs to that customer only: the
links through a parent apply to rows whose direct column is empty (an anonymous
assistant chat that ends in a feedback, an open survey link). So erasing one
customer never removes a row that names another.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "LINKING_COLUMNS",
    "NOT_PERSONAL",
    "PERSONAL",
    "Link",
    "PersonalTable",
    "deletion_order",
    "is_linking_column",
    "personal_table",
]


@dataclass(frozen=True)
class Link:
    """``column`` of a table holds values of ``parent.key`` for the customer's rows.

    ``parent="customers", key="customer_id"`` is the direct link. ``as_text``
    compares the parent key as text, for columns that keep a numeric id as TEXT.
    ``casefold`` compares both sides in lower case, for e-mail addresses (a
    message to ``Ann@Example.it`` is about the customer ``ann@example.it``).
    """

    column: str
    parent: str = "customers"
    key: str = "customer_id"
    as_text: bool = False
    casefold: bool = False

    @property
    def direct(self) -> bool:
        return self.parent == "customers" and self.key == "customer_id"


@dataclass(frozen=True)
class PersonalTable:
    """A table with rows about one customer, its links and why it is personal."""

    table: str
    links: tuple[Link, ...]
    why: str
    #: Columns that order the export (the remaining columns break ties).
    order_by: tuple[str, ...]


def _direct(column: str = "customer_id") -> Link:
    return Link(column)


PERSONAL: tuple[PersonalTable, ...] = (
    PersonalTable(
        "customers",
        (_direct(),),
        "the customer: name, contacts, demographics, consents",
        ("customer_id",),
    ),
    PersonalTable(
        "interactions",
        (_direct(),),
        "every contact the customer had, with outcomes and properties",
        ("occurred_at", "interaction_id"),
    ),
    PersonalTable(
        "orders",
        (_direct(),),
        "purchases: what the customer spent and when",
        ("ordered_at", "order_id"),
    ),
    PersonalTable(
        "feedback",
        (_direct(), Link("interaction_id", "interactions", "interaction_id")),
        "scores and free text the customer wrote",
        ("received_at", "feedback_id"),
    ),
    PersonalTable(
        "feedback_text",
        (Link("feedback_id", "feedback", "feedback_id"),),
        "the analysis of the customer's text, with the redacted text itself",
        ("feedback_id",),
    ),
    PersonalTable(
        "feedback_aspects",
        (Link("feedback_id", "feedback", "feedback_id"),),
        "what the customer praised or criticised, per sentence",
        ("feedback_id", "sentence", "aspect"),
    ),
    PersonalTable(
        "feedback_emotions",
        (Link("feedback_id", "feedback", "feedback_id"),),
        "the emotions read in the customer's text",
        ("feedback_id", "emotion"),
    ),
    PersonalTable(
        "feedback_modules",
        (Link("feedback_id", "feedback", "feedback_id"),),
        "the experiential modules read in the customer's text",
        ("feedback_id", "module"),
    ),
    PersonalTable(
        "feedback_items",
        (Link("feedback_id", "feedback", "feedback_id"),),
        "the customer's answer to each survey item",
        ("feedback_id", "item"),
    ),
    PersonalTable(
        "survey_invitations",
        (
            _direct(),
            Link("interaction_id", "interactions", "interaction_id"),
            Link("feedback_id", "feedback", "feedback_id"),
        ),
        "invitations sent to the customer's e-mail, and open-link responses "
        "that became their feedback",
        ("created_at", "token"),
    ),
    PersonalTable(
        "survey_answers",
        (Link("token", "survey_invitations", "token"),),
        "answers given step by step on the customer's survey page",
        ("token", "question_id"),
    ),
    PersonalTable(
        "act_cases",
        (_direct(),),
        "recovery cases about the customer (customer_id is never empty, so "
        "its feedback and interaction ids add nothing)",
        ("case_id",),
    ),
    PersonalTable(
        "act_case_events",
        (Link("case_id", "act_cases", "case_id"),),
        "the history of the customer's cases, with agents' notes",
        ("case_id", "event_id"),
    ),
    PersonalTable(
        "act_rule_hits",
        (_direct(), Link("case_id", "act_cases", "case_id")),
        "which rules matched the customer's feedback or interactions",
        ("rule_id", "trigger_kind", "trigger_id"),
    ),
    PersonalTable(
        "act_followups",
        (Link("case_id", "act_cases", "case_id"),),
        "follow-up surveys asked after the customer's case, with their link",
        ("case_id",),
    ),
    PersonalTable(
        "act_outbox",
        (
            Link("case_id", "act_cases", "case_id"),
            Link("target", "customers", "email", casefold=True),
        ),
        "notices about the customer's cases (webhook bodies carry the customer "
        "id) and any message addressed to the customer's e-mail",
        ("message_id",),
    ),
    PersonalTable(
        "assistant_conversations",
        (
            _direct(),
            Link("interaction_id", "interactions", "interaction_id"),
            Link("feedback_id", "feedback", "feedback_id"),
        ),
        "the customer's chats with the care assistant, with their state",
        ("started_at", "conversation_id"),
    ),
    PersonalTable(
        "assistant_messages",
        (Link("conversation_id", "assistant_conversations", "conversation_id"),),
        "what the customer and the assistant wrote (redacted)",
        ("conversation_id", "seq"),
    ),
    PersonalTable(
        "assistant_handovers",
        (
            _direct(),
            Link("conversation_id", "assistant_conversations", "conversation_id"),
            Link("case_id", "act_cases", "case_id", as_text=True),
        ),
        "handovers of the customer's chat to a person, with the transcript",
        ("created_at", "handover_id"),
    ),
    PersonalTable(
        "journey_events",
        (_direct(), Link("interaction_id", "interactions", "interaction_id")),
        "the customer's interactions in journey order",
        ("pos",),
    ),
    PersonalTable(
        "customer_value",
        (_direct(),),
        "the customer's predicted lifetime value and churn probability",
        ("fit_id", "computed_at"),
    ),
    PersonalTable(
        "category_spend",
        (_direct(),),
        "what the customer spends in a category across sellers (rows with a "
        "segment and no customer are aggregates and stay)",
        ("category", "period_start", "recorded_at"),
    ),
    PersonalTable(
        "persona_members",
        (_direct(),),
        "which persona the customer was assigned to, per version",
        ("version",),
    ),
    PersonalTable(
        "nba_context",
        (_direct(),),
        "the customer's scored profile and ranked next best actions",
        ("run_id",),
    ),
    PersonalTable(
        "nba_given",
        (_direct(),),
        "the actions given to (or held back from) the customer",
        ("given_at", "given_id"),
    ),
)

#: Tables that hold no row about one customer, with the reason.
NOT_PERSONAL: dict[str, str] = {
    "schema_migrations": "migration bookkeeping",
    "imports": "one row per import run: counts and file names",
    "touchpoints": "the company's touchpoints, not its customers",
    "users": "staff accounts (not customers); managed by `esperia users`",
    "api_keys": "API credentials of integrations",
    "audit_log": "accountability record: who did what; erasure keeps only the "
    "customer id and the counts (proof that the erasure happened)",
    "surveys": "survey definitions",
    "act_rules": "rule definitions",
    "act_rule_runs": "one row per rule run: counts and notices",
    "act_teams": "staff teams and their shared mailbox",
    "act_team_members": "staff e-mail addresses",
    "act_webhooks": "webhook subscriptions of integrations",
    "act_action_plans": "improvement plans on touchpoints",
    "clv_fits": "model parameters fitted on all customers",
    "value_reports": "value at risk per touchpoint and month (counts and sums)",
    "market_share": "company market share per period",
    "journey_builds": "one row per journey rebuild: counts and timings",
    "persona_versions": "one row per persona build: sizes and scores",
    "personas": "persona cards: sizes, shares and profiles over many customers",
    "metrics_summaries": "stored metric overviews grouped over many customers",
    "nba_runs": "one row per scoring run: counts and measured effects",
    "assistant_examples": "intent training examples curated by staff, with "
    "no link to a conversation or customer",
}

#: Column names that can tie a row to a customer: a table having one must be
#: classified above (checked by tests/customers against a migrated store).
LINKING_COLUMNS = frozenset(
    {
        "customer_id",
        "feedback_id",
        "interaction_id",
        "order_id",
        "case_id",
        "conversation_id",
        "handover_id",
        "token",
        "trigger_id",
        "client_hash",
        "target",
        "recipient",
    }
)
#: Name fragments with the same meaning (``email``, ``team_email``, ``phone``…).
_LINKING_FRAGMENTS = ("email", "phone", "recipient", "customer")


def is_linking_column(name: str) -> bool:
    """Whether a column name suggests it ties rows to a customer."""
    lowered = name.lower()
    return lowered in LINKING_COLUMNS or any(f in lowered for f in _LINKING_FRAGMENTS)


def personal_table(table: str) -> PersonalTable:
    """The registry entry of ``table`` (KeyError when it is not personal)."""
    for entry in PERSONAL:
        if entry.table == table:
            return entry
    raise KeyError(table)


def deletion_order() -> list[PersonalTable]:
    """Registered tables, every child before the parents its links point at.

    A child's rows are found through its parents' rows, so the parents must
    still be there when the child is deleted.
    """
    children: dict[str, set[str]] = {e.table: set() for e in PERSONAL}
    for entry in PERSONAL:
        for link in entry.links:
            if link.parent != entry.table:
                children[link.parent].add(entry.table)
    ordered: list[PersonalTable] = []
    placed: set[str] = set()
    pending = list(PERSONAL)
    while pending:
        ready = [e for e in pending if children[e.table] <= placed]
        if not ready:
            cycle = ", ".join(e.table for e in pending)
            raise ValueError(f"the personal-data registry has a cycle among {cycle}")
        for entry in ready:
            ordered.append(entry)
            placed.add(entry.table)
        pending = [e for e in pending if e.table not in placed]
    return ordered
