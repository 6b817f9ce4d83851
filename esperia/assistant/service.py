"""The assistant service: one message in, one reply out, everything recorded.

Each message is handled in one store transaction: the conversation's state is
read, the customer's message is classified (language, intent, out of scope),
the dialogue moves on (answer from the knowledge base, fill the order-status or
appointment slots, hand over, ask for CSAT), and the redacted turns and the new
state are written back. The order lookup happens only after the order number
and the e-mail or phone on that order both match, so nothing about another
customer can leave the store.
"""

from __future__ import annotations

import copy
import hashlib
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from esperia.assistant import records
from esperia.assistant.dialogue import Dialogue, Reply, understand
from esperia.assistant.intents import IntentClassifier, IntentConfig
from esperia.assistant.knowledge import Entry, KnowledgeHolder, load_entries
from esperia.assistant.llm import LLMClient
from esperia.assistant.ratelimit import RateLimiter
from esperia.errors import Conflict, InvalidInput

if TYPE_CHECKING:
    from esperia.config import Settings
    from esperia.store import Store

__all__ = ["Assistant", "Reply", "assistant_for", "builtin_entries", "builtin_examples"]

DATA = Path(__file__).resolve().parent / "data"
MAX_MESSAGE_CHARS = 1000


def builtin_examples() -> tuple[list[str], list[str]]:
    """The bookshop's example utterances (Italian and English) shipped with Esperia."""
    from esperia.assistant.evaluate import read_examples

    return read_examples(DATA / "intents.csv")


def builtin_entries() -> list[Entry]:
    """The demo bookshop's knowledge base (Italian and English)."""
    return load_entries(DATA / "knowledge")


class ConversationCache:
    """The rows of the chats this process served last, so a message needs no
    read: every write is guarded by the message count, so a row another
    process changed is noticed (and read again) instead of overwritten."""

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self._rows: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, conversation_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._rows.get(conversation_id)

    def put(self, conversation_id: str, row: dict[str, Any]) -> None:
        with self._lock:
            self._rows[conversation_id] = row
            self._rows.move_to_end(conversation_id)
            while len(self._rows) > self.size:
                self._rows.popitem(last=False)

    def pop(self, conversation_id: str) -> None:
        with self._lock:
            self._rows.pop(conversation_id, None)


def _folder(settings: Settings) -> Path:
    return settings.workspace / "assistant"


