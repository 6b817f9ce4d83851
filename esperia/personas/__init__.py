"""Personas from data: features in the engine, seeded clustering, cards, drift."""

from esperia.personas.features import FeatureFrame, compute_features
from esperia.personas.model import cluster, scale_features
from esperia.personas.service import (
    build_personas,
    list_versions,
    show_persona,
    show_version,
)

__all__ = [
    "FeatureFrame",
    "build_personas",
    "cluster",
    "compute_features",
    "list_versions",
    "scale_features",
    "show_persona",
    "show_version",
]
