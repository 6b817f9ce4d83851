"""Both languages complete, numbers and dates as people write them, the SVG chart."""

from __future__ import annotations

import re
from datetime import datetime
from importlib import resources

from esperia.web.charts import horizontal_bars
from esperia.web.i18n import (
    LANGUAGES,
    format_datetime,
    format_number,
    strings,
    translate,
)
from esperia.web.security import safe_next


def _template_keys() -> set[str]:
    keys: set[str] = set()
    folder = resources.files("esperia.web").joinpath("templates")
    for template in folder.iterdir():
        keys |= set(
            re.findall(r"\bt\('([a-z_.0-9]+)'\s*[,)]", template.read_text("utf-8"))
        )
    return keys


def test_italian_and_english_have_the_same_keys():
    assert LANGUAGES[0] == "it"
    italian, english = strings("it"), strings("en")
    assert set(italian) == set(english)
    assert all(value.strip() for value in [*italian.values(), *english.values()])
    # Placeholders match too, or one language would crash on .format().
    for key, text in italian.items():
        assert set(re.findall(r"{(\w+)}", text)) == set(
            re.findall(r"{(\w+)}", english[key])
        ), key


def test_every_key_a_template_uses_exists():
    used = _template_keys()
    assert len(used) > 40
    assert used - set(strings("it")) == set()


def test_translate_fills_values_and_falls_back():
    assert translate("it", "users.created", email="a@b.it") == "Utente a@b.it creato."
    assert translate("en", "users.created", email="a@b.it") == "User a@b.it created."
    assert translate("fr", "nav.overview") == "Panoramica"  # unknown language
    assert translate("en", "no.such.key") == "no.such.key"


def test_numbers_and_dates_per_language():
    assert format_number(1234567, "it") == "1.234.567"
    assert format_number(1234567, "en") == "1,234,567"
    assert format_number(1234.5, "it") == "1.234,5"
    assert format_number(None, "en") == "—"
    moment = "2025-03-04T09:05:00+01:00"
    assert format_datetime(moment, "it") == "04/03/2025 09:05"
    assert format_datetime(moment, "en") == "2025-03-04 09:05"
    assert format_datetime(datetime(2025, 12, 31, 23, 59), "it") == "31/12/2025 23:59"
    assert format_datetime(None, "it") == "—"
    assert format_datetime("not a date", "it") == "not a date"


def test_bar_chart_scales_and_escapes():
    svg = str(
        horizontal_bars(
            [("Clienti <x>", 50), ("Ordini", 200), ("Vuoto", 0), ("Pochi", 0.1)],
            title="Record & tipi",
            description="desc",
        )
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    widths = re.findall(r'class="chart-bar" x="0" y="\d+" width="([\d.]+)%"', svg)
    assert [float(w) for w in widths] == [25.0, 100.0, 0.0, 0.5]
    assert "Clienti &lt;x&gt;" in svg and "<x>" not in svg
    assert "Record &amp; tipi" in svg
    assert "style=" not in svg  # the page's CSP forbids inline styles


def test_safe_next_keeps_only_local_paths():
    assert safe_next("/imports?page=2") == "/imports?page=2"
    for bad in ("//evil.example", "https://evil.example/", "/\\evil", "", None, "x"):
        assert safe_next(bad) == "/", bad
    assert safe_next("/ok\nSet-Cookie: x") == "/"
