"""Two customers with rows in every table of the personal-data registry.

``C-ERASE`` is the one a test erases, ``C-KEEP`` the one that must stay
intact; each gets the same kinds of rows. The services that write the rows are
used where it is practical (imports, text enrichment, cases, notes, follow-up
survey and its answers, the outbox, journeys); the others (rule hits, the care
assistant, value, personas, next best action) are direct INSERTs with named
columns. Every id of C-ERASE's rows contains ``ERASE`` so a test can scan the
whole database for leftovers.
"""

from __future__ import annotations

import json
from typing import Any

from esperia.act.access import system_viewer
from esperia.act.cases import add_note, create_case, resolve_case
from esperia.act.cases.contact import request_followup
from esperia.act.notify import enqueue
from esperia.act.notify.webhooks import create_webhook
from esperia.auth.teams import create_team
from esperia.config import Settings
from esperia.ingest import ImportOptions, import_records
from esperia.journey.build import build_journeys, options_from_settings
from esperia.store import Store
from esperia.surveys.catalog import import_examples
from esperia.surveys.responses import load_response, submit_screen
from esperia.text.enrich import enrich_feedback

__all__ = ["PEOPLE", "seed_people"]

#: Customer id → e-mail.
PEOPLE = {"C-ERASE": "erase@example.it", "C-KEEP": "keep@example.it"}

_SURVEY_FORM = {
    "q_solved": ["no"],
    "q_what_missing": ["Il rimborso non è ancora arrivato"],
    "q_ces": ["3"],
    "q_csat": ["2"],
    "q_agent": ["5"],
    "q_expect_wait": ["4"],
    "q_perceive_wait": ["2"],
    "q_nps": ["3"],
}


def _imports(store: Store, settings: Settings) -> None:
    options = ImportOptions(all_or_nothing=True)
    touchpoints = [
        {"touchpoint_id": "TP-CARE-PHONE", "name": "Care phone", "channel": "phone",
         "stage": "service", "owner_team": "care"},
        {"touchpoint_id": "TP-SHOP", "name": "Shop", "channel": "store",
         "stage": "purchase", "owner_team": "care"},
    ]  # fmt: skip
    customers, interactions, orders, feedback = [], [], [], []
    for n, (cid, email) in enumerate(PEOPLE.items()):
        tag = cid[2:]
        customers.append(
            {"customer_id": cid, "name": f"Persona {tag}", "email": email,
             "language": "it", "consent_marketing": True, "consent_analytics": True}
        )  # fmt: skip
        for i, (tp, day) in enumerate((("TP-SHOP", 3), ("TP-CARE-PHONE", 5))):
            interactions.append(
                {"interaction_id": f"I-{tag}-{i}", "customer_id": cid,
                 "touchpoint_id": tp, "occurred_at": f"2025-03-0{day}T1{n}:00:00Z",
                 "type": "purchase" if i == 0 else "complaint", "outcome": "ok"}
            )  # fmt: skip
        orders.append(
            {"order_id": f"O-{tag}-0", "customer_id": cid,
             "ordered_at": f"2025-03-03T1{n}:05:00Z", "revenue": 40.0 + n}
        )  # fmt: skip
        feedback.append(
            {"feedback_id": f"F-{tag}-0", "received_at": f"2025-03-05T1{n}:30:00Z",
             "source": "call", "customer_id": cid, "interaction_id": f"I-{tag}-1",
             "touchpoint_id": "TP-CARE-PHONE", "nps": 2, "language": "it",
             "text": f"Servizio lento e personale scortese {tag}, sono deluso."}
        )  # fmt: skip
        # No customer on the row: it is theirs through their interaction.
        feedback.append(
            {"feedback_id": f"F-{tag}-anon", "received_at": f"2025-03-06T1{n}:00:00Z",
             "source": "note", "interaction_id": f"I-{tag}-0", "language": "en",
             "text": f"The shop {tag} was lovely and the staff very kind."}
        )  # fmt: skip
    for kind, rows in (
        ("touchpoints", touchpoints),
        ("customers", customers),
        ("interactions", interactions),
        ("orders", orders),
        ("feedback", feedback),
    ):
        import_records(store, settings, kind, rows, options, source="test")


