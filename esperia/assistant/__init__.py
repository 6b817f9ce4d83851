"""The care assistant: intents, knowledge, dialogue, and conversations as CX data."""

from esperia.assistant.dialogue import Citation, Reply
from esperia.assistant.evaluate import IntentReport, evaluate_intents, read_examples
from esperia.assistant.intents import IntentClassifier, IntentConfig, IntentPrediction
from esperia.assistant.knowledge import Entry, Hit, KnowledgeBase, load_entries
from esperia.assistant.ratelimit import RateLimited
from esperia.assistant.service import Assistant, assistant_for

__all__ = [
    "Assistant",
    "Citation",
    "Entry",
    "Hit",
    "IntentClassifier",
    "IntentConfig",
    "IntentPrediction",
    "IntentReport",
    "KnowledgeBase",
    "RateLimited",
    "Reply",
    "assistant_for",
    "evaluate_intents",
    "load_entries",
    "read_examples",
]
