"""Lexicons and the aspect taxonomy as data: packaged YAML merged with workspace files.

Each language is a folder ``data/<lang>/`` holding ``sentiment.yaml``,
``modifiers.yaml``, ``emotions.yaml``, ``aspects.yaml`` and ``modules.yaml``;
``data/taxonomy.yaml`` and ``data/emoji.yaml`` are shared. A workspace may add
``<workspace>/text/<lang>/*.yaml`` (and ``<workspace>/text/taxonomy.yaml``): maps
are merged key by key over the packaged ones, lists are extended, so a user adds
or re-scores terms without copying the whole lexicon, and adds a language by
adding a folder.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from esperia.errors import InvalidInput

__all__ = [
    "DATA_DIR",
    "AspectDef",
    "LanguageData",
    "Taxonomy",
    "available_languages",
    "load_language",
    "load_taxonomy",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
_LANG_FILES = ("sentiment", "modifiers", "emotions", "aspects", "modules")
_PYRAMID = ("needs", "ease", "enjoyment")
_MODULES = ("sense", "feel", "think", "act", "relate")

try:  # the C loader is ~10x faster; PyYAML wheels normally ship it
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader


@dataclass(frozen=True)
class AspectDef:
    """One CX aspect: where it sits in the CX models."""

    id: str
    modules: tuple[str, ...]
    pyramid_level: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class Taxonomy:
    aspects: Mapping[str, AspectDef]

    def label(self, aspect: str, language: str) -> str:
        definition = self.aspects.get(aspect)
        if definition is None:
            return aspect
        return definition.labels.get(language) or definition.labels.get("en") or aspect


@dataclass
class LanguageData:
    """The raw (merged) lexicon data of one language."""

    code: str
    sentiment: dict[str, float] = field(default_factory=dict)
    negators: list[str] = field(default_factory=list)
    intensifiers: dict[str, float] = field(default_factory=dict)
    contrast: list[str] = field(default_factory=list)
    concessive: list[str] = field(default_factory=list)
    irony: list[str] = field(default_factory=list)
    suggestion: list[str] = field(default_factory=list)
    stopwords: list[str] = field(default_factory=list)
    #: "un"+"helpful": a known positive word behind one of these turns negative
    opposite_prefixes: list[str] = field(default_factory=list)
    #: "point"+"less", "flaw"+"less": the word means the opposite of its stem
    privative_suffixes: list[str] = field(default_factory=list)
    emotions: dict[str, list[str]] = field(default_factory=dict)
    aspects: dict[str, list[str]] = field(default_factory=dict)
    modules: dict[str, list[str]] = field(default_factory=dict)
    emoji: dict[str, dict[str, Any]] = field(default_factory=dict)


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_Loader)
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read lexicon file {path}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInput(f"lexicon file {path} must hold a mapping at top level")
    return data


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Maps merge key by key (recursively), lists extend, scalars replace."""
    out = dict(base)
    for key, value in extra.items():
        old = out.get(key)
        if isinstance(old, dict) and isinstance(value, Mapping):
            out[key] = _merge(old, value)
        elif isinstance(old, list) and isinstance(value, list):
            out[key] = old + [v for v in value if v not in old]
        else:
            out[key] = value
    return out


def _folders(workspace: Path | None) -> list[Path]:
    folders = [DATA_DIR]
    if workspace is not None and (workspace / "text").is_dir():
        folders.append(workspace / "text")
    return folders


def available_languages(workspace: Path | None = None) -> list[str]:
    """Languages that have lexicon folders (packaged or in the workspace)."""
    codes: set[str] = set()
    for folder in _folders(workspace):
        codes.update(
            p.name for p in folder.iterdir() if (p / "sentiment.yaml").is_file()
        )
    return sorted(codes)


def _terms(values: Any, where: str) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list):
        raise InvalidInput(f"{where}: expected a list of terms")
    return [str(v).strip().lower() for v in values if str(v).strip()]