def _cases(store: Store, settings: Settings) -> dict[str, int]:
    viewer = system_viewer("test")
    create_team(store, "care", name="Care", email="care-team@example.com")
    create_webhook(store, "http://127.0.0.1:9/hook", actor="test")
    import_examples(store)  # the post-care survey the follow-up link uses
    cases = {}
    for cid in PEOPLE:
        tag = cid[2:]
        case = create_case(
            store, settings, viewer, customer_id=cid, reason="complaint",
            detail=f"slow service {tag}", touchpoint_id="TP-CARE-PHONE",
            feedback_id=f"F-{tag}-0", interaction_id=f"I-{tag}-1",
        )  # fmt: skip
        case_id = int(case["case_id"])
        add_note(store, viewer, case_id, f"called back {tag}")
        resolve_case(store, settings, viewer, case_id, f"refund sent {tag}")
        request_followup(store, settings, viewer, case_id)
        cases[cid] = case_id
    with store.connect() as conn:
        tokens = conn.fetchall(
            "SELECT customer_id, token FROM survey_invitations ORDER BY customer_id"
        )
    for _cid, token in tokens:
        response = load_response(store, token)
        while (step := response.current_step()) is not None:
            response, errors = submit_screen(store, token, step, _SURVEY_FORM)
            assert not errors, errors
    with store.write_lock, store.connect() as conn, conn.transaction():
        for cid, email in PEOPLE.items():
            enqueue(
                conn, channel="email", target=email, event="survey.reminder",
                body="Ti ricordiamo il sondaggio.", dedup_key=f"reminder:{cid}",
            )  # fmt: skip
    return cases


def _insert(store: Store, table: str, row: dict[str, Any]) -> None:
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    with store.connect() as conn:
        conn.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values())
        )


def _direct_rows(store: Store, cases: dict[str, int]) -> None:
    now = "2025-03-10T12:00:00+00:00"
    for n, cid in enumerate(PEOPLE):
        tag = cid[2:]
        case_id = cases[cid]
        _insert(store, "act_rule_hits", {
            "rule_id": "late-delivery", "trigger_kind": "interaction",
            "trigger_id": f"I-{tag}-1", "customer_id": cid, "outcome": "case",
            "case_id": case_id, "run_id": 1, "triggered_at": now,
        })  # fmt: skip
        for suffix, owner, feedback_id in (
            ("known", cid, None),
            ("anon", None, f"F-{tag}-anon"),  # identified only by its feedback
        ):
            conversation = f"CONV-{tag}-{suffix}"
            _insert(store, "assistant_conversations", {
                "conversation_id": conversation, "started_at": now,
                "updated_at": now, "channel": "web", "language": "it",
                "customer_id": owner, "status": "handed_over", "messages": 1,
                "feedback_id": feedback_id, "state": json.dumps({"name": tag}),
            })  # fmt: skip
            _insert(store, "assistant_messages", {
                "conversation_id": conversation, "seq": 1, "sent_at": now,
                "role": "user", "text_redacted": f"Dov'è il mio ordine {tag}?",
            })  # fmt: skip
            _insert(store, "assistant_handovers", {
                "handover_id": f"H-{tag}-{suffix}", "conversation_id": conversation,
                "created_at": now, "reason": "asked_human", "customer_id": owner,
                "transcript": f"user: ordine {tag}", "status": "open",
                "case_id": str(case_id) if owner else None, "updated_at": now,
            })  # fmt: skip
        _insert(store, "customer_value", {
            "customer_id": cid, "fit_id": "fit-1", "frequency": 1, "recency": 2.0,
            "age": 10.0, "mean_spend": 40.0, "revenue": 40.0, "margin_rate": 0.3,
            "p_alive": 0.8, "expected_purchases": 1.5, "expected_spend": 42.0,
            "clv": 120.0 + n, "computed_at": now,
        })  # fmt: skip
        _insert(store, "category_spend", {
            "customer_id": cid, "category": "books", "period_start": "2025-01-01",
            "period_end": "2025-03-31", "total_spend": 90.0, "recorded_at": now,
        })  # fmt: skip
        _insert(store, "persona_members", {
            "version": 1, "customer_id": cid, "persona": n, "confidence": 0.9,
            "low_activity": False,
        })  # fmt: skip
        _insert(store, "nba_context", {
            "customer_id": cid, "language": "it", "holdout": False, "run_id": 1,
            "top_action": "apology_call", "payload": json.dumps({"customer": cid}),
        })  # fmt: skip
        _insert(store, "nba_given", {
            "given_id": 100 + n, "customer_id": cid, "action_id": "apology_call",
            "given_at": now, "holdout": False, "source": "api", "actor": "test",
        })  # fmt: skip
    # An aggregate row no customer owns: it must survive every erasure.
    _insert(store, "category_spend", {
        "segment": "gold", "category": "books", "period_start": "2025-01-01",
        "period_end": "2025-03-31", "total_spend": 900.0, "recorded_at": now,
    })  # fmt: skip


def seed_people(store: Store, settings: Settings) -> dict[str, int]:
    """Fill every registered table for both customers; their case ids."""
    _imports(store, settings)
    cases = _cases(store, settings)
    enrich_feedback(store, settings)
    build_journeys(store, options_from_settings(settings))
    _direct_rows(store, cases)
    return cases
