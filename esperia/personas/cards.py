"""Persona cards: profile, names from dominant traits, what sets each apart."""

from __future__ import annotations

from typing import Any

import numpy as np

from esperia.personas.features import FeatureFrame
from esperia.store.database import Connection

__all__ = ["build_cards", "trait_label"]

#: Words for the traits a name is built from: feature → (Italian, English).
_TRAITS: dict[str, tuple[str, str]] = {
    "channel_store": ("da negozio", "in-store"),
    "channel_web": ("del sito", "web"),
    "channel_app": ("da app", "app"),
    "channel_email": ("via e-mail", "e-mail"),
    "channel_event": ("degli eventi", "event-goer"),
    "channel_chat": ("da chat", "chat"),
    "channel_phone": ("al telefono", "phone"),
    "channel_delivery": ("a domicilio", "home-delivery"),
    "basket": ("dal carrello grande", "big-basket"),
    "orders": ("assiduo", "frequent"),
    "interactions": ("molto presente", "highly engaged"),
    "age": ("maturo", "senior"),
    "season_december": ("delle feste", "holiday"),
    "season_school": ("scolastico", "back-to-school"),
    "season_summer": ("estivo", "summer"),
    "language=en": ("anglofono", "English-speaking"),
}
_YOUNG = ("giovane", "young")


def trait_label(feature: str, diff: float) -> tuple[str, str] | None:
    """The words for a distinguishing feature, or None when it has none."""
    if feature == "age" and diff < 0:
        return _YOUNG
    if diff <= 0:
        return None
    return _TRAITS.get(feature)


