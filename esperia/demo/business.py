"""Libreria Esperia: the demo company, its cities, touchpoints and customer types.

Everything the simulator treats as a fact about the business lives here as
plain data, so the docs, the ground truth and the generated rows agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

__all__ = [
    "ASPECTS",
    "ASPECT_MODULES",
    "BUSINESS_NAME",
    "CITIES",
    "PERSONAS",
    "PERSONA_INDEX",
    "STORE_TOUCHPOINTS",
    "TOUCHPOINTS",
    "City",
    "Persona",
    "Touchpoint",
    "aspect_weights",
    "persona_array",
    "touchpoint_index",
    "touchpoints_table",
]

BUSINESS_NAME = "Libreria Esperia"


@dataclass(frozen=True)
class City:
    code: str
    name: str
    region: str
    weight: float
    has_store: bool
    #: Courier transit time multiplier (the south and the islands wait longer).
    transit: float = 1.0


CITIES: tuple[City, ...] = (
    City("MI", "Milano", "Lombardia", 0.20, True),
    City("RM", "Roma", "Lazio", 0.20, True),
    City("TO", "Torino", "Piemonte", 0.09, True),
    City("BO", "Bologna", "Emilia-Romagna", 0.07, True),
    City("FI", "Firenze", "Toscana", 0.07, True),
    City("NA", "Napoli", "Campania", 0.10, True, 1.15),
    City("PD", "Padova", "Veneto", 0.05, True),
    City("BA", "Bari", "Puglia", 0.06, True, 1.15),
    City("BG", "Bergamo", "Lombardia", 0.02, False),
    City("BS", "Brescia", "Lombardia", 0.02, False),
    City("VR", "Verona", "Veneto", 0.02, False),
    City("GE", "Genova", "Liguria", 0.02, False),
    City("MO", "Modena", "Emilia-Romagna", 0.01, False),
    City("TN", "Trento", "Trentino-Alto Adige", 0.01, False),
    City("TS", "Trieste", "Friuli-Venezia Giulia", 0.01, False),
    City("PG", "Perugia", "Umbria", 0.01, False),
    City("AN", "Ancona", "Marche", 0.01, False),
    City("PE", "Pescara", "Abruzzo", 0.01, False, 1.1),
    City("SA", "Salerno", "Campania", 0.01, False, 1.15),
    City("LE", "Lecce", "Puglia", 0.01, False, 1.2),
    City("RC", "Reggio Calabria", "Calabria", 0.01, False, 1.3),
    City("PA", "Palermo", "Sicilia", 0.03, False, 1.35),
    City("CT", "Catania", "Sicilia", 0.02, False, 1.35),
    City("CA", "Cagliari", "Sardegna", 0.02, False, 1.4),
)


@dataclass(frozen=True)
class Touchpoint:
    touchpoint_id: str
    name: str
    channel: str
    contact: str
    medium: str
    stage: str
    owner_team: str
    promise: str | None = None
    promise_metric: str | None = None
    promise_target: float | None = None


def _stores() -> tuple[Touchpoint, ...]:
    return tuple(
        Touchpoint(
            f"TP-STORE-{c.code}",
            f"{BUSINESS_NAME} {c.name}",
            "store",
            "direct",
            "physical",
            "purchase",
            "store_ops",
            "In cassa in meno di 5 minuti",
            "wait_s",
            300.0,
        )
        for c in CITIES
        if c.has_store
    )


TOUCHPOINTS: tuple[Touchpoint, ...] = (
    # awareness: mostly indirect
    Touchpoint("TP-ADS-SOCIAL", "Campagne social (Instagram, Facebook)", "advertising",
               "indirect", "digital", "awareness", "marketing"),
    Touchpoint("TP-ADS-SEARCH", "Annunci sui motori di ricerca", "advertising",
               "indirect", "digital", "awareness", "marketing"),
    Touchpoint("TP-ADS-PRINT", "Affissioni e volantini in città", "advertising",
               "indirect", "physical", "awareness", "marketing"),
    Touchpoint("TP-PRESS", "Articoli e recensioni sulla stampa", "press",
               "indirect", "physical", "awareness", "marketing"),
    Touchpoint("TP-WOM", "Passaparola di amici e parenti", "word_of_mouth",
               "indirect", "physical", "awareness", "marketing"),
    # consideration
    Touchpoint("TP-WEB", "Sito esperia.it", "web", "direct", "digital",
               "consideration", "ecommerce", "Spedizione gratuita sopra i 25 euro"),
    Touchpoint("TP-APP", "App Esperia", "app", "direct", "digital",
               "consideration", "ecommerce"),
    Touchpoint("TP-NEWSLETTER", "Newsletter del venerdì", "email", "direct",
               "digital", "consideration", "marketing",
               "Consigli di lettura ogni venerdì"),
    Touchpoint("TP-SOCIAL-IG", "Pagina Instagram", "social", "indirect", "digital",
               "consideration", "marketing"),
    Touchpoint("TP-SOCIAL-FB", "Pagina Facebook", "social", "indirect", "digital",
               "advocacy", "marketing"),
    # purchase
    *_stores(),
    Touchpoint("TP-CHECKOUT", "Carrello e pagamento online", "web", "direct",
               "digital", "purchase", "ecommerce",
               "Pagamento sicuro con carta, PayPal o Satispay"),
    Touchpoint("TP-B2B", "Ufficio forniture per aziende e scuole", "email",
               "direct", "digital", "purchase", "b2b_sales",
               "Preventivo entro un giorno lavorativo"),
    # delivery
    Touchpoint("TP-COURIER", "Consegna a domicilio con corriere", "delivery",
               "direct", "physical", "delivery", "logistics",
               "Consegna in 48 ore", "delivery_hours", 48.0),
    Touchpoint("TP-LOCKER", "Consegna nei locker", "delivery", "direct",
               "physical", "delivery", "logistics",
               "In locker entro 72 ore", "delivery_hours", 72.0),
    Touchpoint("TP-PICKUP", "Ordina online e ritira in libreria", "store",
               "direct", "physical", "delivery", "store_ops",
               "Pronto per il ritiro in 24 ore"),
    # usage
    Touchpoint("TP-CAFE", "Caffè letterario (angolo bar in libreria)", "store",
               "direct", "physical", "usage", "cafe",
               "Il caffè al banco in 3 minuti", "wait_s", 180.0),
    Touchpoint("TP-EVENT-AUTHOR", "Incontri con l'autore", "event", "direct",
               "physical", "usage", "events", "Un incontro al mese in ogni libreria"),
    Touchpoint("TP-EVENT-KIDS", "Letture per bambini", "event", "direct",
               "physical", "usage", "events"),
    Touchpoint("TP-EVENT-CLUB", "Gruppo di lettura", "event", "direct",
               "physical", "loyalty", "events"),
    # service
    Touchpoint("TP-CARE-PHONE", "Servizio clienti al telefono", "phone",
               "direct", "digital", "service", "customer_care",
               "Risposta entro 2 minuti", "wait_s", 120.0),
    Touchpoint("TP-CARE-CHAT", "Chat di assistenza", "chat", "direct", "digital",
               "service", "customer_care", "Risposta in chat entro 60 secondi",
               "wait_s", 60.0),
    Touchpoint("TP-CARE-EMAIL", "Assistenza via email", "email", "direct",
               "digital", "service", "customer_care", "Risposta entro 24 ore",
               "wait_s", 86_400.0),
    Touchpoint("TP-RETURNS", "Resi e rimborsi", "web", "direct", "digital",
               "service", "logistics", "Reso gratuito entro 30 giorni"),
    # loyalty and advocacy
    Touchpoint("TP-LOYALTY", "Carta Esperia (punti e sconti)", "app", "direct",
               "digital", "loyalty", "marketing", "Un euro di sconto ogni 10 punti"),
    Touchpoint("TP-REVIEWS-MAPS", "Recensioni delle librerie su Google Maps",
               "review_site", "indirect", "digital", "advocacy", "marketing"),
    Touchpoint("TP-REVIEWS-SHOP", "Recensioni del negozio online (Trustpilot)",
               "review_site", "indirect", "digital", "advocacy", "ecommerce"),
)  # fmt: skip

_TP_INDEX = {tp.touchpoint_id: i for i, tp in enumerate(TOUCHPOINTS)}
STORE_TOUCHPOINTS = np.array(
    [_TP_INDEX[f"TP-STORE-{c.code}"] if c.has_store else -1 for c in CITIES],
    dtype=np.int16,
)


def touchpoint_index(touchpoint_id: str) -> int:
    """Position of a touchpoint in :data:`TOUCHPOINTS` (the simulator's code)."""
    return _TP_INDEX[touchpoint_id]


def touchpoints_table() -> pa.Table:
    """The touchpoint catalogue in the canonical import schema."""
    names = [f for f in Touchpoint.__dataclass_fields__]
    columns = {n: [getattr(tp, n) for tp in TOUCHPOINTS] for n in names}
    types = {n: pa.string() for n in names} | {"promise_target": pa.float64()}
    return pa.table({n: pa.array(columns[n], type=types[n]) for n in names})


#: Aspects customers talk about, and the experiential module each one feeds.
ASPECT_MODULES: dict[str, str | None] = {
    "staff": "feel",
    "wait": "act",
    "price": None,
    "range": "think",
    "delivery": "act",
    "cafe": "sense",
    "events": "relate",
    "app": "act",
    "payment": "act",
    "care": "feel",
    "returns": "act",
    "used": None,
    "gift": "feel",
    "atmosphere": "sense",
    "invoice": "act",
}
ASPECTS: tuple[str, ...] = tuple(ASPECT_MODULES)


@dataclass(frozen=True)
class Persona:
    """A customer type: how often it uses each channel and what it cares about."""

    code: str
    label_it: str
    label_en: str
    description: str
    share: float
    birth_years: tuple[int, int]
    english: float
    city_with_store: float
    #: Month profile (January first) of its activity.
    season: tuple[float, ...]
    #: Monthly contact rates per stream (see simulator streams).
    rates: dict[str, float]
    store_conversion: float
    app_share: float
    #: Care channel mix: phone, chat, email.
    care_mix: tuple[float, float, float]
    #: Delivery mode mix for online orders: courier, locker, pickup in store.
    delivery_mix: tuple[float, float, float]
    basket_eur: float
    items: float
    categories: dict[str, float]
    base_churn_monthly: float
    satisfaction: float
    survey_response: float
    aspects: dict[str, float]
    acquisition: dict[str, float]
    loyalty_card: float
    consent_marketing: float
    event_mix: tuple[float, float, float] = (0.6, 0.1, 0.3)
    extra: dict[str, float] = field(default_factory=dict)


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "lettore_forte", "Lettore forte in negozio", "Avid in-store reader",
        "Reads a book a week, browses the shelves, meets authors, lingers at the "
        "café; values advice, range and community more than price.",
        share=0.26, birth_years=(1950, 1985), english=0.1, city_with_store=0.95,
        season=(1.0, 0.9, 1.0, 1.0, 1.1, 0.9, 0.8, 0.7, 1.0, 1.1, 1.1, 1.4),
        rates={"store": 0.75, "cafe": 0.38, "browse": 0.15, "online": 0.05,
               "b2b": 0.0, "event": 0.16, "care": 0.045, "newsletter": 0.28,
               "ads": 0.05, "social": 0.05, "loyalty": 0.15},
        store_conversion=0.6, app_share=0.25, care_mix=(0.7, 0.05, 0.25),
        delivery_mix=(0.5, 0.05, 0.45), basket_eur=24.0, items=1.6,
        categories={"narrativa": 0.5, "saggistica": 0.3, "poesia": 0.05,
                    "fumetti": 0.05, "regali": 0.1},
        base_churn_monthly=0.012, satisfaction=0.55, survey_response=0.35,
        aspects={"staff": 3, "range": 3, "events": 2, "cafe": 2, "atmosphere": 2,
                 "price": 0.5, "wait": 1},
        acquisition={"negozio": 0.5, "stampa": 0.2, "affissioni": 0.1,
                     "social": 0.1, "ricerca": 0.1},
        loyalty_card=0.8, consent_marketing=0.6,
    ),
    Persona(
        "digitale", "Acquirente digitale", "Digital shopper",
        "Buys on the website and app, wants fast and cheap delivery, compares "
        "prices, rarely sets foot in a shop; chats with care when a parcel is late.",
        share=0.30, birth_years=(1970, 2002), english=0.26, city_with_store=0.55,
        season=(1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8, 1.0, 1.0, 1.4, 1.5),
        rates={"store": 0.05, "cafe": 0.02, "browse": 0.6, "online": 0.38,
               "b2b": 0.0, "event": 0.005, "care": 0.09, "newsletter": 0.24,
               "ads": 0.2, "social": 0.12, "loyalty": 0.05},
        store_conversion=0.5, app_share=0.5, care_mix=(0.2, 0.6, 0.2),
        delivery_mix=(0.8, 0.15, 0.05), basket_eur=30.0, items=1.8,
        categories={"narrativa": 0.4, "saggistica": 0.25, "fumetti": 0.15,
                    "ebook": 0.1, "regali": 0.1},
        base_churn_monthly=0.028, satisfaction=0.15, survey_response=0.18,
        aspects={"price": 3, "delivery": 3, "app": 2, "payment": 1, "returns": 1,
                 "care": 1},
        acquisition={"ricerca": 0.5, "social": 0.35, "affissioni": 0.05,
                     "stampa": 0.1},
        loyalty_card=0.2, consent_marketing=0.5,
    ),
    Persona(
        "famiglia", "Famiglia e regali", "Family and gift buyer",
        "Shops for children and for presents, peaks at Christmas and at the start "
        "of school, brings the kids to story time; gift wrapping matters.",
        share=0.20, birth_years=(1965, 1992), english=0.1, city_with_store=0.75,
        season=(0.6, 0.6, 0.7, 0.8, 0.8, 0.8, 0.8, 0.6, 1.3, 0.8, 1.3, 3.4),
        rates={"store": 0.35, "cafe": 0.1, "browse": 0.25, "online": 0.12,
               "b2b": 0.0, "event": 0.07, "care": 0.06, "newsletter": 0.24,
               "ads": 0.1, "social": 0.08, "loyalty": 0.1},
        store_conversion=0.7, app_share=0.3, care_mix=(0.6, 0.2, 0.2),
        delivery_mix=(0.7, 0.1, 0.2), basket_eur=36.0, items=2.4,
        categories={"ragazzi": 0.45, "regali": 0.25, "narrativa": 0.2,
                    "scolastica": 0.1},
        base_churn_monthly=0.02, satisfaction=0.35, survey_response=0.25,
        aspects={"gift": 3, "staff": 2, "range": 1.5, "events": 1.5, "price": 1.5,
                 "delivery": 1},
        acquisition={"negozio": 0.35, "social": 0.25,
                     "ricerca": 0.2, "affissioni": 0.2},
        loyalty_card=0.5, consent_marketing=0.55, event_mix=(0.1, 0.8, 0.1),
    ),
    Persona(
        "studente", "Studente", "Student",
        "Buys textbooks and used books on the app, hunts discounts, studies at the "
        "café, follows the social pages; peaks in September and February.",
        share=0.15, birth_years=(1998, 2007), english=0.38, city_with_store=0.8,
        season=(1.0, 1.3, 0.9, 0.8, 0.9, 0.7, 0.4, 0.4, 2.0, 1.5, 1.0, 0.8),
        rates={"store": 0.2, "cafe": 0.25, "browse": 0.4, "online": 0.12,
               "b2b": 0.0, "event": 0.04, "care": 0.06, "newsletter": 0.12,
               "ads": 0.2, "social": 0.35, "loyalty": 0.08},
        store_conversion=0.45, app_share=0.85, care_mix=(0.1, 0.75, 0.15),
        delivery_mix=(0.5, 0.25, 0.25), basket_eur=16.0, items=1.4,
        categories={"scolastica": 0.35, "usato": 0.35, "narrativa": 0.15,
                    "fumetti": 0.15},
        base_churn_monthly=0.03, satisfaction=0.2, survey_response=0.15,
        aspects={"price": 3, "used": 3, "app": 2, "cafe": 1, "events": 0.5},
        acquisition={"social": 0.5, "ricerca": 0.2, "affissioni": 0.15,
                     "negozio": 0.15},
        loyalty_card=0.4, consent_marketing=0.45, event_mix=(0.6, 0.0, 0.4),
    ),
    Persona(
        "professionista", "Professionista e azienda", "Professional and business",
        "Orders in bulk for an office, a school or a library by email, needs "
        "correct invoices and complete deliveries; few but large orders.",
        share=0.09, birth_years=(1958, 1993), english=0.15, city_with_store=0.6,
        season=(1.1, 1.1, 1.1, 1.0, 1.0, 0.9, 0.7, 0.4, 1.2, 1.1, 1.1, 1.3),
        rates={"store": 0.08, "cafe": 0.03, "browse": 0.2, "online": 0.04,
               "b2b": 0.3, "event": 0.01, "care": 0.075, "newsletter": 0.2,
               "ads": 0.03, "social": 0.02, "loyalty": 0.0},
        store_conversion=0.6, app_share=0.1, care_mix=(0.25, 0.05, 0.7),
        delivery_mix=(0.95, 0.0, 0.05), basket_eur=140.0, items=7.0,
        categories={"forniture": 0.5, "saggistica": 0.35, "narrativa": 0.15},
        base_churn_monthly=0.012, satisfaction=0.3, survey_response=0.2,
        aspects={"invoice": 3, "delivery": 2, "care": 2, "range": 1, "price": 1},
        acquisition={"ricerca": 0.5, "stampa": 0.2, "negozio": 0.2,
                     "affissioni": 0.1},
        loyalty_card=0.1, consent_marketing=0.35,
    ),
)  # fmt: skip


#: Position of each persona in :data:`PERSONAS`, by code.
PERSONA_INDEX: dict[str, int] = {p.code: i for i, p in enumerate(PERSONAS)}


def persona_array(attribute: str, key: str | None = None) -> np.ndarray:
    """One value per persona (in :data:`PERSONAS` order) as a numpy array."""
    values = []
    for p in PERSONAS:
        v = getattr(p, attribute)
        values.append(v[key] if key is not None else v)
    return np.asarray(values, dtype=np.float64)


def aspect_weights(allowed: tuple[str, ...] = ASPECTS) -> np.ndarray:
    """Cumulative probabilities (persona x aspect) of what each type talks about,
    restricted to ``allowed`` aspects (those a persona does not list get a small
    weight, except invoices, which only businesses receive)."""
    weights = np.array(
        [
            [
                p.aspects.get(a, 0.0 if a == "invoice" else 0.1)
                if a in allowed
                else 0.0
                for a in ASPECTS
            ]
            for p in PERSONAS
        ]
    )
    return np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
