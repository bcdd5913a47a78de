"""``summitsim calibrate``: fit parameters to a record, with hold-out entries."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .app import ScenarioArg, SetOpt, app, fail, parse_sets, user_errors, write_atomic
from .backtest import (
    DaskOpt,
    DaskTimeoutOpt,
    JsonOpt,
    QuietOpt,
    RecordOpt,
    ReportOpt,
    WorkersOpt,
    _console,
    _record,
    fmt,
    progress_bar,
)


@app.command()
def calibrate(
    scenario: ScenarioArg = None,
    vary: Annotated[
        list[str] | None,
        typer.Option(help="A numeric parameter to fit over its declared range (repeatable)."),
    ] = None,
    record: RecordOpt = None,
    method: Annotated[
        str, typer.Option(help="abc: approximate Bayesian computation by rejection.")
    ] = "abc",
    draws: Annotated[
        int | None,
        typer.Option(min=10, max=1_000_000, help="Parameter draws from the prior (default 200)."),
    ] = None,
    seeds: Annotated[
        int | None, typer.Option(min=2, max=100_000, help="Runs per draw (default 20).")
    ] = None,
    holdout: Annotated[
        list[str] | None,
        typer.Option(
            help="An entry to keep out of the fit (repeatable; default: the latest "
            "third of the entries by date)."
        ),
    ] = None,
    holdout_share: Annotated[
        float,
        typer.Option(
            min=0.0, max=0.95, help="Without --holdout: the share of the latest entries held out."
        ),
    ] = 1 / 3,
    temperature: Annotated[
        float,
        typer.Option(
            min=0.01,
            max=1000,
            help="Widen the posterior for entries that move together (1: independent entries).",
        ),
    ] = 1.0,
    check_seeds: Annotated[
        int,
        typer.Option(
            min=0,
            max=1_000_000,
            help="Runs per ensemble of the backtests at the "
            "default and the fitted values (0: none).",
        ),
    ] = 200,
    seed: Annotated[int, typer.Option(min=0, help="Master seed.")] = 0,
    set_: SetOpt = None,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    dask_timeout: DaskTimeoutOpt = 10.0,
    json_path: JsonOpt = None,
    report_path: ReportOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Fit parameters to the record by approximate Bayesian computation on the sweep engine.

    Draws the --vary parameters from their declared ranges (Latin hypercube), plays --seeds
    runs at each, and accepts draws by how well their runs forecast the entries used in the
    fit (log score). Prints the posterior (median and 90% interval) and the backtest at the
    default and the fitted values, on the fit and the held-out entries separately."""
    from ..backtest.calibrate import DEFAULT_DRAWS, DEFAULT_SEEDS, calibrate
    from ..backtest.play import executor_for

    params = parse_sets(set_)
    if dask is not None and workers is not None:
        fail("error: --workers is for local runs; a Dask cluster has its own workers")
    with user_errors():
        rec, _loaded, ref = _record(scenario, record)
        executor = executor_for(dask, workers, dask_timeout)
        try:
            with progress_bar(quiet, "calibrate") as bar:
                cal = calibrate(
                    ref, vary or [], method=method, draws=draws or DEFAULT_DRAWS,
                    seeds=seeds or DEFAULT_SEEDS, params=params, seed=seed, holdout=holdout,
                    holdout_share=holdout_share, temperature=temperature,
                    check_seeds=check_seeds, executor=executor, progress=bar,
                    loaded_record=rec,
                )  # fmt: skip
        finally:
            executor.close()
    data = cal.to_dict()
    if json_path is not None:
        import json

        text = json.dumps(data, indent=1, allow_nan=True)
        write_atomic(json_path, lambda p: p.write_text(text, encoding="utf-8"))
    if report_path is not None:
        from ..backtest.report import calibration_html

        html = calibration_html(data)
        write_atomic(report_path, lambda p: p.write_text(html, encoding="utf-8"))
    print_calibration(data)
    for path, what in ((json_path, "Results"), (report_path, "Report")):
        if path is not None:
            _console().print(f"[dim]{what} written to {path}[/dim]")


def print_calibration(data: dict[str, Any]) -> None:
    from rich.table import Table

    console = _console()
    pct = round(data["interval"] * 100)
    console.print(
        f"[bold]Calibration of {data['scenario']['id']}[/bold] to {data['record']['source']} "
        f"({data['method']}): {data['n_draws']:,} draws x {data['seeds']} runs; "
        f"{data['n_accepted']} accepted, effective sample size {data['ess']:.0f}"
    )
    console.print(
        f"Fit on {len(data['fit'])} entries; held out {len(data['holdout'])}: "
        f"{', '.join(data['holdout']) or 'none'}"
    )
    t = Table(title="Posterior", title_justify="left", header_style="bold")
    for h in ("parameter", "prior", "mean", "sd", "median (fitted)", f"{pct}% interval"):
        t.add_column(h)
    for name, p in data["posterior"].items():
        t.add_row(
            name,
            f"[{p['prior'][0]:g}, {p['prior'][1]:g}]",
            fmt(p["mean"], 4),
            fmt(p["sd"], 4),
            fmt(p["median"], 4),
            f"[{p['lo']:.4g}, {p['hi']:.4g}]",
        )
    console.print(t)
    check = data.get("check") or {}
    if not check:
        return
    c = Table(
        title="Backtest of the scenario at the default and the fitted values (lower is better)",
        title_justify="left",
        header_style="bold",
    )
    for h in ("parameters", "entries", "n", "Brier", "log", "Brier skill vs random",
              "Brier skill vs hold"):  # fmt: skip
        c.add_column(h)
    for at in ("default", "fitted"):
        for part in ("fit", "holdout"):
            s = (check.get(at) or {}).get(part)
            if not s:
                continue
            sk = s.get("skill") or {}
            c.add_row(
                at,
                "fit" if part == "fit" else "held out",
                str(s["n_entries"]),
                fmt(s["scores"]["scenario"]["brier"]),
                fmt(s["scores"]["scenario"]["log"]),
                fmt(sk.get("random", {}).get("brier", {}).get("value"), sign=True),
                fmt(sk.get("hold", {}).get("brier", {}).get("value"), sign=True),
            )
    console.print(c)
    console.print(
        "[dim]Over-fitting shows as a fit that improves the fit entries much more than the "
        "held-out ones.[/dim]"
    )
