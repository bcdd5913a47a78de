"""The glue behind ``summitsim sweep run``: plan, executor, progress bar, final words."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from .app import fail


def do_run(
    data: dict[str, Any] | None,
    file: Path | None,
    out: Path,
    workers: int | None,
    dask_at: tuple[str | None, float],
    chunk_seconds: float,
    flush_seconds: float,
    quiet: bool,
) -> None:
    from rich.console import Console

    from ..sweep import spec as sp
    from ..sweep.plan import check_columns, load, make_plan
    from ..sweep.store import Store

    dask = dask_at[0]
    if dask is not None and workers is not None:
        fail("error: --workers is for local runs; a Dask cluster has its own workers")
    spec = sp.from_file(file) if file is not None else sp.from_dict(data or {}, "options")
    loaded, text = load(spec.scenario)
    plan = make_plan(spec, loaded, text)
    check_columns(plan)
    store = Store(out, plan)
    console = Console(stderr=True)
    if store.open(create=False) == "complete":
        console.print(f"{out}: this sweep is already complete ({plan.n_runs:,} runs).")
        return
    executor = _executor(dask_at, workers)
    try:
        state = store.open()
    except BaseException:
        executor.close()
        raise
    where = (
        f"Dask at {dask} ({executor.slots} threads)"
        if dask
        else f"{executor.slots} local worker process{'es' if executor.slots > 1 else ''}"
    )
    if not quiet:
        verb = "Resuming" if state == "resume" else "Running"
        console.print(
            f"{verb} {plan.n_runs:,} runs of {loaded.id} ({plan.n_points:,} points x "
            f"{plan.replicates} replicates) on {where} -> {out}"
        )
    outcome = _execute(plan, store, executor, (chunk_seconds, flush_seconds), quiet, console)
    _report(outcome, out, console)


def _executor(dask_at: tuple[str | None, float], workers: int | None) -> Any:
    from ..sweep.executors import DaskExecutor, LocalExecutor, default_workers

    if dask_at[0] is not None:
        return DaskExecutor(dask_at[0], connect_timeout=dask_at[1], worker_wait=3 * dask_at[1])
    return LocalExecutor(workers or default_workers())


def _execute(
    plan: Any, store: Any, executor: Any, timing: tuple[float, float], quiet: bool, console: Any
) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from ..sweep.runner import execute

    if quiet:
        return execute(plan, store, executor, None, *timing)
    bar = Progress(
        TextColumn("[bold]sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} runs/s"),
        TextColumn("[red]{task.fields[failed]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    state: dict[str, Any] = {}

    def progress(done: int, total: int, failed: int) -> None:
        now = time.monotonic()
        if "task" not in state:
            state["task"] = bar.add_task("sweep", total=total, completed=done, rate="-", failed="")
            state["t0"], state["d0"] = now, done
        dt = now - state["t0"]
        rate = f"{(done - state['d0']) / dt:,.0f}" if dt > 0.5 else "-"
        bar.update(state["task"], completed=done, rate=rate,
                   failed=f"{failed:,} failed" if failed else "")  # fmt: skip

    with bar:
        return execute(plan, store, executor, progress, *timing)


def _report(outcome: Any, out: Path, console: Any) -> None:
    rate = outcome.played / outcome.seconds if outcome.seconds > 0 else 0.0
    failed = f", {outcome.failed:,} failed (see the error column)" if outcome.failed else ""
    if outcome.state == "complete":
        console.print(
            f"Done: {outcome.done:,} runs{failed}; played {outcome.played:,} in "
            f"{outcome.seconds:.1f} s ({rate:,.0f} runs/s) -> {out / 'runs.parquet'}"
        )
        return
    console.print(
        f"Interrupted: kept {outcome.done:,} of {outcome.total:,} runs{failed} in {out}. "
        "Run the same command again to resume."
    )
    raise typer.Exit(130)
