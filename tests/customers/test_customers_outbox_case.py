"""Migration 16: outbox notices name their case, also those queued before it."""

from __future__ import annotations

from esperia.store import Store, upgrade


def test_migration_16_fills_the_case_of_older_notices(store: Store) -> None:
    with store.connect() as conn:
        # Back to the schema before migration 16, with notices queued then.
        conn.execute("DROP INDEX IF EXISTS act_outbox_case")
        conn.execute("ALTER TABLE act_outbox DROP COLUMN case_id")
        conn.execute("DELETE FROM schema_migrations WHERE version = 16")
        for n, (event, key) in enumerate(
            [
                ("case.created", "case.created:42:new::wh1"),
                ("case.assigned", "case.assigned:7:new:ann@example.com:mail:ann@x"),
                ("digest", "digest:team@example.com:9"),
            ]
        ):
            conn.execute(
                "INSERT INTO act_outbox (message_id, created_at, channel, target, "
                "event, body, dedup_key, status, attempts, next_attempt_at) VALUES "
                "(?, current_timestamp, 'email', 'team@example.com', ?, 'x', ?, "
                "'sent', 1, current_timestamp)",
                (n + 1, event, key),
            )
    assert [m.version for m in upgrade(store)] == [16]
    with store.connect() as conn:
        rows = conn.fetchall(
            "SELECT event, case_id FROM act_outbox ORDER BY message_id"
        )
    assert rows == [("case.created", 42), ("case.assigned", 7), ("digest", None)]
