"""``summitsim report``: a self-contained HTML after-action report from a run result."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app, fail, user_errors, write_atomic

LightOpt = Annotated[
    bool,
    typer.Option(
        "--light",
        help="Load plotly.js from a file written beside the report (plotly-VERSION.min.js) "
        "instead of embedding it: a report of a few hundred KB rather than 5 MB.",
    ),
]


@app.command()
def report(
    result_file: Annotated[
        Path, typer.Argument(help="A run result written by `summitsim run --json FILE`.")
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The HTML file to write (default: RESULT.html)."),
    ] = None,
    layout: Annotated[
        str | None,
        typer.Option(help="A dashboards/*.yaml layout id or file (default: the scenario's)."),
    ] = None,
    light: LightOpt = False,
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario",
            help="The scenario file the run came from, for the names of its variables, moves "
            "and deal terms (default: the bundled scenario, or the file the result names, if "
            "unchanged; else ids are shown).",
        ),
    ] = None,
) -> None:
    """Write one HTML file with the run's charts and a turn-by-turn after-action narrative.

    plotly.js is embedded (unless --light): the file works offline and opens with a double
    click."""
    from ..viz.resultdoc import read_result

    with user_errors():
        data = read_result(result_file)
    out = output if output is not None else result_file.with_suffix(".html")
    if out.resolve() == result_file.resolve():
        fail(f"error: {out}: the report would overwrite the result file")
    from ..scenario.schema import Scenario
    from ..viz.labels import scenario_for
    from ..viz.report import build_report, write_plotly_beside

    with user_errors():
        if scenario is not None:
            from ..engine.registry import load_scenario

            spec: Scenario | None = load_scenario(scenario).spec
        else:
            spec = scenario_for(data, allow_path=True)
        loaded = None
        if layout is not None:
            from ..dashboard.layout import load_layout

            loaded = load_layout(layout)
        src = write_plotly_beside(out).name if light else None
        text = build_report(data, layout=loaded, scenario=spec, plotly_src=src)
    write_atomic(out, lambda p: p.write_text(text, encoding="utf-8"))
    typer.echo(f"Report written to {out}" + (f" (with {src} beside it)" if src else ""))
