"""``summitsim backtest``: score a scenario's runs against its record of what happened."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .app import ScenarioArg, SetOpt, app, fail, parse_sets, user_errors, write_atomic

RecordOpt = Annotated[
    Path | None,
    typer.Option(
        "--record",
        help="A record file (default: the bundled records/<scenario-id>.yaml, if any).",
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        "-w",
        min=0,
        help="Local worker processes (default: every core; 0: play in this process).",
    ),
]
DaskOpt = Annotated[
    str | None, typer.Option(help="Play on this Dask scheduler, e.g. tcp://127.0.0.1:8786.")
]
DaskTimeoutOpt = Annotated[
    float, typer.Option(min=0.5, max=600, help="Seconds to wait for the Dask scheduler.")
]
JsonOpt = Annotated[Path | None, typer.Option("--json", help="Write the results as JSON here.")]
ReportOpt = Annotated[
    Path | None, typer.Option("--report", help="Write a self-contained HTML report here.")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]


@app.command()
def backtest(
    scenario: ScenarioArg = None,
    record: RecordOpt = None,
    seeds: Annotated[
        int | None,
        typer.Option(min=10, max=1_000_000, help="Runs per ensemble (default 400)."),
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="Master seed of the runs' seeds.")] = 0,
    set_: SetOpt = None,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    dask_timeout: DaskTimeoutOpt = 10.0,
    json_path: JsonOpt = None,
    report_path: ReportOpt = None,
    check: Annotated[
        bool, typer.Option("--check", help="Only check the record against the scenario.")
    ] = False,
    quiet: QuietOpt = False,
) -> None:
    """Score the scenario's runs as a forecast of its record, against two baselines.

    For each entry of the record: the share of runs in which its check holds (Wilson 95%
    interval) for the scenario, for every actor choosing at random and for every actor
    holding; then the Brier and log scores of each and the scenario's skill against both
    baselines (see docs/backtest.md)."""
    from ..backtest.core import DEFAULT_SEEDS

    params = parse_sets(set_)
    if dask is not None and workers is not None:
        fail("error: --workers is for local runs; a Dask cluster has its own workers")
    with user_errors():
        rec, loaded, ref = _record(scenario, record)
        if check:
            typer.echo(
                f"{rec.source}: {len(rec.entries)} entries, all checks valid for {loaded.id}"
            )
            return
        bt = _run(
            ref, rec, seeds or DEFAULT_SEEDS, seed, params, workers, dask, dask_timeout, quiet
        )
    data = bt.to_dict()
    if json_path is not None:
        import json

        text = json.dumps(data, indent=1, allow_nan=True)
        write_atomic(json_path, lambda p: p.write_text(text, encoding="utf-8"))
    if report_path is not None:
        from ..backtest.report import backtest_html

        html = backtest_html(data, loaded.spec)
        write_atomic(report_path, lambda p: p.write_text(html, encoding="utf-8"))
    print_backtest(data)
    for path, what in ((json_path, "Results"), (report_path, "Report")):
        if path is not None:
            _console().print(f"[dim]{what} written to {path}[/dim]")


def _record(scenario: str | None, record: Path | None) -> tuple[Any, Any, str]:
    """The record (checked against the scenario), the scenario and how to name it."""
    from ..backtest.record import load_record
    from ..engine.registry import default_scenario, load_scenario

    ref = scenario or default_scenario()
    loaded = load_scenario(ref)
    return load_record(record, loaded), loaded, ref


def _run(
    ref: str,
    rec: Any,
    seeds: int,
    seed: int,
    params: dict[str, str],
    workers: int | None,
    dask: str | None,
    dask_timeout: float,
    quiet: bool,
) -> Any:
    from ..backtest.core import run_backtest
    from ..backtest.play import executor_for

    executor = executor_for(dask, workers, dask_timeout)
    try:
        with progress_bar(quiet, "backtest") as bar:
            return run_backtest(
                ref,
                seeds=seeds,
                params=params,
                seed=seed,
                executor=executor,
                progress=bar,
                loaded_record=rec,
            )
    finally:
        executor.close()


class progress_bar:
    """A rich progress bar on stderr (nothing with ``quiet``); the object is the callback."""

    def __init__(self, quiet: bool, label: str):
        self.quiet, self.label = quiet, label
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> Any:
        if self.quiet:
            return None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.bar = Progress(
            TextColumn(f"[bold]{self.label}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.bar.__enter__()
        return self

    def __call__(self, done: int, total: int) -> None:
        if self.task is None:
            self.task = self.bar.add_task(self.label, total=total)
        self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _console() -> Any:
    import os

    from rich.console import Console

    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=150)
    return console


def fmt(v: Any, digits: int = 3, sign: bool = False) -> str:
    import math

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return f"{v:+.{digits}f}" if sign else f"{v:.{digits}f}"


def print_backtest(data: dict[str, Any], title: str | None = None) -> None:
    """The per-entry table, the scores and the skill, for the terminal."""
    from rich.table import Table

    console = _console()
    ens = [e for e in ("scenario", "random", "hold") if e in data["entries"][0]]
    seeds = data["seeds"]
    console.print(
        title
        or f"[bold]Backtest of {data['scenario']['id']}[/bold] against {data['record']['source']}"
        f": {len(data['entries'])} entries, {seeds:,} runs per ensemble (seed {data['seed']})"
    )
    t = Table(show_lines=False, header_style="bold")
    for h in ("entry", "date", "check", "record", "scenario [95% CI]", "random", "hold"):
        if h in ("random", "hold") and h not in ens:
            continue
        t.add_column(h, overflow="fold")
    for e in data["entries"]:
        rec = f"{'yes' if e['observed'] else 'no'} ({e['confidence']:.2f})"
        s = e["scenario"]
        lo, hi = s["ci95"]
        row = [e["id"], e["date"], e["describe"], rec, f"{s['share']:.2f} [{lo:.2f}, {hi:.2f}]"]
        row += [f"{e[x]['share']:.2f}" for x in ens[1:]]
        t.add_row(*row)
    console.print(t)
    print_scores(data, console)


def print_scores(data: dict[str, Any], console: Any = None, label: str = "") -> None:
    from rich.table import Table

    console = console or _console()
    n = data["n_entries"]
    sc = Table(
        title=f"Scores{label}, mean over {n} entries (lower is better)",
        title_justify="left",
        header_style="bold",
    )
    for h in ("ensemble", "Brier", "log"):
        sc.add_column(h)
    from ..backtest.core import ENSEMBLE_NAMES

    for e, s in data["scores"].items():
        sc.add_row(ENSEMBLE_NAMES.get(e, e), fmt(s["brier"]), fmt(s["log"]))
    console.print(sc)
    skill = data.get("skill") or {}
    if skill:
        sk = Table(
            title=f"Skill of the scenario{label}: 1 - S/S_baseline, > 0 beats the baseline "
            "(95% bootstrap over entries)",
            title_justify="left",
            header_style="bold",
        )
        for h in ("baseline", "Brier skill", "log skill", "verdict"):
            sk.add_column(h)
        for ref, v in skill.items():
            sk.add_row(
                ENSEMBLE_NAMES.get(ref, ref),
                f"{fmt(v['brier']['value'], sign=True)} [{fmt(v['brier']['ci95'][0], 2, True)}, "
                f"{fmt(v['brier']['ci95'][1], 2, True)}]",
                f"{fmt(v['log']['value'], sign=True)} [{fmt(v['log']['ci95'][0], 2, True)}, "
                f"{fmt(v['log']['ci95'][1], 2, True)}]",
                verdict(v),
            )
        console.print(sk)
    if "reliability" in data and data["reliability"] is None:
        console.print(f"[dim]No reliability diagram: {n} entries (it needs at least 10).[/dim]")


def verdict(v: dict[str, Any]) -> str:
    """Words for the skill against one baseline on both scores."""
    b, lg = v["brier"], v["log"]
    if b["value"] > 0 and lg["value"] > 0:
        clear = b["ci95"][0] > 0 and lg["ci95"][0] > 0
        return "beats it" + ("" if clear else " (not clearly: the interval includes 0)")
    if b["value"] < 0 and lg["value"] < 0:
        clear = b["ci95"][1] < 0 and lg["ci95"][1] < 0
        return "worse" + ("" if clear else " (not clearly: the interval includes 0)")
    return "mixed: better on one score, worse on the other"
