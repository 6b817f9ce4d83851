"""The dialogue: what to do with one message given the conversation so far.

The state (a small dict stored with the conversation) holds the open flow —
``order_status``, ``appointment`` or ``csat`` — its slots, and counters. The
assistant never executes anything a message asks beyond these flows: it has no
instruction-following part, and messages that try to steer it are answered with
a refusal and leave the state as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from esperia.assistant import records
from esperia.assistant.language import detect_language, redact, sentiment_of
from esperia.assistant.replies import say
from esperia.assistant.slots import (
    SHOPS,
    digits,
    find_email,
    find_order_id,
    find_phone,
    find_rating,
    find_shop,
    find_when,
    looks_like_injection,
)

if TYPE_CHECKING:
    from esperia.assistant.intents import IntentClassifier, IntentPrediction
    from esperia.assistant.knowledge import Hit, KnowledgeBase
    from esperia.assistant.llm import LLMClient
    from esperia.config import Settings
    from esperia.store import Connection

__all__ = ["Citation", "Dialogue", "Reply", "Understood", "understand"]

#: Intents answered from the knowledge base.
KNOWLEDGE_INTENTS = frozenset(
    {
        "delivery",
        "returns_refunds",
        "opening_hours",
        "product_availability",
        "loyalty_card",
        "events",
    }
)


@dataclass(frozen=True)
class Understood:
    """What one message says, computed once and outside the store's lock."""

    language: str | None  #: None when the text does not tell
    prediction: IntentPrediction


def understand(model: IntentClassifier, text: str) -> Understood:
    """Language (detected once) and intent of one message."""
    detected = detect_language(text, default="") or None
    return Understood(detected, model.predict_one(text, detected or "it"))


@dataclass(frozen=True)
class Citation:
    entry_id: str
    title: str
    source: str


@dataclass
class Reply:
    """The assistant's answer to one message."""

    conversation_id: str
    text: str
    language: str
    intent: str | None
    confidence: float
    out_of_scope: bool
    citations: list[Citation] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    handover_id: str | None = None
    ended: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "reply": self.text,
            "language": self.language,
            "intent": self.intent,
            "confidence": self.confidence,
            "out_of_scope": self.out_of_scope,
            "citations": [c.__dict__ for c in self.citations],
            "actions": self.actions,
            "handover_id": self.handover_id,
            "ended": self.ended,
        }


