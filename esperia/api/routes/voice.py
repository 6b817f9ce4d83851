"""Voice of the customer over HTTP: the voice page's data, and ad-hoc analysis.

``GET /api/v1/voice…`` answers from the enrichment tables with the same
filters as the page; ``POST /api/v1/text/analyze`` analyses texts sent in the
request and stores nothing.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from esperia.api.deps import ReadAccess, SettingsDep, StoreDep
from esperia.api.limits import read_body_limited
from esperia.api.schemas import ErrorResponse
from esperia.config import Settings
from esperia.errors import InvalidInput, PayloadTooLarge
from esperia.text.enrich import default_analyzer
from esperia.text.topics import emerging_topics
from esperia.text.voice import (
    VoiceFilters,
    aspect_summary,
    emotion_breakdown,
    example_comments,
    filter_choices,
    module_breakdown,
    pyramid_breakdown,
    voice_report,
)

__all__ = ["analyze_texts", "router"]

router = APIRouter(tags=["voice"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "A filter is not valid."},
    401: {"model": ErrorResponse, "description": "No API key, or a bad one."},
    403: {"model": ErrorResponse, "description": "The key lacks the `read` scope."},
}


def voice_filters(
    touchpoint: Annotated[str | None, Query(description="A touchpoint id.")] = None,
    stage: Annotated[str | None, Query(description="A journey stage.")] = None,
    channel: Annotated[str | None, Query(description="A touchpoint channel.")] = None,
    since: Annotated[str | None, Query(description="First day, YYYY-MM-DD.")] = None,
    until: Annotated[
        str | None, Query(description="Last day included, YYYY-MM-DD.")
    ] = None,
    language: Annotated[str | None, Query(description="it, en, …")] = None,
    source: Annotated[str | None, Query(description="survey, review, …")] = None,
) -> VoiceFilters:
    """The filters every voice route takes, checked once."""
    return VoiceFilters.parse(
        touchpoint=touchpoint, stage=stage, channel=channel, since=since,
        until=until, language=language, source=source,
    )  # fmt: skip


Filters = Annotated[VoiceFilters, Depends(voice_filters)]


@router.get("/voice", summary="Everything the voice page shows", responses=_ERRORS)
def voice(
    _: ReadAccess,
    store: StoreDep,
    filters: Filters,
    examples: Annotated[int, Query(ge=0, le=200)] = 10,
) -> dict[str, Any]:
    """Overview, aspects, modules, pyramid, emotions and example comments."""
    return voice_report(store, filters, examples=examples)


@router.get("/voice/aspects", summary="Aspects by volume and sentiment")
def aspects(
    _: ReadAccess,
    store: StoreDep,
    filters: Filters,
    min_mentions: Annotated[int, Query(ge=1)] = 1,
) -> list[dict[str, Any]]:
    """Per aspect: mentions (``n``), comments, mean sentiment with a 95% interval."""
    return aspect_summary(store, filters, min_mentions=min_mentions)


@router.get("/voice/modules", summary="Schmitt's modules")
def modules(_: ReadAccess, store: StoreDep, filters: Filters) -> list[dict[str, Any]]:
    """Per experiential module: comments and their mean sentiment."""
    return module_breakdown(store, filters)


@router.get("/voice/pyramid", summary="The CX pyramid")
def pyramid(_: ReadAccess, store: StoreDep, filters: Filters) -> list[dict[str, Any]]:
    """Comments by the lowest pyramid level they speak to, bottom first."""
    return pyramid_breakdown(store, filters)


@router.get("/voice/emotions", summary="Emotions")
def emotions(_: ReadAccess, store: StoreDep, filters: Filters) -> list[dict[str, Any]]:
    """Per emotion: comments expressing it and its mean intensity."""
    return emotion_breakdown(store, filters)


@router.get("/voice/examples", summary="Example comments (redacted)")
def examples(
    _: ReadAccess,
    store: StoreDep,
    filters: Filters,
    aspect: Annotated[str | None, Query(description="Only about this aspect.")] = None,
    polarity: Annotated[
        Literal["negative", "neutral", "positive"] | None, Query()
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 10,
) -> list[dict[str, Any]]:
    """The newest comments; personal data is masked."""
    return example_comments(
        store, filters, aspect=aspect, polarity=polarity, limit=limit
    )


@router.get("/voice/topics", summary="Emerging topics")
def topics(
    _: ReadAccess,
    store: StoreDep,
    settings: SettingsDep,
    filters: Filters,
    topics: Annotated[int, Query(ge=1, le=30)] = 8,
    scope: Annotated[Literal["unmatched", "all"], Query()] = "unmatched",
) -> dict[str, Any]:
    """Recurring themes in the comments no taxonomy aspect matched."""
    return emerging_topics(
        store, settings, filters, topics=topics, scope=scope
    ).to_dict()


@router.get("/voice/filters", summary="Values the filters can take")
def filters(_: ReadAccess, store: StoreDep) -> dict[str, list[Any]]:
    """Touchpoints, stages, channels, languages and sources in this workspace."""
    return filter_choices(store)


def analyze_texts(settings: Settings, body: bytes) -> dict[str, Any]:
    """Check and analyse one ``/text/analyze`` body; the answer the route returns."""
    try:
        data = orjson.loads(body) if body.strip() else None
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("texts"), list):
        raise InvalidInput(
            'send a JSON object: {"texts": ["…", …], "language": "auto"}'
        )
    texts = data["texts"]
    language = data.get("language") or "auto"
    known = settings.text_languages
    if language != "auto" and language not in known:
        raise InvalidInput(f"language {language!r}: auto or one of {', '.join(known)}")
    if len(texts) > settings.text_analyze_max_texts:
        raise PayloadTooLarge(
            f"{len(texts):,} texts; at most {settings.text_analyze_max_texts:,} "
            "per request (setting text_analyze_max_texts)"
        )
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise InvalidInput(f"texts[{i}] is not a string")
        if len(text) > settings.text_analyze_max_chars:
            raise PayloadTooLarge(
                f"texts[{i}] has {len(text):,} characters; at most "
                f"{settings.text_analyze_max_chars:,} (setting text_analyze_max_chars)"
            )
    analyzer = default_analyzer(settings)
    results = analyzer.analyze(texts, language=None if language == "auto" else language)
    return {"analyzer": analyzer.name, "results": [asdict(r) for r in results]}


@router.post(
    "/text/analyze",
    summary="Analyse texts (nothing is stored)",
    responses={
        **_ERRORS,
        413: {"model": ErrorResponse, "description": "Too many or too long texts."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["texts"],
                        "properties": {
                            "texts": {"type": "array", "items": {"type": "string"}},
                            "language": {"type": "string", "default": "auto"},
                        },
                    },
                    "example": {
                        "texts": ["Personale gentile ma attesa lunghissima."],
                        "language": "auto",
                    },
                }
            },
        }
    },
)
async def analyze(
    request: Request, _: ReadAccess, settings: SettingsDep
) -> dict[str, Any]:
    """Language, sentiment, emotions, aspects, modules, pyramid level and the
    redacted text of each text sent; the original texts are not echoed back."""
    body = await read_body_limited(request, settings.api_max_body_bytes)
    return await run_in_threadpool(analyze_texts, settings, body)