def _scores(values: Any, where: str) -> dict[str, float]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise InvalidInput(f"{where}: expected a mapping of term: number")
    out: dict[str, float] = {}
    for term, score in values.items():
        try:
            out[str(term).strip().lower()] = float(score)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"{where}: {term!r} has no numeric score") from exc
    return out


@lru_cache(maxsize=16)
def load_language(code: str, workspace: Path | None = None) -> LanguageData:
    """Merge the packaged and workspace lexicon files of one language."""
    merged: dict[str, dict[str, Any]] = {name: {} for name in _LANG_FILES}
    emoji: dict[str, Any] = {}
    found = False
    for folder in _folders(workspace):
        if (folder / "emoji.yaml").is_file():
            emoji = _merge(emoji, _read(folder / "emoji.yaml"))
        lang_dir = folder / code
        for name in _LANG_FILES:
            path = lang_dir / f"{name}.yaml"
            if path.is_file():
                found = True
                merged[name] = _merge(merged[name], _read(path))
    if not found:
        raise InvalidInput(
            f"no lexicon for language {code!r}: add {DATA_DIR / code}/*.yaml "
            f"or <workspace>/text/{code}/*.yaml"
        )
    where = f"lexicon {code}"
    mods = merged["modifiers"]
    data = LanguageData(
        code=code,
        sentiment=_scores(merged["sentiment"], f"{where} sentiment.yaml"),
        negators=_terms(mods.get("negators"), f"{where} negators"),
        intensifiers=_scores(mods.get("intensifiers"), f"{where} intensifiers"),
        contrast=_terms(mods.get("contrast"), f"{where} contrast"),
        concessive=_terms(mods.get("concessive"), f"{where} concessive"),
        irony=_terms(mods.get("irony"), f"{where} irony"),
        suggestion=_terms(mods.get("suggestion"), f"{where} suggestion"),
        stopwords=_terms(mods.get("stopwords"), f"{where} stopwords"),
        opposite_prefixes=_terms(
            mods.get("opposite_prefixes"), f"{where} opposite_prefixes"
        ),
        privative_suffixes=_terms(
            mods.get("privative_suffixes"), f"{where} privative_suffixes"
        ),
        emotions={
            k: _terms(v, f"{where} emotions.{k}") for k, v in merged["emotions"].items()
        },
        aspects={
            k: _terms(v, f"{where} aspects.{k}") for k, v in merged["aspects"].items()
        },
        modules={
            k: _terms(v, f"{where} modules.{k}") for k, v in merged["modules"].items()
        },
        emoji={str(k): dict(v) for k, v in emoji.items() if isinstance(v, Mapping)},
    )
    unknown = set(data.modules) - set(_MODULES)
    if unknown:
        raise InvalidInput(f"{where} modules.yaml: unknown modules {sorted(unknown)}")
    return data


def _strings(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


@lru_cache(maxsize=8)
def load_taxonomy(workspace: Path | None = None) -> Taxonomy:
    """The CX aspect taxonomy: aspect → modules, pyramid level, labels."""
    merged: dict[str, Any] = {}
    for folder in _folders(workspace):
        if (folder / "taxonomy.yaml").is_file():
            merged = _merge(merged, _read(folder / "taxonomy.yaml"))
    aspects: dict[str, AspectDef] = {}
    for aspect_id, spec in merged.items():
        if not isinstance(spec, Mapping):
            raise InvalidInput(f"taxonomy.yaml: {aspect_id} must be a mapping")
        modules = _strings(spec.get("modules") or ())
        level = str(spec.get("pyramid", ""))
        if level not in _PYRAMID or not set(modules) <= set(_MODULES):
            raise InvalidInput(
                f"taxonomy.yaml: {aspect_id} needs pyramid in {_PYRAMID} "
                f"and modules among {_MODULES}"
            )
        labels = {str(k): str(v) for k, v in (spec.get("label") or {}).items()}
        aspects[str(aspect_id)] = AspectDef(str(aspect_id), modules, level, labels)
    return Taxonomy(aspects)
