"""Personas from data: features in the engine, a latent class model, cards, drift."""

from esperia.personas.features import FeatureFrame, compute_features
from esperia.personas.mixture import MixtureData, MixtureModel, fit_mixture, prepare
from esperia.personas.model import Clustering, cluster
from esperia.personas.service import (
    build_personas,
    list_versions,
    show_persona,
    show_version,
)

__all__ = [
    "Clustering",
    "FeatureFrame",
    "MixtureData",
    "MixtureModel",
    "build_personas",
    "cluster",
    "compute_features",
    "fit_mixture",
    "list_versions",
    "prepare",
    "show_persona",
    "show_version",
]
