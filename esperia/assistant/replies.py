"""What the assistant says, in Italian and English (one place, easy to review)."""

from __future__ import annotations

__all__ = ["say"]

_TEXT: dict[str, dict[str, str]] = {
    "greeting": {
        "it": "Ciao! Sono l'assistente della Libreria. Posso aiutarti con ordini, "
        "consegne, resi, orari, disponibilità dei libri ed eventi.",
        "en": "Hello! I'm the bookshop's assistant. I can help with orders, "
        "delivery, returns, opening hours, book availability and events.",
    },
    "ask_order": {
        "it": "Per controllare un ordine mi servono il numero d'ordine e l'e-mail "
        "o il telefono usati per l'acquisto.",
        "en": "To check an order I need the order number and the e-mail or phone "
        "number used for the purchase.",
    },
    "ask_order_id": {
        "it": "Qual è il numero d'ordine? Lo trovi nell'e-mail di conferma.",
        "en": "What is the order number? You'll find it in the confirmation e-mail.",
    },
    "ask_contact": {
        "it": "Grazie. Per sicurezza, qual è l'e-mail o il telefono usati per "
        "l'ordine?",
        "en": "Thanks. For your security, what e-mail or phone number did you use "
        "for the order?",
    },
    "not_verified": {
        "it": "Non trovo un ordine con questi dati. Controlla il numero d'ordine e "
        "l'e-mail o il telefono e riprova.",
        "en": "I can't find an order with those details. Please check the order "
        "number and the e-mail or phone and try again.",
    },
    "order": {
        "it": "Ordine {order_id} del {date}: {status}.",
        "en": "Order {order_id} of {date}: {status}.",
    },
    "ask_appointment_place": {
        "it": "Volentieri. In quale negozio? (Milano, Roma, Torino, Bologna, "
        "Firenze, Napoli, Padova, Bari)",
        "en": "Gladly. At which shop? (Milan, Rome, Turin, Bologna, Florence, "
        "Naples, Padua, Bari)",
    },
    "ask_appointment_time": {
        "it": "Quale giorno e orario preferisci?",
        "en": "Which day and time would suit you?",
    },
    "ask_appointment_contact": {
        "it": "Lasciami un'e-mail o un telefono per la conferma.",
        "en": "Please leave an e-mail or phone number for the confirmation.",
    },
    "appointment_recorded": {
        "it": "Richiesta registrata: {place}, {when}. Un libraio ti confermerà "
        "l'appuntamento.",
        "en": "Request recorded: {place}, {when}. A bookseller will confirm the "
        "appointment.",
    },
    "complaint": {
        "it": "Mi dispiace davvero. Ho passato la conversazione a una persona del "
        "servizio clienti, che ti ricontatterà (riferimento {ref}).",
        "en": "I'm really sorry. I've passed this conversation to a person in "
        "customer care, who will get back to you (reference {ref}).",
    },
    "handover": {
        "it": "Ti metto in contatto con una persona del servizio clienti: ha già "
        "la nostra conversazione (riferimento {ref}).",
        "en": "I'm putting you in touch with a person in customer care, who "
        "already has our conversation (reference {ref}).",
    },
    "unsure": {
        "it": "Non sono sicuro di aver capito. Puoi riformulare? Se preferisci, "
        "scrivi «operatore» e ti passo a una persona.",
        "en": "I'm not sure I understood. Could you rephrase? If you prefer, type "
        '"agent" and I\'ll hand you over to a person.',
    },
    "out_of_scope": {
        "it": "Su questo non posso aiutarti: rispondo su ordini, consegne, resi, "
        "negozi, libri ed eventi della libreria.",
        "en": "I can't help with that: I answer about the bookshop's orders, "
        "delivery, returns, shops, books and events.",
    },
    "injection": {
        "it": "Non posso eseguire istruzioni di questo tipo né mostrare dati di "
        "altri clienti. Posso aiutarti con ordini, consegne, resi e negozi.",
        "en": "I can't follow instructions like that or show other customers' "
        "data. I can help with orders, delivery, returns and shops.",
    },
    "csat": {
        "it": "Prima di salutarci: quanto sei soddisfatto di questa conversazione, "
        "da 1 (per niente) a 5 (molto)?",
        "en": "Before you go: how satisfied are you with this conversation, from "
        "1 (not at all) to 5 (very)?",
    },
    "bye": {
        "it": "Grazie del tuo parere e buona lettura!",
        "en": "Thanks for your feedback, and happy reading!",
    },
    "source": {"it": "Fonte", "en": "Source"},
}


def say(key: str, language: str, **values: object) -> str:
    """The reply ``key`` in ``language`` (Italian when the language is unknown)."""
    texts = _TEXT[key]
    text = texts.get(language) or texts["it"]
    return text.format(**values) if values else text
