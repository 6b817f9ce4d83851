"""`esperia value wallet …`, `esperia value market-share …`: value realization."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, cast

import typer

from esperia.cli.app import print_columns, print_json, state
from esperia.cli.value import JsonOpt, value_app
from esperia.workspace import open_workspace

wallet_app = typer.Typer(
    help="Share of wallet from the category spend you provide.", no_args_is_help=True
)
value_app.add_typer(wallet_app, name="wallet")
market_app = typer.Typer(
    help="Market share figures you provide, tracked next to NPS.",
    no_args_is_help=True,
)
value_app.add_typer(market_app, name="market-share")


_WALLET_KEYS = {
    "customer": ["customer_id", "segment", "category", "period_start", "period_end"],
    "segment": ["level", "segment", "category"],
    "category": ["level", "category"],
}


def _wallet_money(g: dict[str, Any]) -> list[str]:
    return [
        f"{g['total_spend']:,.2f}",
        f"{g['our_revenue']:,.2f}",
        _pct(g["share_of_wallet"]),
    ]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


@wallet_app.command("import")
def wallet_import(
    file: Annotated[Path, typer.Argument(help="CSV, TSV or Parquet file.")],
    replace: Annotated[
        bool, typer.Option(help="Drop the category spend stored before.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import total category spend: customer_id or segment, category,
    period_start, period_end, total_spend[, source]."""
    from esperia.value.wallet import import_category_spend

    store = open_workspace(state().settings())
    try:
        data = import_category_spend(store, file, replace=replace)
    finally:
        store.close()
    if as_json:
        print_json(data)
        return
    typer.echo(f"imported {data['imported']:,} rows ({data['rows']:,} stored)")


@wallet_app.command("show")
def wallet_show(
    by: Annotated[str, typer.Option(help="customer, segment or category.")] = "segment",
    limit: Annotated[int, typer.Option(help="Rows to show at most.")] = 1000,
    as_json: JsonOpt = False,
) -> None:
    """Share of wallet: our orders in each category / the total you provided."""
    from esperia.value.wallet import WalletBy, share_of_wallet

    store = open_workspace(state().settings())
    try:
        data = share_of_wallet(store, by=cast(WalletBy, by), limit=limit)
    finally:
        store.close()
    if as_json:
        print_json(data)
        return
    keys = _WALLET_KEYS.get(by, [])
    rows = [[*keys, "total spend", "our revenue", "share of wallet"]]
    for g in data["groups"]:
        rows.append([*(str(g[k] or "-") for k in keys), *_wallet_money(g)])
    total = ["total", *[""] * (len(keys) - 1)]
    rows.append([*total, *_wallet_money(data["total"])])
    print_columns(rows)
    if data["total"]["exceeding"]:
        typer.echo(
            f"{data['total']['exceeding']:,} rows where our orders exceed the "
            "reported total: check the figures or their periods"
        )


@market_app.command("add")
def market_add(
    market: Annotated[str, typer.Option(help="Market or category, e.g. books.")],
    period: Annotated[str, typer.Option(help="2025, 2025-Q2 or 2025-03.")],
    share: Annotated[float, typer.Option(help="Share as a fraction, 0.23 = 23%.")],
    source: Annotated[
        str | None, typer.Option(help="Where the figure comes from.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record one market share figure (replaces the same market and period)."""
    from esperia.value.market import add_market_share

    store = open_workspace(state().settings())
    try:
        data = add_market_share(
            store, market=market, period=period, share=share, source=source
        )
    finally:
        store.close()
    if as_json:
        print_json(data)
        return
    typer.echo(
        f"{data['market']} {data['period_start']}..{data['period_end']}: "
        f"{data['share']:.1%}"
    )


@market_app.command("import")
def market_import(
    file: Annotated[Path, typer.Argument(help="CSV, TSV or Parquet file.")],
    as_json: JsonOpt = False,
) -> None:
    """Import figures: market, share, period (or period_start, period_end)[, source]."""
    from esperia.value.market import import_market_share

    store = open_workspace(state().settings())
    try:
        data = import_market_share(store, file)
    finally:
        store.close()
    if as_json:
        print_json(data)
        return
    typer.echo(f"imported {data['imported']:,} figures ({data['rows']:,} stored)")


@market_app.command("show")
def market_show(as_json: JsonOpt = False) -> None:
    """Market share over time, with the NPS of the same periods."""
    from esperia.value.market import market_share_report

    store = open_workspace(state().settings())
    try:
        data = market_share_report(store)
    finally:
        store.close()
    if as_json:
        print_json(data)
        return
    rows = [["market", "from", "to", "share", "NPS", "answers", "source"]]
    for r in data["rows"]:
        rows.append(
            [r["market"], r["period_start"], r["period_end"], _pct(r["share"]),
             "-" if r["nps"] is None else f"{r['nps']:.1f}",
             f"{r['nps_answers']:,}", r["source"] or "-"]
        )  # fmt: skip
    print_columns(rows)
