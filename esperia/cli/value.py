"""`esperia clv …`, `esperia retention`, `esperia value …`: value and churn."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, cast

import typer

from esperia.cli.app import app, print_columns, print_json, state
from esperia.errors import InvalidInput
from esperia.workspace import open_workspace

clv_app = typer.Typer(
    help="Customer lifetime value: BG/NBD or Pareto/NBD, + Gamma-Gamma.",
    no_args_is_help=True,
)
app.add_typer(clv_app, name="clv")

TransactionsOpt = Annotated[
    Path | None,
    typer.Option(
        "--transactions",
        help="A transaction file (CSV, Parquet or whitespace-separated text) "
        "instead of the workspace's orders.",
    ),
]
CustomerOpt = Annotated[
    str, typer.Option("--customer", help="Customer column (name or 1-based position).")
]
DateOpt = Annotated[
    str, typer.Option("--date", help="Date column (name or 1-based position).")
]
ValueOpt = Annotated[
    str, typer.Option("--value", help="Spend column (name or 1-based position).")
]
DateFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--date-format", help="strptime format of the dates (default: ISO or YYYYMMDD)."
    ),
]
CalibrationOpt = Annotated[
    str | None,
    typer.Option(
        "--calibration-end",
        help="Last day (YYYY-MM-DD) of the calibration period "
        "(default: the last purchase).",
    ),
]
UnitOpt = Annotated[
    str | None,
    typer.Option(
        "--time-unit", help="days or weeks (default: the clv_time_unit setting)."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="Purchase model: bg-nbd or pareto-nbd (default: the clv_model setting).",
    ),
]


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e5 else f"{value:,.0f}"
    return "-" if value is None else str(value)


def _file_summary(
    path: Path, customer: str, date: str, value: str, date_format: str | None,
    calibration_end: dt.date | None, time_unit: str,
) -> Any:  # fmt: skip
    from esperia.value.fitting import check_time_unit, file_connection, summarise_source
    from esperia.value.transactions import TransactionColumns, load_transactions

    con = file_connection()
    try:
        cols = TransactionColumns(customer, date, value, date_format=date_format)
        load_transactions(con, path, cols)
        return summarise_source(
            con, "_tx", calibration_end=calibration_end,
            time_unit=check_time_unit(time_unit),
        )  # fmt: skip
    finally:
        con.close()


@clv_app.command("fit")
def clv_fit(
    transactions: TransactionsOpt = None,
    customer: CustomerOpt = "customer_id",
    date: DateOpt = "date",
    value: ValueOpt = "value",
    date_format: DateFormatOpt = None,
    calibration_end: CalibrationOpt = None,
    time_unit: UnitOpt = None,
    model: ModelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fit the purchase model and Gamma-Gamma; print the parameters and the time."""
    from esperia.value.clv import MODEL_PARAMS, check_model

    cal = _date(calibration_end, "--calibration-end")
    settings = state().settings()
    name = check_model(model or settings.clv_model)
    if transactions is not None:
        from esperia.value import TransactionColumns, fit_file

        columns = TransactionColumns(customer, date, value, date_format=date_format)
        fit = fit_file(
            transactions, columns,
            calibration_end=cal, time_unit=time_unit or settings.clv_time_unit,
            memory_limit=settings.duckdb_memory_limit, threads=settings.duckdb_threads,
            model=name,
        )  # fmt: skip
    else:
        from esperia.value.service import fit_workspace

        store = open_workspace(settings)
        try:
            fit, _summary = fit_workspace(
                store, settings, calibration_end=cal, time_unit=time_unit,
                model=name,
            )  # fmt: skip
        finally:
            store.close()
    data = fit.to_dict()
    if as_json:
        print_json(data)
        return
    keys = (*MODEL_PARAMS[name], "log_likelihood", "p", "q", "gamma")
    rows = [["parameter", "value"], ["model", name]]
    rows += [[k, _fmt(data[k])] for k in keys]
    print_columns(rows)
    typer.echo(
        f"{data['customers']:,} customers ({data['repeat_buyers']:,} repeat buyers, "
        f"{data['unique_rows']:,} distinct summaries), time unit {data['time_unit']}, "
        f"calibration end {data['calibration_end']}, {data['seconds']:.2f}s"
    )
    if data["spend_error"]:
        typer.echo(f"spend model not fitted: {data['spend_error']}")