@dataclass
class Assistant:
    """The care assistant of one workspace (shared by all requests of a process)."""

    settings: Settings
    store: Store
    limiter: RateLimiter = field(default_factory=RateLimiter)
    _model: IntentClassifier | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _conversations: ConversationCache = field(default_factory=ConversationCache)

    def __post_init__(self) -> None:
        self.knowledge = KnowledgeHolder(
            _folder(self.settings) / "knowledge.json", builtin_entries()
        )

    # ----------------------------------------------------------------- models
    @property
    def model_path(self) -> Path:
        return _folder(self.settings) / "intents.pkl"

    @property
    def examples_path(self) -> Path:
        """The company's own examples (``esperia assistant intents import``)."""
        return _folder(self.settings) / "intents.csv"

    def training_examples(self) -> tuple[list[str], list[str]]:
        from esperia.assistant.evaluate import read_examples

        texts, labels = builtin_examples()
        if self.examples_path.is_file():
            more = read_examples(self.examples_path)
            texts, labels = texts + more[0], labels + more[1]
        for text, label in records.corrections(self.store):
            texts.append(text)
            labels.append(label)
        return texts, labels

    def train(self) -> IntentClassifier:
        """Fit the intent model on shipped, company and corrected examples."""
        config = IntentConfig(
            min_confidence=self.settings.assistant_min_confidence,
            pairwise=self.settings.assistant_pairwise,
        )
        model = IntentClassifier(config).fit(*self.training_examples())
        model.save(self.model_path)
        self._model = model
        return model

    def classifier(self) -> IntentClassifier:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    if self.model_path.is_file():
                        self._model = IntentClassifier.load(self.model_path)
                    else:
                        self.train()
        assert self._model is not None
        return self._model

    def import_knowledge(self, path: Path | str) -> int:
        """Replace the knowledge base with the entries in ``path`` (no downtime)."""
        entries = load_entries(path)
        if not entries:
            raise InvalidInput(
                f"{path}: no entries found (headings with text under them)"
            )
        return len(self.knowledge.replace(entries))

    def llm(self) -> LLMClient | None:
        s = self.settings
        if not s.assistant_llm_url:
            return None
        key = s.assistant_llm_key.get_secret_value() if s.assistant_llm_key else None
        return LLMClient(
            s.assistant_llm_url, s.assistant_llm_model, key, s.assistant_llm_timeout_s
        )

    # --------------------------------------------------------------- messages
    def ask(
        self,
        text: str,
        *,
        conversation_id: str | None = None,
        client: str | None = None,
        channel: str = "api",
    ) -> Reply:
        """Handle one customer message and return the assistant's reply."""
        text = (text or "").strip()
        if not text:
            raise InvalidInput("the message is empty")
        if len(text) > MAX_MESSAGE_CHARS:
            raise InvalidInput(
                f"the message has {len(text)} characters; "
                f"the most is {MAX_MESSAGE_CHARS}"
            )
        given = bool(conversation_id)
        conversation_id = conversation_id or uuid.uuid4().hex
        if not conversation_id.replace("-", "").isalnum() or len(conversation_id) > 64:
            raise InvalidInput("conversation_id must be up to 64 letters, digits or -")
        s = self.settings
        client_hash = (
            hashlib.sha256(client.encode()).hexdigest()[:16] if client else None
        )
        self.limiter.hit(
            f"c:{conversation_id}", s.assistant_rate_session_per_minute, "conversation"
        )
        if client_hash:
            self.limiter.hit(
                f"ip:{client_hash}", s.assistant_rate_ip_per_minute, "address"
            )
        model = self.classifier()
        knowledge = self.knowledge.current()
        # Classify before taking the store's write lock: other chats' writes
        # need not wait for this message's CPU work.
        understood = understand(model, text)
        new = not given
        for attempt in range(2):
            cached = None if attempt else self._conversations.get(conversation_id)
            try:
                with (
                    self.store.write_lock,
                    self.store.pooled() as conn,
                    conn.transaction(),
                ):
                    if cached is not None:
                        row = copy.deepcopy(cached)
                    elif new:
                        row = records.new_conversation(
                            conversation_id, channel, client_hash
                        )
                    else:
                        row = records.ensure_conversation(
                            conn, conversation_id, channel, client_hash
                        )
                    dialogue = Dialogue(conn, row, s, model, knowledge, self.llm())
                    reply = dialogue.handle(text, understood)
            except records.StaleConversation:
                # Another process moved this chat on: read it again, once.
                self._conversations.pop(conversation_id)
                if attempt:
                    raise Conflict(
                        f"conversation {conversation_id} changed meanwhile; "
                        "send the message again"
                    ) from None
                continue
            except BaseException:
                self._conversations.pop(conversation_id)
                raise
            if reply.ended:
                self._conversations.pop(conversation_id)
            else:
                self._conversations.put(conversation_id, dialogue.row)
            if reply.handover_id:
                self._open_case(reply.handover_id, dialogue.row.get("customer_id"))
            return reply
        raise AssertionError("unreachable")  # pragma: no cover

    def _open_case(self, handover_id: str, customer_id: str | None) -> None:
        """A close-the-loop case for a handover of a known customer (complaint,
        a request for a person, …), linked both ways: the case's detail names
        the handover and carries the transcript, the handover keeps the case id.
        A chat whose customer is unknown stays a handover only (a case needs a
        customer)."""
        if not customer_id:
            return
        from esperia.act.access import system_viewer
        from esperia.act.cases.service import create_case

        found = records.handover(self.store, handover_id)
        if found is None:
            return
        reason = f"assistant_{found['reason']}"
        detail = (
            f"Assistant handover {handover_id} (conversation "
            f"{found['conversation_id']}).\n\n{found['transcript']}"
        )
        case = create_case(
            self.store,
            self.settings,
            system_viewer("assistant"),
            customer_id=customer_id,
            reason=reason,
            detail=detail[:4000],
            priority="high" if found["reason"] == "complaint" else None,
        )
        records.link_case(self.store, handover_id, str(case["case_id"]))


_ASSISTANTS: dict[tuple[str, int], Assistant] = {}
_ASSISTANTS_LOCK = threading.Lock()


def assistant_for(settings: Settings, store: Store) -> Assistant:
    """The process's assistant for this workspace and store (created once)."""
    key = (str(settings.workspace.resolve()), id(store))
    with _ASSISTANTS_LOCK:
        found = _ASSISTANTS.get(key)
        if found is None or found.store is not store:
            found = Assistant(settings, store)
            _ASSISTANTS[key] = found
        return found
