"""Rules kept in the workspace's database, so every process and user sees one set."""

from __future__ import annotations

from pathlib import Path

from esperia.act.rules.model import Rule, parse_rules
from esperia.auth import audit
from esperia.errors import InvalidInput, NotFound
from esperia.store import Store

__all__ = [
    "EXAMPLE_RULES",
    "delete_rule",
    "enabled_rules",
    "list_rules",
    "load_rules_file",
    "save_rules",
    "set_enabled",
]

#: The example rules shipped for the demo bookshop (docs/act.md explains them).
EXAMPLE_RULES = Path(__file__).resolve().parent / "examples.yaml"


def save_rules(
    store: Store, rules: list[Rule], *, actor: str = "system", replace: bool = False
) -> dict[str, int]:
    """Insert or update ``rules`` by id; with ``replace``, drop the others."""
    with store.write_lock, store.connect() as conn, conn.transaction():
        existing = {r[0] for r in conn.fetchall("SELECT rule_id FROM act_rules")}
        for rule in rules:
            conn.execute("DELETE FROM act_rules WHERE rule_id = ?", (rule.id,))
            conn.execute(
                "INSERT INTO act_rules (rule_id, name, event, definition, enabled, "
                "updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, current_timestamp)",
                (
                    rule.id,
                    rule.label,
                    rule.on,
                    rule.model_dump_json(),
                    rule.enabled,
                    actor,
                ),
            )
        removed = 0
        if replace:
            keep = {r.id for r in rules}
            for rule_id in existing - keep:
                conn.execute("DELETE FROM act_rules WHERE rule_id = ?", (rule_id,))
                removed += 1
        counts = {
            "created": len({r.id for r in rules} - existing),
            "updated": len({r.id for r in rules} & existing),
            "removed": removed,
        }
        audit.record(conn, actor, "rules_saved", None, counts)
    return counts


def load_rules_file(
    store: Store, path: Path, *, actor: str = "system", replace: bool = False
) -> dict[str, int]:
    """Validate a YAML file of rules and store them."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    rules = parse_rules(path.read_text(encoding="utf-8"), source=str(path))
    return save_rules(store, rules, actor=actor, replace=replace)


def list_rules(store: Store) -> list[Rule]:
    """Every stored rule, enabled or not, by id."""
    with store.connect() as conn:
        rows = conn.fetchall(
            "SELECT definition, enabled FROM act_rules ORDER BY rule_id"
        )
    rules = []
    for definition, enabled in rows:
        rule = Rule.model_validate_json(definition)
        rules.append(rule.model_copy(update={"enabled": bool(enabled)}))
    return rules


def enabled_rules(store: Store) -> list[Rule]:
    return [r for r in list_rules(store) if r.enabled]


def set_enabled(store: Store, rule_id: str, enabled: bool, *, actor: str) -> None:
    """Switch a rule on or off without touching its definition."""
    with store.write_lock, store.connect() as conn, conn.transaction():
        if not conn.scalar(
            "SELECT count(*) FROM act_rules WHERE rule_id = ?", (rule_id,)
        ):
            raise NotFound(f"no rule {rule_id!r}")
        conn.execute(
            "UPDATE act_rules SET enabled = ?, updated_by = ?, "
            "updated_at = current_timestamp WHERE rule_id = ?",
            (enabled, actor, rule_id),
        )
        audit.record(
            conn, actor, "rule_enabled" if enabled else "rule_disabled", rule_id
        )


def delete_rule(store: Store, rule_id: str, *, actor: str) -> None:
    with store.write_lock, store.connect() as conn, conn.transaction():
        if not conn.scalar(
            "SELECT count(*) FROM act_rules WHERE rule_id = ?", (rule_id,)
        ):
            raise NotFound(f"no rule {rule_id!r}")
        conn.execute("DELETE FROM act_rules WHERE rule_id = ?", (rule_id,))
        audit.record(conn, actor, "rule_deleted", rule_id)
