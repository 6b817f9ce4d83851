"""QR codes of survey links, as SVG (for posters, receipts and counters)."""

from __future__ import annotations

import io

import segno

__all__ = ["qr_svg"]


def qr_svg(link: str, *, scale: int = 4) -> str:
    """The link as a standalone SVG QR code (error correction M, quiet zone)."""
    out = io.BytesIO()
    segno.make(link, error="m").save(
        out, kind="svg", scale=scale, xmldecl=False, title=link
    )
    return out.getvalue().decode("utf-8")
