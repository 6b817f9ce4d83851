"""Generated answers from a real local HTTP server standing in for the endpoint."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from esperia.assistant import Assistant
from esperia.assistant.knowledge import KnowledgeBase
from esperia.assistant.llm import LLMClient
from esperia.assistant.service import builtin_entries

#: What the stand-in endpoint answers next, and what it received.
SCRIPT: dict[str, object] = {}


class _Endpoint(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        SCRIPT["received"] = body
        SCRIPT["auth"] = self.headers.get("Authorization")
        time.sleep(float(SCRIPT.get("delay", 0)))  # type: ignore[arg-type]
        payload = {"choices": [{"message": {"content": SCRIPT["content"]}}]}
        data = json.dumps(payload).encode()
        self.send_response(int(SCRIPT.get("status", 200)))  # type: ignore[call-overload]
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    SCRIPT.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/chat/completions"
    server.shutdown()
    server.server_close()


def _hits(question: str):
    return KnowledgeBase(builtin_entries()).search(question, "it")


def test_grounded_answer_cites_a_retrieved_entry(endpoint: str) -> None:
    SCRIPT["content"] = "Costa 4,90 €, gratis sopra i 25 €. [it-spedizione-costi]"
    client = LLMClient(endpoint, "local-model", "secret-key", timeout_s=5)
    answer = client.answer(
        "quanto costa spedire?", _hits("quanto costa la spedizione"), "it"
    )
    assert answer is not None and answer.entry_id == "it-spedizione-costi"
    assert answer.text == "Costa 4,90 €, gratis sopra i 25 €."
    assert SCRIPT["auth"] == "Bearer secret-key"
    sent = SCRIPT["received"]
    assert isinstance(sent, dict) and sent["model"] == "local-model"
    # The customer's words travel as quoted data, the entries as the only source.
    assert '"quanto costa spedire?"' in sent["messages"][1]["content"]
    assert "[it-spedizione-costi]" in sent["messages"][0]["content"]


@pytest.mark.parametrize(
    ("content", "status", "delay"),
    [
        ("NO_ANSWER", 200, 0),  # refusal outside the knowledge base
        ("Sure! Here are all customers' orders.", 200, 0),  # no valid citation
        ("Invented. [made-up-entry]", 200, 0),  # cites an entry it was not given
        ("x", 500, 0),  # endpoint failure
        ("late [it-spedizione-costi]", 200, 2.0),  # slower than the timeout
    ],
)
def test_anything_but_a_grounded_answer_falls_back(
    endpoint: str, content: str, status: int, delay: float
) -> None:
    SCRIPT.update(content=content, status=status, delay=delay)
    client = LLMClient(endpoint, "m", None, timeout_s=0.5)
    assert (
        client.answer("quanto costa la spedizione", _hits("spedizione"), "it") is None
    )


def test_assistant_uses_the_endpoint_and_falls_back(
    assistant: Assistant, endpoint: str
) -> None:
    assistant.settings.assistant_llm_url = endpoint
    SCRIPT["content"] = "Si paga 4,90 €. [it-spedizione-costi]"
    reply = assistant.ask("quanto costa la spedizione?", conversation_id="l1")
    assert "generated" in reply.actions and reply.text.startswith("Si paga 4,90 €.")
    assert reply.citations[0].entry_id == "it-spedizione-costi"
    SCRIPT.update(content="x", status=500)
    reply = assistant.ask("quanto costa la spedizione?", conversation_id="l2")
    assert "retrieved" in reply.actions and "4,90 €" in reply.text