class Dialogue:
    """One step of one conversation, inside the caller's transaction."""

    def __init__(
        self,
        conn: Connection,
        row: dict[str, Any],
        settings: Settings,
        model: IntentClassifier,
        knowledge: KnowledgeBase,
        llm: LLMClient | None,
    ) -> None:
        self.conn = conn
        self.row = row
        self.settings = settings
        self.model = model
        self.knowledge = knowledge
        self.llm = llm
        self.state: dict[str, Any] = dict(row.get("state") or {})
        self.id = str(row["conversation_id"])
        self._pending: list[tuple[int, records.Turn]] = []

    def _flush(self) -> None:
        """Write the turns held back so far (before anything reads them)."""
        records.append_turns(self.conn, self.id, self._pending)
        self._pending = []

    # ------------------------------------------------------------------ entry
    def handle(self, text: str, understood: Understood | None = None) -> Reply:
        """Answer ``text``; ``understood`` when the caller classified it already."""
        understood = understood or understand(self.model, text)
        previous = self.state.get("language") or self.row.get("language")
        language = understood.language or previous or "it"
        if previous and sum(w.isalpha() for w in text.split()) < 4:
            # "4", an order number and an e-mail: too little to switch language.
            language = previous
        self.state["language"] = language
        prediction = understood.prediction
        seq = int(self.row.get("messages") or 0)
        # The customer's turn waits for the reply's, so both go in one
        # statement; a handover written meanwhile flushes it first.
        self._pending.append(
            (
                seq,
                records.Turn(
                    "customer",
                    redact(text),
                    language,
                    prediction.intent,
                    prediction.confidence,
                    prediction.out_of_scope,
                ),
            )
        )
        reply = self._respond(text, language, prediction)
        intent = reply.intent
        self._pending.append(
            (
                seq + 1,
                records.Turn(
                    "assistant",
                    redact(reply.text),
                    language,
                    citations=tuple(c.entry_id for c in reply.citations),
                ),
            )
        )
        self._flush()
        if intent:
            self.state.setdefault("intents", []).append(intent)
        if not reply.out_of_scope:
            self.state["unsure"] = 0
        self.row["messages"] = seq + 2
        status = "closed" if reply.ended else self.row.get("status") or "open"
        if reply.handover_id and not reply.ended:
            status = "handed_over"
        if reply.ended:
            self._close(
                language, "handed_over" if self.state.get("handover") else "resolved"
            )
        else:
            records.save_state(
                self.conn,
                self.row,
                self.state,
                messages=seq + 2,
                language=language,
                customer_id=self.row.get("customer_id"),
                status=status,
            )
        return reply

    def _reply(
        self,
        text: str,
        language: str,
        p: IntentPrediction | None,
        intent: str | None = None,
        **kw: Any,
    ) -> Reply:
        return Reply(
            self.id,
            text,
            language,
            intent,
            p.confidence if p else 1.0,
            kw.pop("out_of_scope", False),
            **kw,
        )

    # ---------------------------------------------------------------- routing
    def _respond(self, text: str, lang: str, p: IntentPrediction) -> Reply:
        if looks_like_injection(text):
            return self._reply(
                say("injection", lang),
                lang,
                p,
                None,
                out_of_scope=True,
                actions=["refused"],
            )
        flow = self.state.get("flow")
        if flow == "csat":
            rating = find_rating(text)
            if rating is not None:
                self.state["csat"] = rating
                self.state["flow"] = None
                return self._reply(
                    say("bye", lang),
                    lang,
                    None,
                    "csat",
                    actions=["csat_recorded"],
                    ended=True,
                )
        intent = p.intent
        if intent in {"complaint", "speak_to_person"}:
            return self._handover(intent, lang, p)
        if flow == "order_status" and (
            intent in {None, "order_status"} or _has_slot(text)
        ):
            return self._order_status(text, lang, p)
        if (
            flow == "appointment"
            and intent in {None, "appointment"} | KNOWLEDGE_INTENTS
        ):
            return self._appointment(text, lang, p)
        if intent == "order_status":
            return self._order_status(text, lang, p)
        if intent == "appointment":
            return self._appointment(text, lang, p)
        if intent == "greeting":
            return self._reply(say("greeting", lang), lang, p, intent)
        if intent == "thanks":
            self.state["flow"] = "csat"
            return self._reply(
                say("csat", lang), lang, p, intent, actions=["csat_question"]
            )
        return self._answer(text, lang, p)

    # -------------------------------------------------------------- knowledge
    def _answer(self, text: str, lang: str, p: IntentPrediction) -> Reply:
        hits = self.knowledge.search(text, lang, limit=3)
        good = [h for h in hits if h.score >= self.settings.assistant_min_kb_score]
        trusted = p.intent in KNOWLEDGE_INTENTS or (
            good and good[0].score >= 2 * self.settings.assistant_min_kb_score
        )
        if good and trusted:
            return self._cite(text, lang, p, good)
        unsure = int(self.state.get("unsure") or 0) + 1
        self.state["unsure"] = unsure
        if unsure >= 2:
            return self._handover("unsure", lang, p, out_of_scope=True)
        key = "out_of_scope" if p.out_of_scope else "unsure"
        return self._reply(say(key, lang), lang, p, None, out_of_scope=True)

    def _cite(
        self, text: str, lang: str, p: IntentPrediction, hits: list[Hit]
    ) -> Reply:
        generated = self.llm.answer(text, hits, lang) if self.llm else None
        if generated is not None:
            entry = self.knowledge.by_id[generated.entry_id]
            answer, actions = generated.text, ["generated"]
        else:
            entry, answer, actions = hits[0].entry, hits[0].entry.answer, ["retrieved"]
        citation = Citation(entry.entry_id, entry.title, entry.source)
        full = f"{answer}\n\n{say('source', lang)}: {entry.title} [{entry.entry_id}]"
        return self._reply(
            full,
            lang,
            p,
            p.intent or "knowledge",
            citations=[citation],
            actions=actions,
        )

    # ------------------------------------------------------------ order status
    def _order_status(self, text: str, lang: str, p: IntentPrediction) -> Reply:
        self.state["flow"] = "order_status"
        slots = self.state.setdefault("slots", {})
        order_id = find_order_id(text)
        contact = find_email(text) or find_phone(text)
        if order_id:
            slots["order_id"] = order_id
        if contact:
            slots["contact"] = contact
        if "order_id" not in slots:
            key = "ask_order" if "contact" not in slots else "ask_order_id"
            return self._reply(say(key, lang), lang, p, "order_status")
        if "contact" not in slots:
            return self._reply(say("ask_contact", lang), lang, p, "order_status")
        found = self._verified_order(slots["order_id"], slots["contact"])
        self.state["slots"] = {}
        if found is None:
            failures = int(self.state.get("verify_failures") or 0) + 1
            self.state["verify_failures"] = failures
            if failures >= self.settings.assistant_verify_attempts:
                self.state["flow"] = None
                return self._handover("verification_failed", lang, p)
            return self._reply(
                say("not_verified", lang),
                lang,
                p,
                "order_status",
                actions=["verification_failed"],
            )
        self.state["flow"] = None
        self.row["customer_id"] = found["customer_id"]
        return self._reply(
            _order_text(found, lang),
            lang,
            p,
            "order_status",
            actions=["verified", "order_status"],
        )

    def _verified_order(self, order_id: str, contact: str) -> dict[str, Any] | None:
        """The order, only when the contact given is the one on the order's customer."""
        rows = self.conn.fetch_dicts(
            "SELECT o.order_id, o.customer_id, o.ordered_at, o.revenue, o.items, "
            "o.properties, c.email, c.phone FROM orders o JOIN customers c "
            "ON c.customer_id = o.customer_id WHERE upper(o.order_id) = ?",
            (order_id.upper(),),
        )
        if not rows:
            return None
        order = rows[0]
        if "@" in contact:
            ok = (
                bool(order["email"])
                and order["email"].strip().lower() == contact.lower()
            )
        else:
            given, known = digits(contact)[-9:], digits(order["phone"] or "")[-9:]
            ok = len(given) == 9 and given == known
        if not ok:
            return None
        delivery = self.conn.fetch_dicts(
            "SELECT occurred_at, outcome, type FROM interactions WHERE customer_id = ? "
            "AND type IN ('delivery', 'pickup', 'return') "
            "AND properties->>'order_id' = ? ORDER BY occurred_at DESC LIMIT 1",
            (order["customer_id"], order["order_id"]),
        )
        order["delivery"] = delivery[0] if delivery else None
        return order

    # ------------------------------------------------------------- appointment
    def _appointment(self, text: str, lang: str, p: IntentPrediction) -> Reply:
        self.state["flow"] = "appointment"
        slots = self.state.setdefault("slots", {})
        if shop := find_shop(text):
            slots["place"] = shop
        if when := find_when(text):
            slots["when"] = when
        if contact := (find_email(text) or find_phone(text)):
            slots["contact"] = contact
        for slot, key in (
            ("place", "ask_appointment_place"),
            ("when", "ask_appointment_time"),
            ("contact", "ask_appointment_contact"),
        ):
            if slot not in slots:
                return self._reply(say(key, lang), lang, p, "appointment")
        self.state["flow"], self.state["slots"] = None, {}
        place, when = slots["place"], slots["when"]
        customer_id = self._customer_by_contact(slots["contact"])
        details = {"place": place, "requested_for": when, "language": lang}
        actions = ["appointment_requested"]
        handover_id = None
        if customer_id:
            self.row["customer_id"] = customer_id
            touchpoint = f"TP-STORE-{SHOPS[place]}"
            if not self.conn.scalar(
                "SELECT count(*) FROM touchpoints WHERE touchpoint_id = ?",
                (touchpoint,),
            ):
                touchpoint = self.settings.assistant_touchpoint_id
            records.record_appointment(
                self.conn,
                customer_id=customer_id,
                touchpoint_id=touchpoint,
                conversation_id=self.id,
                details=details,
            )
            actions.append("interaction_recorded")
        else:
            # Not a known customer: a person books it (the contact stays in the
            # handover context, which only agents read; transcripts are redacted).
            self._flush()
            handover_id = records.create_handover(
                self.conn,
                self.id,
                "appointment_request",
                language=lang,
                customer_id=None,
                context={**details, "contact": slots["contact"]},
            )
            actions.append("handover")
        return self._reply(
            say("appointment_recorded", lang, place=place.title(), when=when),
            lang,
            p,
            "appointment",
            actions=actions,
            handover_id=handover_id,
        )

    def _customer_by_contact(self, contact: str) -> str | None:
        if "@" in contact:
            value = self.conn.scalar(
                "SELECT customer_id FROM customers WHERE lower(email) = ? LIMIT 1",
                (contact.lower(),),
            )
            return str(value) if value else None
        tail = digits(contact)[-9:]
        if len(tail) < 9:
            return None
        value = self.conn.scalar(
            "SELECT customer_id FROM customers WHERE phone IS NOT NULL AND "
            "right(regexp_replace(phone, '[^0-9]', '', 'g'), 9) = ? LIMIT 1",
            (tail,),
        )
        return str(value) if value else None

    # ---------------------------------------------------------------- handover
    def _handover(
        self,
        reason: str,
        lang: str,
        p: IntentPrediction | None,
        out_of_scope: bool = False,
    ) -> Reply:
        intent = reason if reason in {"complaint", "speak_to_person"} else None
        customer_texts = self._customer_texts()
        context = {
            "reason": reason,
            "customer_id": self.row.get("customer_id"),
            "intents": list(self.state.get("intents", []))
            + ([intent] if intent else []),
            "language": lang,
            "channel": self.row.get("channel"),
            "sentiment": sentiment_of(customer_texts, lang),
            "customer_summary": _customer_summary(
                self.conn, self.row.get("customer_id")
            ),
        }
        self._flush()
        handover_id = records.create_handover(
            self.conn,
            self.id,
            reason,
            language=lang,
            customer_id=self.row.get("customer_id"),
            context=context,
        )
        self.state["handover"] = handover_id
        self.state["flow"] = "csat"
        key = "complaint" if reason == "complaint" else "handover"
        text = say(key, lang, ref=handover_id) + "\n\n" + say("csat", lang)
        return self._reply(
            text,
            lang,
            p,
            intent,
            out_of_scope=out_of_scope,
            actions=["handover", "csat_question"],
            handover_id=handover_id,
        )

    def _customer_texts(self) -> str:
        self._flush()
        rows = self.conn.fetchall(
            "SELECT text_redacted FROM assistant_messages WHERE conversation_id = ? "
            "AND role = 'customer' ORDER BY seq",
            (self.id,),
        )
        return "\n".join(str(r[0]) for r in rows)

    def _close(self, lang: str, outcome: str) -> None:
        records.save_state(
            self.conn,
            self.row,
            self.state,
            messages=int(self.row["messages"]),
            language=lang,
            customer_id=self.row.get("customer_id"),
            status="closed",
        )
        self.row["language"] = lang
        texts = self._customer_texts()
        records.close_conversation(
            self.conn,
            self.row,
            touchpoint_id=self.settings.assistant_touchpoint_id,
            outcome=outcome,
            csat=self.state.get("csat"),
            customer_text=texts,
            intents=[i for i in self.state.get("intents", []) if i != "csat"],
            sentiment=sentiment_of(texts, lang),
        )


