"""Body limits: refuse an oversized request before it fills the server's memory.

The declared ``Content-Length`` is checked first (a cheap early 413), then the
bytes actually received, because a chunked body declares no length and a
client may lie about it.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from esperia.errors import InvalidInput, PayloadTooLarge

__all__ = ["check_items", "parse_json_array", "read_body_limited"]


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the request body is larger than {max_bytes:,} bytes "
        "(setting api_max_body_bytes): send smaller batches"
    )


async def read_body_limited(request: Request, max_bytes: int) -> bytes:
    """The whole request body, or :class:`PayloadTooLarge` past ``max_bytes``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise InvalidInput("the Content-Length header is not a number") from None
        if length > max_bytes:
            raise _too_large(max_bytes)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise _too_large(max_bytes)
    return bytes(body)


def parse_json_array(body: bytes) -> list[Any]:
    """Decode a JSON array with orjson; a clear 400 for anything else."""
    if not body.strip():
        raise InvalidInput("the request body is empty: send a JSON array of objects")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise InvalidInput(
            f"the request body must be a JSON array of objects, not a JSON "
            f"{_json_type(data)}; wrap a single item in [ ]"
        )
    return data


def check_items(items: list[Any], max_items: int) -> None:
    """:class:`PayloadTooLarge` for a batch with more than ``max_items`` items."""
    if len(items) > max_items:
        raise PayloadTooLarge(
            f"the batch has {len(items):,} items; at most {max_items:,} are allowed "
            "per request (setting api_max_items): split it"
        )


def _json_type(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else type(value).__name__
