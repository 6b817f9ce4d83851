"""Value: retention, customer lifetime value, and the money behind each experience.

Data preparation (summaries, customer-months) runs in the engine; each model
lives in its own module (BG/NBD, Gamma-Gamma, the churn hazard) with ``fit`` and
``predict``; services tie them to the store.
"""

from esperia.value.bgnbd import BetaGeo, BetaGeoParams
from esperia.value.clv import ClvFit, ClvOptions, Predictions, fit_rfm, predict
from esperia.value.data import RFM, TimeUnit
from esperia.value.fitting import fit_file, fit_source, summarise_source
from esperia.value.gamma_gamma import GammaGamma, GammaGammaParams
from esperia.value.summary import CustomerSummary
from esperia.value.transactions import TransactionColumns

__all__ = [
    "RFM",
    "BetaGeo",
    "BetaGeoParams",
    "ClvFit",
    "ClvOptions",
    "CustomerSummary",
    "GammaGamma",
    "GammaGammaParams",
    "Predictions",
    "TimeUnit",
    "TransactionColumns",
    "fit_file",
    "fit_rfm",
    "fit_source",
    "predict",
    "summarise_source",
]