def _has_slot(text: str) -> bool:
    return bool(find_order_id(text) or find_email(text) or find_phone(text))


def _customer_summary(conn: Connection, customer_id: Any) -> dict[str, Any] | None:
    """What an agent needs at a glance about a verified customer."""
    if not customer_id:
        return None
    rows = conn.fetch_dicts(
        "SELECT c.name, c.city, c.language, c.segment, "
        "(SELECT count(*) FROM orders o WHERE o.customer_id = c.customer_id) "
        "AS orders, "
        "(SELECT sum(revenue) FROM orders o WHERE o.customer_id = c.customer_id) "
        "AS revenue FROM customers c WHERE c.customer_id = ?",
        (customer_id,),
    )
    return rows[0] if rows else None


def _order_text(order: dict[str, Any], lang: str) -> str:
    ordered = order["ordered_at"]
    date = (
        ordered.strftime("%d/%m/%Y")
        if isinstance(ordered, datetime)
        else str(ordered)[:10]
    )
    delivery = order.get("delivery")
    names = {
        "it": {
            "ok": "consegnato",
            "late": "consegnato in ritardo",
            "failed": "consegna non riuscita",
            "refunded": "reso e rimborsato",
            "none": "in preparazione o in viaggio",
            "on": "il",
        },
        "en": {
            "ok": "delivered",
            "late": "delivered late",
            "failed": "delivery failed",
            "refunded": "returned and refunded",
            "none": "being prepared or on its way",
            "on": "on",
        },
    }[lang if lang in ("it", "en") else "it"]
    if delivery is None:
        status = names["none"]
    else:
        when = delivery["occurred_at"]
        day = (
            when.strftime("%d/%m/%Y") if isinstance(when, datetime) else str(when)[:10]
        )
        outcome = str(delivery["outcome"])
        status = f"{names.get(outcome, outcome)} {names['on']} {day}"
    return say("order", lang, order_id=order["order_id"], date=date, status=status)
