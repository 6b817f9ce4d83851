"""Cases: flow, assignment, history, contacts in the journey, outcomes, plans."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support.act_data import seed_world

from esperia.act import customer_view, system_viewer, viewer_for_user
from esperia.act.cases import (
    add_note,
    assign_case,
    change_status,
    create_case,
    get_case,
    list_cases,
    log_contact,
    request_followup,
    resolve_case,
)
from esperia.act.outcomes import recovery_comparison, recovery_outcomes
from esperia.act.plans import create_plan, mark_fixed, plan_effect, root_causes
from esperia.auth.audit import read_audit
from esperia.auth.teams import add_member, create_team
from esperia.auth.users import create_user
from esperia.errors import Conflict, Forbidden, InvalidInput
from esperia.ingest import ImportOptions, import_records

ADMIN = system_viewer("tester")


def _case(store, settings, customer="C-LATE", tp="TP-COURIER"):
    return create_case(store, settings, ADMIN, customer_id=customer,
                       reason="late_delivery", touchpoint_id=tp)  # fmt: skip


def test_flow_rejects_invalid_moves_and_keeps_history(store, settings):
    seed_world(store, settings)
    case = _case(store, settings)
    assert case["team"] == "logistics" and case["status"] == "new"
    assert case["priority"] == "high"  # 270 € at risk
    with pytest.raises(Conflict, match="cannot move to 'resolved'"):
        change_status(store, settings, ADMIN, case["case_id"], "resolved")
    with pytest.raises(InvalidInput, match="unknown status"):
        change_status(store, settings, ADMIN, case["case_id"], "done")
    change_status(store, settings, ADMIN, case["case_id"], "in_progress")
    change_status(store, settings, ADMIN, case["case_id"], "waiting_customer")
    with pytest.raises(InvalidInput, match="resolution"):
        change_status(store, settings, ADMIN, case["case_id"], "resolved")
    change_status(store, settings, ADMIN, case["case_id"], "resolved",
                  resolution="refunded", root_cause="courier_delay")  # fmt: skip
    change_status(store, settings, ADMIN, case["case_id"], "closed")
    with pytest.raises(Conflict, match="closed"):
        change_status(store, settings, ADMIN, case["case_id"], "in_progress")
    full = get_case(store, ADMIN, case["case_id"])
    moves = [(e["old_value"], e["new_value"]) for e in full["history"]
             if e["action"] in ("created", "status")]  # fmt: skip
    assert moves == [
        (None, "new"),
        ("new", "in_progress"),
        ("in_progress", "waiting_customer"),
        ("waiting_customer", "resolved"),
        ("resolved", "closed"),
    ]
    assert all(e["actor"] == "tester" for e in full["history"])
    assert full["root_cause"] == "courier_delay" and full["first_response_at"]
    actions = {e["action"] for e in read_audit(store, 50)}
    assert {"case_created", "case_status", "case_viewed"} <= actions


def test_agents_see_only_their_team(store, settings):
    seed_world(store, settings)
    late = _case(store, settings)
    shop = _case(store, settings, customer="C-NPS", tp="TP-SHOP")
    agent = create_user(store, "ada@example.it", "a-long-password", "agent")
    add_member(store, "logistics", agent.email)
    create_team(store, "store_ops")
    viewer = viewer_for_user(store, agent)
    assert [c["case_id"] for c in list_cases(store, viewer)] == [late["case_id"]]
    with pytest.raises(Forbidden):
        get_case(store, viewer, shop["case_id"])
    with pytest.raises(Forbidden):
        customer_view(store, viewer, "C-NPS")
    with pytest.raises(Forbidden):
        assign_case(store, settings, viewer, shop["case_id"], agent.email)
    view = customer_view(store, viewer, "C-LATE")
    assert view["customer"]["name"] == "Lia Tardi"
    assert [c["case_id"] for c in view["cases"]] == [late["case_id"]]
    assigned = assign_case(store, settings, viewer, late["case_id"], agent.email)
    assert assigned["owner"] == agent.email
    assert [c["case_id"] for c in list_cases(store, viewer, scope="mine")] == [
        late["case_id"]
    ]
    other = create_user(store, "bob@example.it", "a-long-password", "agent")
    with pytest.raises(Conflict, match="not in team"):
        assign_case(store, settings, viewer, late["case_id"], other.email)
    audit = read_audit(store, 100, action="customer_viewed")
    assert audit[0]["actor"] == agent.email and audit[0]["subject"] == "C-LATE"
    viewer_role = create_user(store, "vera@example.it", "a-long-password", "viewer")
    with pytest.raises(Forbidden):
        list_cases(store, viewer_for_user(store, viewer_role))


def test_contact_goes_to_the_journey_and_followup_after_resolution(store, settings):
    seed_world(store, settings)
    case = _case(store, settings)
    add_note(store, ADMIN, case["case_id"], "called the courier")
    contact = log_contact(store, ADMIN, case["case_id"], "callback",
                          outcome="answered", note="apologised")  # fmt: skip
    view = customer_view(store, ADMIN, "C-LATE")
    assert view["timeline"][0]["interaction_id"] == contact["interaction_id"]
    assert view["timeline"][0]["type"] == "callback"
    with pytest.raises(Conflict, match="after the case is resolved"):
        request_followup(store, settings, ADMIN, case["case_id"])
    resolve_case(store, settings, ADMIN, case["case_id"], "voucher sent")
    followup = request_followup(store, settings, ADMIN, case["case_id"])
    assert followup["status"] in ("requested", "link_created")
    assert (
        get_case(store, ADMIN, case["case_id"])["followup"]["status"]
        == (followup["status"])
    )


def test_outcomes_and_the_outer_loop(store, settings):
    seed_world(store, settings)
    case = _case(store, settings)
    resolve_case(store, settings, ADMIN, case["case_id"], "voucher",
                 root_cause="courier_delay")  # fmt: skip
    import_records(
        store, settings, "orders",
        [{"order_id": "O-AFTER", "customer_id": "C-LATE",
          "ordered_at": datetime.now(UTC).isoformat(), "revenue": 20.0}],
        ImportOptions(all_or_nothing=True), source="test",
    )  # fmt: skip
    rows = {r["group"]: r for r in recovery_outcomes(store, by="team")}
    assert rows["all"]["cases"] == 1 and rows["logistics"]["resolved"] == 1
    assert rows["logistics"]["bought_again"] == 1.0
    assert rows["logistics"]["sla_met"] == 1.0
    assert rows["logistics"]["hours_to_resolution"] is not None
    assert recovery_comparison(store)["effect"] is None  # no rule hits yet
    causes = root_causes(store)
    assert causes[0]["cause"] == "courier_delay" and causes[0]["cases"] == 1
    plan = create_plan(
        store, touchpoint_id="TP-COURIER", root_cause="courier_delay",
        title="Second courier for the south", metric="promise_kept",
        owner="logistica@example.it", expected_effect="+10 points", actor="t",
    )  # fmt: skip
    with pytest.raises(InvalidInput, match="no fix date"):
        plan_effect(store, plan["plan_id"])
    mark_fixed(store, plan["plan_id"], datetime(2025, 3, 5, 10, 30, tzinfo=UTC),
               actor="t")  # fmt: skip
    effect = plan_effect(store, plan["plan_id"], window_days=30)
    # Before the fix: three late parcels and one on time; after: none yet.
    assert effect["before"] == {"n": 2, "mean": 0.5}
    assert effect["after"]["n"] == 2


def test_plan_effect_detects_a_real_change(store, settings):
    seed_world(store, settings)
    rows = []
    for i in range(60):
        before = i < 30
        rows.append({
            "feedback_id": f"F-P{i}", "source": "survey", "touchpoint_id": "TP-SHOP",
            "received_at": f"2025-0{1 if before else 2}-{(i % 28) + 1:02d}T10:00:00",
            "nps": (3 + i % 3) if before else (8 + i % 3),
        })  # fmt: skip
    import_records(store, settings, "feedback", rows,
                   ImportOptions(all_or_nothing=True), source="test")  # fmt: skip
    plan = create_plan(store, touchpoint_id="TP-SHOP", root_cause="staff",
                       title="Training", metric="nps", actor="t")  # fmt: skip
    mark_fixed(store, plan["plan_id"], datetime(2025, 2, 1, tzinfo=UTC), actor="t")
    effect = plan_effect(store, plan["plan_id"], window_days=31)
    assert effect["before"]["n"] == 30 and effect["after"]["n"] == 30
    assert effect["change"] == pytest.approx(5.0)
    assert effect["test"] == "welch_t" and effect["p_value"] < 1e-6
