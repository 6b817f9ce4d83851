"""The simulated calendar: local days, seasons, weekly and daily rhythms.

Time inside the simulator is a float: days since ``start`` at local midnight
(Europe/Rome). Only the final conversion to Arrow turns it into UTC instants,
so rhythms ("shops open at nine") are written in the time customers live in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

__all__ = ["DAYS_PER_MONTH", "HOURS", "WEEKDAYS", "Calendar", "Rhythm", "RhythmGrid"]

#: Average month length: rates in the simulator are "per month".
DAYS_PER_MONTH = 30.4375
ROME = ZoneInfo("Europe/Rome")


def _hours(*spans: tuple[int, int, float]) -> tuple[float, ...]:
    """A 24-slot weight profile from (first hour, last hour, weight) spans."""
    weights = [0.0] * 24
    for first, last, weight in spans:
        for hour in range(first, last + 1):
            weights[hour] = weight
    return tuple(weights)


#: Hour-of-day profiles (local time) by rhythm name.
HOURS: dict[str, tuple[float, ...]] = {
    "shop": _hours((9, 10, 0.6), (11, 12, 1.0), (13, 14, 0.7), (15, 19, 1.3)),
    "cafe": _hours(
        (8, 9, 1.4), (10, 12, 0.8), (13, 14, 1.0), (15, 17, 1.4), (18, 18, 0.6)
    ),
    "online": _hours(
        (0, 0, 0.5),
        (7, 8, 0.4),
        (9, 12, 0.8),
        (13, 14, 1.0),
        (15, 19, 0.8),
        (20, 23, 1.6),
    ),
    "phone": _hours(
        (9, 9, 1.0), (10, 12, 1.5), (13, 13, 0.7), (14, 17, 1.1), (18, 18, 0.6)
    ),
    "chat": _hours(
        (8, 9, 0.7), (10, 12, 1.2), (13, 17, 1.0), (18, 21, 1.1), (22, 22, 0.4)
    ),
    "email": _hours(
        (0, 6, 0.1), (7, 8, 0.6), (9, 12, 1.2), (13, 18, 1.0), (19, 23, 0.7)
    ),
    "event": _hours((11, 11, 0.4), (17, 17, 0.6), (18, 18, 1.6), (19, 19, 1.0)),
    "media": _hours((0, 6, 0.1), (7, 9, 1.2), (10, 17, 0.7), (18, 23, 1.3)),
    "courier": _hours((8, 9, 0.6), (10, 13, 1.2), (14, 17, 1.0), (18, 19, 0.4)),
}

#: Day-of-week profiles (Monday first) by rhythm name.
WEEKDAYS: dict[str, tuple[float, ...]] = {
    "shop": (0.8, 0.8, 0.9, 0.9, 1.1, 1.7, 0.8),
    "cafe": (0.9, 0.9, 0.9, 1.0, 1.1, 1.4, 0.8),
    "online": (1.0, 1.0, 1.0, 1.0, 0.9, 0.9, 1.2),
    "phone": (1.3, 1.1, 1.0, 1.0, 1.0, 0.6, 0.0),
    "chat": (1.2, 1.1, 1.0, 1.0, 1.0, 0.8, 0.6),
    "email": (1.2, 1.1, 1.0, 1.0, 1.0, 0.8, 0.9),
    "event": (0.0, 0.0, 0.5, 1.2, 1.3, 1.5, 0.8),
    "media": (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    "newsletter": (0.2, 0.3, 0.2, 0.3, 2.5, 1.0, 0.5),
}

#: Month profiles (January first) that belong to a channel rather than a persona.
MONTHS: dict[str, tuple[float, ...]] = {
    "flat": (1.0,) * 12,
    "event": (0.9, 1.0, 1.1, 1.1, 1.0, 0.6, 0.3, 0.1, 0.8, 1.2, 1.2, 1.0),
    "care": (1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8, 1.1, 1.0, 1.2, 1.5),
}


@dataclass(frozen=True)
class Rhythm:
    """When a kind of contact happens: weekday, hour and channel month profile."""

    weekday: str
    hours: str
    months: str = "flat"


class Calendar:
    """Local days from ``start`` for ``months`` calendar months."""

    def __init__(self, start: date, months: int) -> None:
        self.start = start
        year, month = divmod(start.month - 1 + months, 12)
        self.end = date(start.year + year, month + 1, min(start.day, 28))
        self.days = (self.end - start).days
        dates = [start + timedelta(days=d) for d in range(self.days + 1)]
        self.month = np.array([d.month - 1 for d in dates], dtype=np.int8)
        self.weekday = np.array([d.weekday() for d in dates], dtype=np.int8)
        # UTC offset (seconds) of each local day, taken at noon: good enough for
        # the two nights a year when the clocks change.
        self.utc_offset_s = np.array(
            [
                datetime(d.year, d.month, d.day, 12, tzinfo=ROME).utcoffset().seconds  # type: ignore[union-attr]
                for d in dates
            ],
            dtype=np.int64,
        )
        local_midnight = datetime(start.year, start.month, start.day, tzinfo=UTC)
        self._epoch_us = int(local_midnight.timestamp()) * 1_000_000

    def day_of(self, year: int, month: int, day: int) -> float:
        """Local day number of a calendar date."""
        return float((date(year, month, day) - self.start).days)

    def to_utc_us(self, t: np.ndarray, *, ceil: bool = False) -> np.ndarray:
        """Microseconds since the epoch (UTC) for local days ``t``, in whole seconds.

        Seconds are truncated (or rounded up with ``ceil``) so that an event
        before a deadline never lands on the deadline's second.
        """
        t = np.asarray(t, dtype=np.float64)
        day = np.clip(np.floor(t).astype(np.int64), 0, self.days)
        seconds = t * 86_400.0
        local_s = (np.ceil(seconds) if ceil else np.floor(seconds)).astype(np.int64)
        local_us = local_s * 1_000_000 + self._epoch_us
        return local_us - self.utc_offset_s[day] * 1_000_000

    def day_weights(self, rhythm: Rhythm) -> np.ndarray:
        """Relative daily intensity of a rhythm over the calendar (mean 1)."""
        w = np.asarray(WEEKDAYS[rhythm.weekday])[self.weekday[:-1]]
        w = w * np.asarray(MONTHS[rhythm.months])[self.month[:-1]]
        return w / w.mean()


class RhythmGrid:
    """Cumulative intensity per persona over the calendar, for Poisson streams.

    ``expected(p, lo, hi)`` is the number of events a unit monthly rate yields
    between local days ``lo`` and ``hi``; ``sample`` draws event times from the
    same intensity by inverting the cumulative curve, all vectorised.
    """

    def __init__(self, calendar: Calendar, rhythm: Rhythm, seasons: np.ndarray) -> None:
        days = calendar.days
        daily = calendar.day_weights(rhythm)[None, :] * seasons[:, calendar.month[:-1]]
        daily = daily / DAYS_PER_MONTH
        cum = np.zeros((seasons.shape[0], days + 1))
        np.cumsum(daily, axis=1, out=cum[:, 1:])
        self.cum = cum
        self.days = days
        # One increasing array over all personas (a gap of 1 between them) so
        # one searchsorted serves every persona at once.
        self.offset = np.concatenate(([0.0], np.cumsum(cum[:, -1] + 1.0)[:-1]))
        self.flat = (cum + self.offset[:, None]).ravel()
        profile = np.asarray(HOURS[rhythm.hours], dtype=np.float64)
        self.hour_cdf = np.cumsum(profile) / profile.sum()

    def at(self, persona: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Cumulative intensity at local days ``t`` (linear within a day)."""
        t = np.clip(t, 0.0, float(self.days))
        day = np.minimum(np.floor(t).astype(np.int64), self.days - 1)
        frac = t - day
        lo = self.cum[persona, day]
        hi = self.cum[persona, day + 1]
        return lo + frac * (hi - lo)

    def expected(
        self, persona: np.ndarray, lo: np.ndarray, hi: np.ndarray
    ) -> np.ndarray:
        return np.maximum(self.at(persona, hi) - self.at(persona, lo), 0.0)

    def sample(
        self,
        rng: np.random.Generator,
        persona: np.ndarray,
        lo: np.ndarray,
        hi: np.ndarray,
    ) -> np.ndarray:
        """One event time per row, drawn between ``lo`` and ``hi``."""
        a = self.at(persona, lo) + self.offset[persona]
        b = self.at(persona, hi) + self.offset[persona]
        u = a + rng.random(len(a)) * (b - a)
        k = np.searchsorted(self.flat, u, side="right") - 1
        day = k - persona.astype(np.int64) * (self.days + 1)
        hour = np.searchsorted(self.hour_cdf, rng.random(len(a)), side="right")
        t = day + (hour + rng.random(len(a))) / 24.0
        # On the first and last (partial) day the typical hour may fall outside
        # the customer's span: spread those events over the part that is inside.
        first = np.maximum(day, lo)
        last = np.minimum(day + 1.0, hi)
        spread = first + rng.random(len(a)) * (last - first)
        t = np.where((t < lo) | (t >= hi), spread, t)
        return np.clip(t, lo, np.nextafter(hi, lo))
