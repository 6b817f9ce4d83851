"""The assistant's knowledge: imported documents, chunked and indexed with BM25."""

from esperia.assistant.knowledge.base import Hit, KnowledgeBase, KnowledgeHolder
from esperia.assistant.knowledge.entries import Entry, load_entries

__all__ = ["Entry", "Hit", "KnowledgeBase", "KnowledgeHolder", "load_entries"]
