"""``summitsim sweep``: many seeded runs over parameter points, and their analysis.

``summitsim sweep SCENARIO --out DIR ...`` is short for ``summitsim sweep run SCENARIO ...``;
``summary``, ``sensitivity`` and ``discover`` read a finished (or interrupted) folder.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from .app import app, fail, parse_sets, user_errors


class _SweepGroup(TyperGroup):
    """Routes ``summitsim sweep SCENARIO ...`` (or ``--file ...``) to ``sweep run``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["run", *args]
        return super().parse_args(ctx, args)


sweep_app = typer.Typer(
    cls=_SweepGroup,
    no_args_is_help=True,
    help=(
        "Many seeded runs over parameter points, and their analysis.\n\n"
        "  summitsim sweep SCENARIO --out DIR [options]   (same as: sweep run ...)\n\n"
        "  summitsim sweep summary DIR | sensitivity DIR | discover DIR --outcome NAME\n\n"
        "Example: summitsim sweep SCENARIO --grid PARAM=0:1:11 "
        "--replicates 200 --out sweeps/param"
    ),
)
app.add_typer(sweep_app, name="sweep")


class Method(StrEnum):
    lhs = "lhs"
    sobol = "sobol"


class Fmt(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@sweep_app.command("run")
def run_cmd(
    scenario: Annotated[
        str | None,
        typer.Argument(help="A bundled scenario id or a path (or give --file)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output folder (required; rerun to resume)."),
    ] = None,
    grid: Annotated[
        list[str] | None,
        typer.Option(help="NAME=LO:HI:STEPS or NAME=a,b,c (repeatable): a full factorial."),
    ] = None,
    sample: Annotated[
        Method | None, typer.Option(help="Sample the --vary parameters' declared ranges.")
    ] = None,
    n: Annotated[
        int | None,
        typer.Option("--n", min=1, help="LHS: points. Sobol: base size (a power of 2)."),
    ] = None,
    vary: Annotated[
        list[str] | None, typer.Option(help="A parameter to sample (repeatable).")
    ] = None,
    replicates: Annotated[
        int | None, typer.Option("--replicates", "-r", min=1, help="Seeds per point (default 1).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Master seed; run seeds derive from it (default 0).")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Fix a parameter: NAME=VALUE (repeatable)."),
    ] = None,
    turns: Annotated[
        int | None, typer.Option(min=1, max=240, help="Turns per run (default: scenario's).")
    ] = None,
    keep_turns: Annotated[
        bool | None, typer.Option("--keep-turns", help="Also write turns.parquet.")
    ] = None,
    common_seeds: Annotated[
        bool | None,
        typer.Option("--common-seeds", help="Use the same replicate seeds at every point."),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="A sweep file (YAML) instead of the options above."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", "-w", min=1, help="Local worker processes (default: every core)."
        ),
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(help="Run on this Dask scheduler, e.g. tcp://127.0.0.1:8786."),
    ] = None,
    dask_timeout: Annotated[
        float, typer.Option(min=0.5, max=600, help="Seconds to wait for the Dask scheduler.")
    ] = 10.0,
    chunk_seconds: Annotated[
        float, typer.Option(min=0.1, max=60, help="Target seconds of work per chunk.")
    ] = 0.3,
    flush_seconds: Annotated[
        float, typer.Option(min=0.05, max=3600, help="Write finished runs to disk this often.")
    ] = 5.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run a sweep: every point x replicate, written to DIR/runs.parquet in chunks.

    Ctrl-C stops cleanly and keeps what was done; the same command resumes."""
    from ._sweep_run import do_run

    given = {
        "scenario": scenario, "grid": grid, "sample": sample, "n": n, "vary": vary,
        "replicates": replicates, "seed": seed, "set": set_, "turns": turns,
        "keep_turns": keep_turns, "common_seeds": common_seeds,
    }  # fmt: skip
    if file is not None:
        used = [k for k, v in given.items() if v is not None]
        if used:
            fail(f"error: --file defines the sweep; drop {', '.join(used)} or the file")
    elif scenario is None:
        fail("error: give a scenario (a bundled id or a path) or --file SWEEP.yaml")
    if out is None:
        fail("error: give --out DIR, the folder for runs.parquet and manifest.json")
    data = _definition(given) if file is None else None
    with user_errors():
        do_run(data, file, out, workers, (dask, dask_timeout), chunk_seconds, flush_seconds, quiet)


def _definition(given: dict[str, Any]) -> dict[str, Any]:
    from ..sweep.spec import SweepError, parse_grid_option

    data: dict[str, Any] = {"scenario": given["scenario"]}
    for k in ("seed", "replicates", "turns", "keep_turns", "common_seeds"):
        if given[k] is not None:
            data[k] = given[k]
    data["set"] = parse_sets(given["set"])
    try:
        data["grid"] = dict(parse_grid_option(g) for g in given["grid"] or [])
    except SweepError as exc:
        fail(f"error: {exc}")
    if given["sample"] is not None:
        if given["n"] is None or not given["vary"]:
            fail("error: --sample needs --n N and at least one --vary NAME")
        data["sample"] = {"method": given["sample"].value, "n": given["n"], "vary": given["vary"]}
    elif given["n"] is not None or given["vary"]:
        fail("error: --n and --vary go with --sample lhs|sobol")
    return data


@sweep_app.command("summary")
def summary_cmd(
    folder: Annotated[Path, typer.Argument(help="A sweep folder.")],
    by: Annotated[
        list[str] | None,
        typer.Option(help="Group by this parameter (repeatable) instead of by point."),
    ] = None,
    outcome: Annotated[
        list[str] | None,
        typer.Option(help="Only this outcome, or crossed_<red line> (repeatable)."),
    ] = None,
    wide: Annotated[
        bool,
        typer.Option(
            "--wide",
            help="One row per point (or group), one column per outcome: its frequency or "
            "mean, with _low and _high columns for its interval.",
        ),
    ] = False,
    fmt: Annotated[Fmt, typer.Option("--format", help="Output format.")] = Fmt.table,
    confidence: Annotated[
        float, typer.Option(min=0.5, max=0.999, help="Confidence level of the intervals.")
    ] = 0.95,
) -> None:
    """Outcome frequencies with Wilson intervals, and numeric means and quantiles.

    The table shows yes/no outcomes (frequency and interval) and numeric ones (mean and
    quantiles) apart; --wide pivots to one row per point."""
    from ._sweep_report import print_summary

    with user_errors():
        print_summary(folder, by, fmt.value, confidence, outcome, wide)


@sweep_app.command("sensitivity")
def sensitivity_cmd(
    folder: Annotated[Path, typer.Argument(help="A sweep folder.")],
    outcome: Annotated[
        list[str] | None, typer.Option(help="Only this outcome (repeatable).")
    ] = None,
    fmt: Annotated[Fmt, typer.Option("--format", help="Output format.")] = Fmt.table,
    resamples: Annotated[int, typer.Option(min=10, help="Bootstrap resamples.")] = 100,
) -> None:
    """Global sensitivity of each outcome to each varied parameter (SALib).

    Sobol samples get Sobol indices (S1, ST); LHS samples get RBD-FAST first-order
    indices (S1); grids get the exact variance decomposition of the point means (S1, ST).
    Each outcome also gets 'between': the share of its run-to-run variance that lies between
    points rather than between replicates (with one parameter the indices are 1 by
    construction, and this is the figure to read). Writes DIR/sensitivity.csv and
    DIR/sensitivity.json."""
    from ._sweep_report import print_sensitivity

    with user_errors():
        print_sensitivity(folder, outcome, fmt.value, resamples)


@sweep_app.command("discover")
def discover_cmd(
    folder: Annotated[Path, typer.Argument(help="A sweep folder.")],
    outcome: Annotated[
        str | None,
        typer.Option(help="The outcome (or crossed_<red line>); without it, the list of them."),
    ] = None,
    above: Annotated[
        float | None, typer.Option(help="For a numeric outcome: the case is value > X.")
    ] = None,
    below: Annotated[
        float | None, typer.Option(help="For a numeric outcome: the case is value < X.")
    ] = None,
    false: Annotated[
        bool, typer.Option("--false", help="Look for runs where the outcome is false.")
    ] = False,
    min_coverage: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="The box must hold this share of cases.")
    ] = 0.5,
    fmt: Annotated[Fmt, typer.Option("--format", help="Output format.")] = Fmt.table,
) -> None:
    """Scenario discovery (PRIM): the parameter box in which an outcome is likely."""
    from ._sweep_report import print_discover

    with user_errors():
        print_discover(folder, outcome, above, below, false, min_coverage, fmt.value)