def _group_means(values: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    ok = ~np.isnan(values)
    sums = np.bincount(labels[ok], weights=values[ok], minlength=k)
    counts = np.bincount(labels[ok], minlength=k)
    return np.divide(sums, counts, out=np.full(k, np.nan), where=counts > 0)


def _distinct(
    frame: FeatureFrame, labels: np.ndarray, k: int
) -> list[list[dict[str, Any]]]:
    """Per persona, the features with the largest standardised difference."""
    out: list[list[dict[str, Any]]] = [[] for _ in range(k)]
    columns = dict(frame.columns)
    for lang in np.unique(frame.categories["language"].astype(str)):
        if lang:
            columns[f"language={lang}"] = (
                frame.categories["language"].astype(str) == lang
            ).astype(float)
    diffs: list[tuple[str, np.ndarray, np.ndarray]] = []
    for name, raw in columns.items():
        values = np.asarray(raw, dtype=float)
        if np.count_nonzero(~np.isnan(values)) < 2:
            continue
        sd = float(np.nanstd(values))
        if not np.isfinite(sd) or sd == 0:
            continue
        means = _group_means(values, labels, k)
        overall = np.nansum(values)
        ok_n = np.bincount(labels[~np.isnan(values)], minlength=k).astype(float)
        rest = (overall - np.nan_to_num(means) * ok_n) / np.maximum(
            ok_n.sum() - ok_n, 1.0
        )
        diffs.append((name, (means - rest) / sd, means))
    for c in range(k):
        ranked = sorted(
            (d for d in diffs if np.isfinite(d[1][c])),
            key=lambda d: (-abs(float(d[1][c])), d[0]),
        )
        out[c] = [
            {"feature": n, "difference": round(float(z[c]), 3),
             "mean": round(float(m[c]), 4)}
            for n, z, m in ranked[:8]
        ]  # fmt: skip
    return out


def _names(distinct: list[list[dict[str, Any]]]) -> list[tuple[str, str]]:
    names: list[tuple[str, str]] = []
    for traits in distinct:
        words = [
            w
            for t in traits
            if (w := trait_label(t["feature"], t["difference"])) is not None
        ][:2]
        it = "Cliente " + " e ".join(w[0] for w in words) if words else "Cliente tipo"
        en = (
            (" ".join(w[1] for w in words) + " customer").capitalize()
            if words
            else ("Typical customer")
        )
        while (it, en) in names:
            it, en = it + " (bis)", en + " (2)"
        names.append((it, en))
    return names


def _profile(
    frame: FeatureFrame, labels: np.ndarray, k: int, prefix: str
) -> list[dict[str, float]]:
    cols = [n for n in frame.columns if n.startswith(prefix)]
    means = {
        n: _group_means(np.asarray(frame.columns[n], float), labels, k) for n in cols
    }
    return [
        {n[len(prefix):]: round(float(means[n][c]), 4) for n in cols
         if np.isfinite(means[n][c]) and means[n][c] > 0.005}
        for c in range(k)
    ]  # fmt: skip


def _top(
    values: np.ndarray, labels: np.ndarray, c: int, n: int = 3
) -> dict[str, float]:
    mine = values[labels == c].astype(str)
    mine = mine[mine != ""]
    if len(mine) == 0:
        return {}
    levels, counts = np.unique(mine, return_counts=True)
    order = np.lexsort((levels, -counts))[:n]
    return {str(levels[i]): round(float(counts[i] / len(mine)), 3) for i in order}


def _text_profile(conn: Connection, version: int) -> dict[int, dict[str, Any]]:
    """Pain points and quotes per persona from the text tables (when filled)."""
    out: dict[int, dict[str, Any]] = {}
    pains = conn.fetchall(
        "SELECT m.persona, a.aspect, avg(a.sentiment) AS s, count(*) AS n "
        "FROM persona_members m JOIN feedback f ON f.customer_id = m.customer_id "
        "JOIN feedback_aspects a ON a.feedback_id = f.feedback_id "
        "WHERE m.version = ? GROUP BY m.persona, a.aspect HAVING count(*) >= 3 "
        "ORDER BY m.persona, s, a.aspect",
        (version,),
    )
    for persona, aspect, sentiment, n in pains:
        entry = out.setdefault(int(persona), {"aspects": [], "quotes": []})
        entry["aspects"].append(
            {
                "aspect": aspect,
                "sentiment": round(float(sentiment), 3),
                "mentions": int(n),
            }
        )
    quotes = conn.fetchall(
        "SELECT persona, text_redacted, sentiment FROM ("
        " SELECT m.persona, t.text_redacted, t.sentiment, row_number() OVER ("
        "  PARTITION BY m.persona ORDER BY abs(t.sentiment) DESC, t.feedback_id) AS r"
        " FROM persona_members m JOIN feedback f ON f.customer_id = m.customer_id"
        " JOIN feedback_text t ON t.feedback_id = f.feedback_id"
        " WHERE m.version = ? AND t.text_redacted IS NOT NULL"
        "   AND length(t.text_redacted) BETWEEN 20 AND 240) q "
        "WHERE r <= 3 ORDER BY persona, r",
        (version,),
    )
    for persona, text, sentiment in quotes:
        entry = out.setdefault(int(persona), {"aspects": [], "quotes": []})
        entry["quotes"].append(
            {"text": text, "sentiment": round(float(sentiment or 0), 3)}
        )
    return out


def _value(conn: Connection, version: int) -> dict[int, dict[str, float]]:
    """Mean CLV and churn risk (1 - probability alive) per persona, from the
    latest CLV prediction (``esperia clv predict``); empty before any."""
    if not conn.table_exists("customer_value"):
        return {}
    rows = conn.fetchall(
        "SELECT m.persona, avg(v.clv), avg(1 - v.p_alive) FROM persona_members m "
        "JOIN customer_value v ON v.customer_id = m.customer_id WHERE m.version = ? "
        "GROUP BY m.persona",
        (version,),
    )
    return {
        int(p): {"clv": float(a or 0), "churn_risk": float(b or 0)} for p, a, b in rows
    }


def build_cards(
    conn: Connection, frame: FeatureFrame, labels: np.ndarray, k: int, version: int
) -> list[dict[str, Any]]:
    """One card per persona (memberships of ``version`` must be stored)."""
    sizes = np.bincount(labels, minlength=k)
    revenue = np.nan_to_num(
        np.asarray(frame.columns.get("revenue", np.zeros(len(labels))), float)
    )
    rev_by = np.bincount(labels, weights=revenue, minlength=k)
    total_rev = float(revenue.sum()) or 1.0
    distinct = _distinct(frame, labels, k)
    names = _names(distinct)
    channels = _profile(frame, labels, k, "channel_")
    stages = _profile(frame, labels, k, "stage_")
    modules = _profile(frame, labels, k, "module_")
    aspects = _profile(frame, labels, k, "aspect_")
    care = _profile(frame, labels, k, "care_")
    text = _text_profile(conn, version)
    value = _value(conn, version)
    age = np.asarray(frame.columns["age"], float)
    behaviour = ("recency_days", "tenure_days", "orders", "basket", "interactions",
                 "nps_mean", "share_promoter", "sentiment_mean", "share_weekend",
                 "share_evening", "share_physical")  # fmt: skip
    means = {
        n: _group_means(np.asarray(frame.columns[n], float), labels, k)
        for n in behaviour
        if n in frame.columns
    }
    cards = []
    for c in range(k):
        mine_age = age[(labels == c) & ~np.isnan(age)]
        cards.append({
            "persona": c,
            "name": {"it": names[c][0], "en": names[c][1]},
            "size": int(sizes[c]),
            "share_customers": round(float(sizes[c] / max(len(labels), 1)), 4),
            "share_revenue": round(float(rev_by[c] / total_rev), 4),
            "demographics": {
                "age_median": float(np.median(mine_age)) if len(mine_age) else None,
                "languages": _top(frame.categories["language"], labels, c),
                "regions": _top(frame.categories["region"], labels, c),
            },
            "behaviour": {
                n: (round(float(m[c]), 3) if np.isfinite(m[c]) else None)
                for n, m in means.items()
            },
            "channels": channels[c],
            "journey_stages": stages[c],
            "care_channels": care[c],
            "needs": {"modules": modules[c], "aspects": aspects[c]},
            "pain_points": text.get(c, {}).get("aspects", [])[:3],
            "quotes": text.get(c, {}).get("quotes", []),
            "value": value.get(c),
            "sets_apart": distinct[c],
        })  # fmt: skip
    return cards
