"""Running the rules: match, decide, open cases; idempotent and in the engine.

One run pools every rule's matches in a temporary table, then decides for all
of them at once with SQL:

1. drop matches already decided by an earlier run (the key is rule x trigger,
   kept in ``act_rule_hits``: running twice creates nothing new);
2. no consent to be contacted (``act_contact_consent``) → ``no_consent``;
3. the customer already has a case triggered within the rule's cooldown →
   ``cooldown``;
4. of what is left, one case per customer per run (the rule with the lowest
   ``rank``, then the earliest trigger) → the others are ``duplicate``;
5. open the cases: priority from money at risk, team from the touchpoint's
   owner, due date from the SLA policy.

Every decision is stored as a hit, so a suppressed match is never reconsidered
and the "did it work?" comparison has its uncontacted customers.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from esperia.act.priority import price_customers, priority_sql
from esperia.act.rules.compile import CANDIDATE_COLUMNS, compile_rule
from esperia.act.rules.model import Rule
from esperia.act.rules.storage import enabled_rules
from esperia.act.sqlparts import minutes, plain_name
from esperia.auth import audit

if TYPE_CHECKING:
    from esperia.config import Settings
    from esperia.store import Connection, Store

__all__ = ["RunResult", "data_clock", "run_rules"]


@dataclass
class RunResult:
    """What one run did."""

    run_id: int
    as_of: datetime | None
    rules: int
    matched: int = 0
    created: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)
    by_rule: dict[str, int] = field(default_factory=dict)
    case_ids: list[int] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat() if self.as_of else None
        return data


def data_clock(conn: Connection) -> datetime | None:
    """The newest event in the store, capped at now: the rules' "now".

    Using the data's own clock means a replayed history or the demo behaves as
    live data would, and a complaint is only judged unanswered once the data
    has moved 48 hours past it.
    """
    row = conn.fetchone(
        "SELECT (SELECT max(occurred_at) FROM interactions), "
        "(SELECT max(received_at) FROM feedback)"
    )
    stamps = [s for s in (row or ()) if s is not None]
    if not stamps:
        return None
    newest = max(_aware(s) for s in stamps)
    return min(newest, datetime.now(UTC))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run_rules(
    store: Store,
    settings: Settings,
    *,
    started_by: str = "manual",
    as_of: datetime | None = None,
    rules: list[Rule] | None = None,
) -> RunResult:
    """Evaluate the enabled rules (or ``rules``) once; see the module docstring."""
    chosen = enabled_rules(store) if rules is None else [r for r in rules if r.enabled]
    with store.write_lock, store.connect() as conn:
        clock = _aware(as_of) if as_of is not None else data_clock(conn)
        run_id = int(conn.scalar("SELECT nextval('act_run_seq')"))
        result = RunResult(run_id=run_id, as_of=clock, rules=len(chosen))
        conn.execute(
            "INSERT INTO act_rule_runs (run_id, started_at, started_by, as_of) "
            "VALUES (?, current_timestamp, ?, ?)",
            (run_id, started_by, clock),
        )
        if clock is not None and chosen:
            with conn.transaction():
                _evaluate(conn, settings, chosen, clock, result)
        elif not chosen:
            result.notices.append(
                "no enabled rules: load some with `esperia rules load`"
            )
        else:
            result.notices.append("no interactions or feedback yet: nothing to check")
        suppressed = sum(result.suppressed.values())
        conn.execute(
            "UPDATE act_rule_runs SET finished_at = current_timestamp, matched = ?, "
            "created = ?, suppressed = ?, notices = ? WHERE run_id = ?",
            (
                result.matched,
                result.created,
                suppressed,
                json.dumps(result.notices, ensure_ascii=False),
                run_id,
            ),
        )
        audit.record(
            conn,
            f"rules:{started_by}",
            "rules_run",
            str(run_id),
            {"created": result.created, "matched": result.matched},
        )
    if result.case_ids:
        from esperia.act.notify.outbox import enqueue_case_event

        enqueue_case_event(store, settings, result.case_ids, "case.created")
    return result


def _evaluate(
    conn: Connection,
    settings: Settings,
    rules: list[Rule],
    as_of: datetime,
    result: RunResult,
) -> None:
    for table in ("_act_cand", "_act_dec", "_act_who", "_act_money"):
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(f"CREATE TEMP TABLE _act_cand ({CANDIDATE_COLUMNS})")
    for rule in rules:
        since = as_of - timedelta(days=rule.lookback_days)
        compiled = compile_rule(conn, rule, since, as_of)
        if compiled.notice:
            result.notices.append(compiled.notice)
            continue
        conn.execute(f"INSERT INTO _act_cand {compiled.sql}", compiled.params)
    # 1. Idempotency: what an earlier run decided stays decided.
    conn.execute(
        "DELETE FROM _act_cand WHERE EXISTS (SELECT 1 FROM act_rule_hits h WHERE "
        "h.rule_id = _act_cand.rule_id AND h.trigger_kind = _act_cand.trigger_kind "
        "AND h.trigger_id = _act_cand.trigger_id)"
    )
    result.matched = int(conn.scalar("SELECT count(*) FROM _act_cand"))
    if not result.matched:
        return
    conn.execute(
        "CREATE TEMP TABLE _act_who AS SELECT DISTINCT customer_id FROM _act_cand"
    )
    price_customers(conn, settings, as_of)
    consent = plain_name(settings.act_contact_consent, "act_contact_consent")
    band_sql, band_params = priority_sql(settings, "m.money_at_risk")
    # 2-4. Decide every match in one statement.
    conn.execute(
        "CREATE TEMP TABLE _act_dec AS "
        "SELECT d.*, CASE WHEN NOT d.consented THEN 'no_consent' "
        "WHEN d.cooling THEN 'cooldown' WHEN d.pick > 1 THEN 'duplicate' "
        "ELSE 'case' END AS outcome FROM ("
        "SELECT e.*, row_number() OVER (PARTITION BY e.customer_id ORDER BY "
        "(e.consented AND NOT e.cooling) DESC, e.rule_rank, e.triggered_at, "
        "e.rule_id, e.trigger_id) AS pick FROM ("
        f"SELECT c.*, coalesce(cu.{consent}, FALSE) AS consented, "
        "EXISTS (SELECT 1 FROM act_cases k WHERE k.customer_id = c.customer_id "
        f"AND k.triggered_at > c.triggered_at - {minutes('c.cooldown_days * 1440.0')}"
        ") AS cooling, "
        "coalesce(m.money_at_risk, 0) AS money_at_risk, "
        f"{band_sql} AS value_band "
        "FROM _act_cand c LEFT JOIN customers cu ON cu.customer_id = c.customer_id "
        "LEFT JOIN _act_money m ON m.customer_id = c.customer_id) e) d",
        band_params,
    )
    # 5. Open the cases.
    sla = settings.act_sla_hours
    sla_case = (
        "coalesce(d.sla_hours, CASE coalesce(d.priority_override, d.value_band) "
        "WHEN 'high' THEN ? WHEN 'medium' THEN ? ELSE ? END)"
    )
    conn.execute(
        "INSERT INTO act_cases (case_id, created_at, updated_at, origin, rule_id, "
        "customer_id, trigger_kind, trigger_id, feedback_id, interaction_id, "
        "touchpoint_id, triggered_at, reason, detail, priority, money_at_risk, "
        "value_band, team, owner, status, due_at) "
        "SELECT nextval('act_case_seq'), current_timestamp, current_timestamp, "
        "'rule', d.rule_id, d.customer_id, d.trigger_kind, d.trigger_id, "
        "d.feedback_id, d.interaction_id, d.touchpoint_id, d.triggered_at, "
        "d.reason, d.detail, coalesce(d.priority_override, d.value_band), "
        "d.money_at_risk, d.value_band, "
        "coalesce(d.team_override, t.owner_team, ?), NULL, 'new', "
        f"current_timestamp + {minutes(sla_case + ' * 60')} "
        "FROM _act_dec d LEFT JOIN touchpoints t ON t.touchpoint_id = d.touchpoint_id "
        "WHERE d.outcome = 'case' ORDER BY d.rule_rank, d.triggered_at, d.customer_id",
        (
            settings.act_default_team,
            float(sla.get("high", 24.0)),
            float(sla.get("medium", 48.0)),
            float(sla.get("low", 72.0)),
        ),
    )
    conn.execute(
        "INSERT INTO act_rule_hits (rule_id, trigger_kind, trigger_id, customer_id, "
        "touchpoint_id, triggered_at, outcome, case_id, run_id, value_band) "
        "SELECT d.rule_id, d.trigger_kind, d.trigger_id, d.customer_id, "
        "d.touchpoint_id, d.triggered_at, d.outcome, k.case_id, ?, d.value_band "
        "FROM _act_dec d LEFT JOIN act_cases k ON d.outcome = 'case' AND "
        "k.origin = 'rule' AND k.rule_id = d.rule_id AND k.trigger_kind = "
        "d.trigger_kind AND k.trigger_id = d.trigger_id",
        (result.run_id,),
    )
    conn.execute(
        "INSERT INTO act_case_events (event_id, case_id, occurred_at, actor, action, "
        "field, new_value, note) SELECT nextval('act_event_seq'), h.case_id, "
        "current_timestamp, 'rule:' || h.rule_id, 'created', 'status', 'new', "
        "'opened by rule ' || h.rule_id FROM act_rule_hits h "
        "WHERE h.run_id = ? AND h.case_id IS NOT NULL ORDER BY h.case_id",
        (result.run_id,),
    )
    rows = conn.fetchall(
        "SELECT outcome, rule_id, count(*) FROM _act_dec GROUP BY outcome, rule_id"
    )
    for outcome, rule_id, count in rows:
        if outcome == "case":
            result.created += int(count)
            result.by_rule[str(rule_id)] = int(count)
        else:
            result.suppressed[str(outcome)] = result.suppressed.get(
                str(outcome), 0
            ) + int(count)
    result.case_ids = [
        int(r[0])
        for r in conn.fetchall(
            "SELECT case_id FROM act_rule_hits WHERE run_id = ? AND case_id IS NOT "
            "NULL ORDER BY case_id",
            (result.run_id,),
        )
    ]
