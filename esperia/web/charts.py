"""Small charts drawn on the server as inline SVG: no JavaScript, no library.

The SVG scales with its container (``viewBox``), takes its colours from the
stylesheet (classes, not inline styles, so the page's CSP stays strict) and
carries a title and description for screen readers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from markupsafe import Markup

__all__ = ["horizontal_bars"]

_ROW = 46


def horizontal_bars(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    description: str,
    value_format: Callable[[float], str] = lambda v: f"{v:g}",
) -> Markup:
    """One labelled horizontal bar per item, lengths proportional to the values.

    Lengths are percentages of the SVG's width, not a scaled ``viewBox``, so the
    bars stretch to any screen while the labels keep the page's text size.
    """
    height = max(1, len(items)) * _ROW
    top = max((value for _, value in items), default=0) or 1
    parts = [
        f'<svg class="chart" width="100%" height="{height}" role="img" '
        f'aria-labelledby="chart-t chart-d">',
        f'<title id="chart-t">{escape(title)}</title>',
        f'<desc id="chart-d">{escape(description)}</desc>',
    ]
    for index, (label, value) in enumerate(items):
        y = index * _ROW
        # A non-zero value always gets a visible sliver, however small.
        share = 0.0 if value <= 0 else max(0.5, 100.0 * value / top)
        parts.append(
            f'<text class="chart-label" x="0" y="{y + 16}">{escape(label)}</text>'
            f'<text class="chart-value" x="100%" y="{y + 16}" text-anchor="end">'
            f"{escape(value_format(value))}</text>"
            f'<rect class="chart-track" x="0" y="{y + 23}" width="100%" '
            f'height="14" rx="4"></rect>'
            f'<rect class="chart-bar" x="0" y="{y + 23}" width="{share:.2f}%" '
            f'height="14" rx="4"></rect>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
