"""Scoring on a hand-written world: eligibility, consent, EV ranking, guardrails,
holdout; on both engines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.nba_data import CLOCK, seed_world

from esperia.config import Settings
from esperia.errors import Conflict, NotFound
from esperia.nba import (
    customer_context,
    in_holdout,
    next_best_actions,
    record_action,
    score_customers,
)
from esperia.nba.context import holdout_sql
from esperia.nba.scoring import _empty_copy
from esperia.store import Store


@pytest.fixture
def world(settings: Settings, store: Store) -> Settings:
    seed_world(store, settings)
    return settings.model_copy(update={"nba_holdout_share": 0.0})


def _ids(store: Store, settings: Settings, customer: str) -> list[str]:
    result = next_best_actions(store, settings, customer)
    return [a["action_id"] for a in result["actions"]]


def test_eligibility_consent_and_ranking(world: Settings, store: Store) -> None:
    result = score_customers(store, world)
    assert result["customers"] == 6 and result["holdout"] == 0
    assert result["as_of"].startswith("2025-03-10")
    assert _ids(store, world, "C-PROMO") == ["referral_request", "review_request"]
    # No marketing consent: neither promoter action, nothing else applies.
    assert _ids(store, world, "C-PROMO-NO") == []
    assert _ids(store, world, "C-ANGRY") == ["service_recovery_call", "apology_gesture"]
    # Analytics consent refused: no profiling, no action, however bad it went.
    assert _ids(store, world, "C-NOPROFILE") == []
    assert _ids(store, world, "C-NEW") == ["onboarding_help", "survey_invitation"]
    assert _ids(store, world, "C-EVENT") == ["event_invitation"]


def test_expected_value_formula_and_reasons(world: Settings, store: Store) -> None:
    score_customers(store, world)
    result = next_best_actions(store, world, "C-ANGRY")
    assert result["language"] == "en" and result["scored"] is True
    values = [a["expected_value"] for a in result["actions"]]
    assert values == sorted(values, reverse=True)
    call = result["actions"][0]
    # Without stored CLV the value at stake is the last 12 months' revenue.
    assert call["value_at_stake"] == pytest.approx(180.0)
    assert call["expected_value"] == pytest.approx(0.10 * 180.0 - 8.0, abs=0.01)
    assert "2 recent experiences that went wrong" in call["reason"]
    italian = next_best_actions(store, world, "C-PROMO")
    assert italian["language"] == "it"
    assert italian["actions"][0]["name"] == "Invito a presentare un amico"
    assert "NPS 10" in italian["actions"][0]["reason"]
    english = next_best_actions(store, world, "C-PROMO", lang="en")
    assert english["actions"][0]["name"] == "Referral request"


def test_context_fields(world: Settings, store: Store) -> None:
    score_customers(store, world)
    ctx = customer_context(store, world, "C-ANGRY")
    assert ctx["value"]["tier"] == "medium" and ctx["value"]["orders"] == 3
    assert ctx["nps"] == {"last": 2, "class": "detractor"}
    assert ctx["recent"]["bad_experiences"] == 2
    assert ctx["last_experience"]["touchpoint_id"] == "TP-SHOP"
    assert ctx["last_experience"]["sentiment"] == pytest.approx(-0.6)
    assert ctx["consent"] == {"marketing": True, "analytics": None}
    assert (
        customer_context(store, world, "C-EVENT")["preferences"]["events_attended"] == 1
    )
    with pytest.raises(NotFound):
        customer_context(store, world, "C-NOBODY")


def test_unscored_customer_is_scored_live(world: Settings, store: Store) -> None:
    # Before any scoring run the answer is computed for the one customer.
    live = next_best_actions(store, world, "C-ANGRY")
    assert live["scored"] is False
    assert live["actions"][0]["action_id"] == "service_recovery_call"
    with pytest.raises(NotFound):
        next_best_actions(store, world, "C-NOBODY")


def test_contact_frequency_and_cooldown(world: Settings, store: Store) -> None:
    score_customers(store, world)
    # An action yesterday: no further action within nba_contact_days (14).
    record_action(store, world, "C-PROMO", "referral_request", actor="t",
                  given_at=CLOCK - timedelta(days=1))  # fmt: skip
    score_customers(store, world)
    assert _ids(store, world, "C-PROMO") == []
    with pytest.raises(Conflict, match="contact rule"):
        record_action(store, world, "C-PROMO", "review_request", actor="t",
                      given_at=CLOCK)  # fmt: skip
    # 20 days on, contact is allowed again but the referral is cooling down.
    later = CLOCK + timedelta(days=20)
    score_customers(store, world, as_of=later)
    assert _ids(store, world, "C-PROMO") == ["review_request"]
    with pytest.raises(Conflict, match="cooldown"):
        record_action(store, world, "C-PROMO", "referral_request", actor="t",
                      given_at=later)  # fmt: skip


def test_holdout_is_deterministic_and_same_in_sql(
    settings: Settings, store: Store
) -> None:
    half = settings.model_copy(update={"nba_holdout_share": 0.5, "nba_holdout_seed": 7})
    ids = [f"K{i:04d}" for i in range(400)]
    with store.connect() as conn:
        rows = conn.fetchall(
            f"SELECT x, {holdout_sql(conn.dialect, 'x')} < ? FROM (VALUES "
            + ", ".join(f"('{i}')" for i in ids)
            + ") v(x) ORDER BY x",
            ("7", 2**31),
        )
    in_sql = {x: bool(h) for x, h in rows}
    in_python = {x: in_holdout(x, half) for x in ids}
    assert in_sql == in_python
    assert 150 < sum(in_python.values()) < 250  # about half
    other = half.model_copy(update={"nba_holdout_seed": 8})
    assert in_python != {x: in_holdout(x, other) for x in ids}


def test_holdout_customers_get_no_action(settings: Settings, store: Store) -> None:
    seed_world(store, settings)
    everyone = settings.model_copy(
        update={"nba_holdout_share": 0.5, "nba_holdout_seed": 3}
    )
    held = [c for c in ("C-PROMO", "C-ANGRY", "C-NEW", "C-EVENT")
            if in_holdout(c, everyone)]  # fmt: skip
    free = [c for c in ("C-PROMO", "C-ANGRY", "C-NEW", "C-EVENT") if c not in held]
    assert held and free, "the seed should split these four customers"
    result = score_customers(store, everyone)
    assert result["holdout"] == sum(
        in_holdout(c["customer_id"], everyone)
        for c in [{"customer_id": x} for x in (
            "C-PROMO", "C-PROMO-NO", "C-ANGRY", "C-NOPROFILE", "C-NEW", "C-EVENT")]
    )  # fmt: skip
    for customer in held:
        answer = next_best_actions(store, everyone, customer)
        assert answer["holdout"] is True and answer["actions"] == []
        with pytest.raises(Conflict, match="holdout"):
            record_action(store, everyone, customer, "survey_invitation", actor="t")
    for customer in free:
        assert next_best_actions(store, everyone, customer)["actions"]


def test_stored_row_reads_back_like_a_live_one(world: Settings, store: Store) -> None:
    from esperia.nba.service import _live, lookup

    score_customers(store, world)
    for customer in ("C-PROMO", "C-ANGRY", "C-NEW", "C-EVENT", "C-NOPROFILE"):
        stored = lookup(store, world, customer)
        live = _live(store, world, customer)
        assert stored["scored"] is True and live["scored"] is False
        for key, value in live.items():
            if key in ("scored", "as_of"):
                continue
            if isinstance(value, float):
                assert stored[key] == pytest.approx(value), key
            else:
                assert stored[key] == (value or "" if key == "ranked" else value), key


def test_point_reads_use_an_index_after_every_run(
    world: Settings, store: Store
) -> None:
    for _ in range(2):  # a second run drops and rebuilds DuckDB's index
        score_customers(store, world)
        with store.connect() as conn:
            if conn.dialect == "duckdb":
                names = conn.fetchall(
                    "SELECT index_name FROM duckdb_indexes() "
                    "WHERE table_name = 'nba_context'"
                )
            else:
                names = conn.fetchall(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'nba_context'"
                )
            customers = [
                r[0] for r in conn.fetchall("SELECT customer_id FROM customers")
            ]
        assert len(names) == 1
        for customer in customers:
            assert customer_context(store, world, customer)["customer_id"] == customer


def test_rescoring_keeps_the_table_shape(world: Settings, store: Store) -> None:
    """A DuckDB run replaces nba_context by a new table: the columns, types and
    NOT NULLs stay those of the migrations, run after run."""
    shape = (
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_name = 'nba_context' AND table_schema = current_schema() "
        "ORDER BY ordinal_position"
    )
    with store.connect() as conn:
        migrated = conn.fetchall(shape)
    assert {(name, nullable) for name, _, nullable in migrated} >= {
        ("customer_id", "NO"), ("payload", "NO"), ("language", "YES"),
    }  # fmt: skip
    for _ in range(2):
        score_customers(store, world)
    with store.connect() as conn:
        assert conn.fetchall(shape) == migrated
        assert conn.scalar("SELECT count(*) FROM nba_context") == 6
        assert not conn.table_exists("nba_context_next")
        with pytest.raises(Exception, match=r"(?i)null"):
            conn.execute(
                "INSERT INTO nba_context (customer_id, holdout, run_id) "
                "VALUES ('X', FALSE, 1)"
            )


def test_the_next_table_reads_back_in_the_same_process(duckdb_store: Store) -> None:
    """DuckDB 2.0.0 quirk: a table made by ``CREATE TABLE … AS SELECT * FROM t
    LIMIT 0`` and bulk-filled from ``t`` (more than a row group) in the same
    transaction reads back empty in the writing process. The table a scoring
    run fills must not (this test fails with that way of making it)."""
    store = duckdb_store  # the table swap is DuckDB's
    rows = 300_000  # > 2 row groups of 122,880: DuckDB writes them out early
    with store.connect() as conn:
        conn.execute(
            "INSERT INTO nba_context (customer_id, holdout, run_id, payload) "
            "SELECT 'C' || range, FALSE, 1, 'p' || range FROM range(?)",
            (rows,),
        )
    with store.connect() as conn, conn.transaction():
        _empty_copy(conn, "nba_context", "nba_context_next")
        conn.execute(
            "INSERT INTO nba_context_next SELECT * FROM nba_context "
            "ORDER BY customer_id"
        )
    with store.connect() as conn:
        got = conn.fetchall("SELECT customer_id FROM nba_context_next LIMIT 3")
        counted = conn.scalar(
            "SELECT count(*) FROM (SELECT customer_id FROM nba_context_next) t"
        )
        conn.execute("DROP TABLE nba_context_next")
        conn.execute("DELETE FROM nba_context")
    assert len(got) == 3 and counted == rows
