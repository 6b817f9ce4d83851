"""Who the customers are: persona, home, language, consent, mood, arrival.

A cohort is a batch of customers simulated together. Its arrays are indexed by
the customer's position in the batch; ``offset`` turns that into the global
position used by every frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from esperia.demo.business import (
    CITIES,
    PERSONA_INDEX,
    PERSONAS,
    STORE_TOUCHPOINTS,
    persona_array,
)

__all__ = ["ACQUISITION", "Cohort", "draw_cohort", "pick_rows"]

#: How a customer first heard of the shop.
ACQUISITION: tuple[str, ...] = (
    "negozio",
    "ricerca",
    "social",
    "stampa",
    "affissioni",
    "passaparola",
)
_CITY_WEIGHT = np.array([c.weight for c in CITIES])
_HAS_STORE = np.array([c.has_store for c in CITIES])


@dataclass
class Cohort:
    offset: int
    persona: np.ndarray
    #: Local day of the first contact; negative for customers who predate the data.
    arrival: np.ndarray
    #: Individual activity multiplier (mean 1): some people simply buy more.
    gamma: np.ndarray
    city: np.ndarray
    #: Touchpoint index of the home store, -1 when no store is in town.
    store: np.ndarray
    english: np.ndarray
    work: np.ndarray
    consent_marketing: np.ndarray
    consent_analytics: np.ndarray
    loyalty: np.ndarray
    birth_year: np.ndarray
    #: Baseline satisfaction (latent, around 0): colours every score they give.
    satisfaction: np.ndarray
    referrer: np.ndarray
    acquisition: np.ndarray

    @property
    def n(self) -> int:
        return len(self.persona)

    @property
    def start(self) -> np.ndarray:
        """When the customer becomes observable: arrival, or the window start."""
        return np.maximum(self.arrival, 0.0)


def pick_rows(
    rng: np.random.Generator, cum: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """One category per row from per-row cumulative probabilities ``cum[rows]``."""
    u = rng.random(len(rows))
    picked = (cum[rows] < u[:, None]).sum(axis=1)
    return np.minimum(picked, cum.shape[1] - 1)


def _cum(matrix: np.ndarray) -> np.ndarray:
    return np.cumsum(matrix / matrix.sum(axis=1, keepdims=True), axis=1)


def _home_cities(rng: np.random.Generator, persona: np.ndarray) -> np.ndarray:
    in_store_town = rng.random(len(persona)) < persona_array("city_with_store")[persona]
    store_w = np.where(_HAS_STORE, _CITY_WEIGHT, 0.0)
    other_w = np.where(_HAS_STORE, 0.0, _CITY_WEIGHT)
    cum = _cum(np.vstack([other_w, store_w]))
    return pick_rows(rng, cum, in_store_town.astype(np.int64)).astype(np.int16)


def draw_cohort(
    rng: np.random.Generator,
    offset: int,
    arrival: np.ndarray,
    persona: np.ndarray | None = None,
    city: np.ndarray | None = None,
    referrer: np.ndarray | None = None,
) -> Cohort:
    """Customers arriving at ``arrival``; persona and city may be imposed."""
    n = len(arrival)
    if persona is None:
        shares = persona_array("share")
        persona = rng.choice(len(PERSONAS), n, p=shares / shares.sum())
    persona = persona.astype(np.int8)
    home = _home_cities(rng, persona)
    if city is not None:
        home = np.where(city >= 0, city, home).astype(np.int16)
    if referrer is None:
        referrer = np.full(n, -1, dtype=np.int64)
    lo = np.array([p.birth_years[0] for p in PERSONAS])[persona]
    hi = np.array([p.birth_years[1] for p in PERSONAS])[persona]
    acquisition_mix = np.array(
        [[p.acquisition.get(a, 0.0) for a in ACQUISITION] for p in PERSONAS]
    )
    acquisition = pick_rows(rng, _cum(acquisition_mix), persona)
    acquisition = np.where(referrer >= 0, ACQUISITION.index("passaparola"), acquisition)
    professional = persona == PERSONA_INDEX["professionista"]
    return Cohort(
        offset=offset,
        persona=persona,
        arrival=np.asarray(arrival, dtype=np.float64),
        gamma=rng.gamma(2.0, 0.5, n),
        city=home,
        store=STORE_TOUCHPOINTS[home],
        english=rng.random(n) < persona_array("english")[persona],
        work=rng.random(n) < np.where(professional, 0.55, 0.01),
        consent_marketing=rng.random(n) < persona_array("consent_marketing")[persona],
        consent_analytics=rng.random(n) < 0.8,
        loyalty=rng.random(n) < persona_array("loyalty_card")[persona],
        birth_year=lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64),
        satisfaction=persona_array("satisfaction")[persona] + rng.normal(0, 0.7, n),
        referrer=referrer.astype(np.int64),
        acquisition=acquisition.astype(np.int8),
    )
