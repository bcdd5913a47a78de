"""``summitsim run``: play one seeded run and narrate it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import ScenarioArg, SeedOpt, SetOpt, TurnsOpt, app, parse_sets, user_errors, write_atomic
from .report import LightOpt


@app.command()
def run(
    scenario: ScenarioArg = None,
    seed: SeedOpt = 0,
    set_: SetOpt = None,
    turns: TurnsOpt = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the whole result as JSON to this file.")
    ] = None,
    report_path: Annotated[
        Path | None,
        typer.Option("--report", help="Also write a self-contained HTML report to this file."),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only the outcome table.")
    ] = False,
    light: LightOpt = False,
) -> None:
    """Run a scenario once and print, turn by turn, what each actor did and why."""
    from ..api import run as run_scenario
    from . import narrate

    params = parse_sets(set_)
    with user_errors():
        result = run_scenario(scenario, seed=seed, params=params, turns=turns)
    if json_path is not None:
        text = result.to_json()
        write_atomic(json_path, lambda p: p.write_text(text, encoding="utf-8"))
    if report_path is not None:
        from ..viz.report import build_report, write_plotly_beside

        with user_errors():
            src = write_plotly_beside(report_path).name if light else None
            html = build_report(result.to_dict(), scenario=result.compiled.spec, plotly_src=src)
        write_atomic(report_path, lambda p: p.write_text(html, encoding="utf-8"))
    narrate.print_run(result, quiet=quiet)
    if json_path is not None and not quiet:
        narrate.console().print(f"[dim]Result written to {json_path}[/dim]")
    if report_path is not None and not quiet:
        narrate.console().print(f"[dim]Report written to {report_path}[/dim]")