@clv_app.command("predict")
def clv_predict(
    calibration_end: CalibrationOpt = None,
    time_unit: UnitOpt = None,
    horizon: Annotated[
        int | None,
        typer.Option("--horizon", help="Months ahead (default: clv_horizon_months)."),
    ] = None,
    top: Annotated[int, typer.Option(help="Customers to list, by CLV.")] = 10,
    model: ModelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Predict every customer's purchases, probability alive and CLV; store them."""
    from esperia.value.service import customer_values, predict_workspace

    settings = state().settings()
    store = open_workspace(settings)
    try:
        cal = _date(calibration_end, "--calibration-end")
        run = predict_workspace(
            store, settings, calibration_end=cal,
            time_unit=time_unit, horizon_months=horizon, model=model,
        )  # fmt: skip
        best = customer_values(store, order="clv", limit=max(top, 1))
    finally:
        store.close()
    data = run.to_dict()
    data["top"] = best[:top]
    if as_json:
        print_json(data)
        return
    typer.echo(
        f"{data['model']}: {data['customers']:,} customers: total CLV "
        f"{data['total_clv']:,.0f} over "
        f"{data['horizon_months']} months (mean {data['mean_clv']:,.2f}, median "
        f"{data['median_clv']:,.2f}); mean P(alive) {data['mean_p_alive']:.2f}"
    )
    rows = [["customer", "purchases", "P(alive)", "expected", "CLV"]]
    for r in best[:top]:
        rows.append(
            [str(r["customer_id"]), str(r["frequency"]), f"{r['p_alive']:.2f}",
             f"{r['expected_purchases']:.2f}", f"{r['clv']:,.2f}"]
        )  # fmt: skip
    print_columns(rows)


@clv_app.command("evaluate")
def clv_evaluate(
    transactions: TransactionsOpt = None,
    customer: CustomerOpt = "customer_id",
    date: DateOpt = "date",
    value: ValueOpt = "value",
    date_format: DateFormatOpt = None,
    calibration_end: CalibrationOpt = None,
    holdout_days: Annotated[
        int,
        typer.Option(
            "--holdout-days",
            help="Without --calibration-end: hold out this many last days.",
        ),
    ] = 180,
    time_unit: UnitOpt = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="bg-nbd, pareto-nbd, or all (both side by side on the same "
            "split; default: the clv_model setting).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fit on a calibration period; compare predicted and actual holdout purchases."""
    from esperia.value.clv import check_model
    from esperia.value.evaluate import compare_models, evaluate_summary

    settings = state().settings()
    unit = time_unit or settings.clv_time_unit
    name = model or settings.clv_model
    if name != "all":
        name = check_model(name)
    cal = _date(calibration_end, "--calibration-end")
    if transactions is not None:
        if cal is None:
            raise InvalidInput("give --calibration-end to evaluate on a file")
        summary = _file_summary(
            transactions, customer, date, value, date_format, cal, unit
        )
        data = (
            compare_models(summary)
            if name == "all"
            else evaluate_summary(summary, name).to_dict()
        )
    else:
        from esperia.value.service import evaluate_workspace

        store = open_workspace(settings)
        try:
            data = evaluate_workspace(
                store, settings, holdout_days=holdout_days, calibration_end=cal,
                time_unit=unit, model=name,
            )  # fmt: skip
        finally:
            store.close()
    if as_json:
        print_json(data)
        return
    if name == "all":
        _print_comparison(data)
        return
    typer.echo(
        f"{data['model']}: calibration end {data['calibration_end']}, "
        f"holdout {data['holdout']:.1f} "
        f"{data['time_unit']}: actual {data['actual_total']:,.0f} purchases, "
        f"predicted {data['predicted_total']:,.0f}"
    )
    rows = [["repeat purchases", "customers", "actual", "predicted"]]
    for g in data["groups"]:
        rows.append(
            [g["frequency"], f"{g['customers']:,}", f"{g['actual']:.3f}",
             f"{g['predicted']:.3f}"]
        )  # fmt: skip
    print_columns(rows)


def _print_comparison(data: dict[str, Any]) -> None:
    """Each model's holdout figures on one row."""
    typer.echo(
        f"calibration end {data['calibration_end']}, holdout {data['holdout']:.1f} "
        f"{data['time_unit']}, {data['customers']:,} customers"
    )
    rows = [["model", "MAE/customer", "correlation", "predicted", "actual",
             "total error", "log-likelihood", "fit s"]]  # fmt: skip
    for r in data["table"]:
        err = r["error_total_pct"]
        rows.append(
            [r["model"], f"{r['mae_per_customer']:.4f}", f"{r['correlation']:.4f}",
             f"{r['predicted_total']:,.0f}", f"{r['actual_total']:,.0f}",
             "-" if err is None else f"{err:+.1f}%", f"{r['log_likelihood']:,.1f}",
             f"{r['seconds']:.2f}"]
        )  # fmt: skip
    print_columns(rows)


@clv_app.command("summary")
def clv_summary(
    by: Annotated[
        str, typer.Option(help="segment, persona or touchpoint.")
    ] = "segment",
    as_json: JsonOpt = False,
) -> None:
    """Stored CLV per segment, persona or touchpoint (after `clv predict`)."""
    from esperia.value.groups import GroupBy, clv_by_group

    store = open_workspace(state().settings())
    try:
        data = clv_by_group(store, cast(GroupBy, by))
    finally:
        store.close()
    if as_json:
        print_json(data)
        return
    rows = [[by, "customers", "CLV total", "CLV mean", "P(alive)", "value at risk"]]
    for g in [*data["groups"], {**data["total"], "name": "total"}]:
        rows.append(
            [str(g["name"] or "-"), f"{g['customers']:,}", f"{g['clv_total']:,.2f}",
             f"{g['clv_mean']:,.2f}", f"{g['p_alive_mean']:.2f}",
             f"{g['value_at_risk']:,.2f}"]
        )  # fmt: skip
    print_columns(rows)
    if data["overlapping"]:
        typer.echo("a customer counts at every touchpoint they used: rows overlap")


@app.command("retention")
def retention(
    start: Annotated[
        str | None,
        typer.Option("--from", help="Window start (YYYY-MM-DD) for window retention."),
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Window end (YYYY-MM-DD).")
    ] = None,
    cohorts: Annotated[int, typer.Option(help="Most recent cohorts to show.")] = 12,
    as_json: JsonOpt = False,
) -> None:
    """Retention per month, cohorts by first purchase month, churn status."""
    from esperia.value.retention import churn_status, retention_report, window_retention

    settings = state().settings()
    store = open_workspace(settings)
    try:
        report = retention_report(store, cohort_months=cohorts)
        report["churn"] = churn_status(store, settings)
        a, b = _date(start, "--from"), _date(end, "--to")
        if (a is None) != (b is None):
            raise InvalidInput("give both --from and --to for a window")
        if a is not None and b is not None:
            report["window"] = window_retention(store, a, b)
    finally:
        store.close()
    if as_json:
        print_json(report)
        return
    rows = [["month", "active", "new", "retention", "repeat", "orders/cust", "basket"]]
    for p in report["periods"][-12:]:
        rate = p["retention_rate"]
        rows.append(
            [p["month"], f"{p['active']:,}", f"{p['new']:,}",
             "-" if rate is None else f"{rate:.1%}", f"{p['repeat_purchase_rate']:.1%}",
             f"{p['orders_per_customer']:.2f}", f"{p['basket']:.2f}"]
        )  # fmt: skip
    print_columns(rows)
    churn = report["churn"]
    typer.echo(
        f"churned ({churn['rule']}): {churn['churned']:,} of {churn['customers']:,}"
    )
    if "window" in report:
        w = report["window"]
        rate = w["retention_rate"]
        typer.echo(
            f"window {w['start']}..{w['end']}: {w['retained']:,} of "
            f"{w['customers_before']:,} earlier customers bought again"
            + ("" if rate is None else f" ({rate:.1%})")
        )


value_app = typer.Typer(
    help="The money behind each experience: churn effects, value at risk.",
    no_args_is_help=True,
)
app.add_typer(value_app, name="value")


@value_app.command("at-risk")
def value_at_risk(
    months: Annotated[int, typer.Option(help="Months of incidents to price.")] = 12,
    as_json: JsonOpt = False,
) -> None:
    """Hazard ratios of each experience (95% CI) and the value they put at risk."""
    from esperia.value.service import value_at_risk_report

    settings = state().settings()
    store = open_workspace(settings)
    try:
        data = value_at_risk_report(store, settings, months=months)
    finally:
        store.close()
    if as_json:
        print_json(data)
        return
    rows = [["experience", "hazard ratio", "95% CI", "CLV lost per incident"]]
    for e in data["model"]["effects"]:
        rows.append(
            [e["label"], f"{e['hazard_ratio']:.2f}",
             f"{e['ci_low']:.2f}-{e['ci_high']:.2f}",
             f"{e['loss_per_incident']:,.2f}"]
        )  # fmt: skip
    print_columns(rows)
    typer.echo("")
    rows = [["touchpoint", "value at risk / month"]]
    for r in data["at_risk"]["by_touchpoint"][:10]:
        rows.append([str(r["touchpoint_id"]), f"{r['per_month']:,.2f}"])
    print_columns(rows)


@value_app.command("profitability")
def value_profitability(
    cost_per_hour: Annotated[
        float | None,
        typer.Option(
            help="Cost of one hour of interactions (cost to serve); "
            "without it, hours only."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Revenue, margin, cost to serve and profit by segment and touchpoint."""
    from esperia.value.profitability import profitability_report

    settings = state().settings()
    store = open_workspace(settings)
    try:
        data = profitability_report(store, settings, cost_per_hour=cost_per_hour)
    finally:
        store.close()
    if as_json:
        print_json(data)
        return
    head = ["revenue", "margin", "margin %", "hours", "profit"]
    rows = [["segment", "customers", *head]]
    for r in [*data["by_segment"], {**data["total"], "segment": "total"}]:
        rows.append([r["segment"] or "-", str(r["customers"]), *_money(r)])
    print_columns(rows)
    typer.echo("")
    rows = [["touchpoint", "orders", *head]]
    for r in data["by_touchpoint"][:15]:
        rows.append(
            [str(r["name"] or r["touchpoint_id"]), str(r["orders"]), *_money(r)]
        )
    print_columns(rows)


def _money(row: dict[str, Any]) -> list[str]:
    rate = row["margin_rate"]
    return [
        f"{row['revenue']:,.2f}",
        f"{row['margin']:,.2f}",
        "-" if rate is None else f"{rate:.1%}",
        f"{row['hours']:,.1f}",
        "-" if row["profit"] is None else f"{row['profit']:,.2f}",
    ]
