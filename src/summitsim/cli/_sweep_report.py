"""Printing for ``summitsim sweep summary | sensitivity | discover``."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any


def _console() -> Any:
    """A terminal's own width; piped or redirected output gets room for whole names (rich
    would otherwise assume 80 columns and cut outcome and parameter names short)."""
    from rich.console import Console

    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=160)
    return console


def _fmt(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        return f"{v:.{digits}f}" if abs(v) < 1e6 else f"{v:.4g}"
    return str(v)


def _json_default(v: Any) -> Any:
    if hasattr(v, "item"):
        return v.item()
    return str(v)


def _records(df: Any) -> list[dict[str, Any]]:
    out = []
    for rec in df.to_dict(orient="records"):
        out.append(
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rec.items()}
        )
    return out


def _warn_partial(manifest: dict[str, Any]) -> None:
    if manifest.get("status") != "complete":
        c = manifest.get("counts", {})
        sys.stderr.write(
            f"note: this sweep is {manifest.get('status')}: "
            f"{c.get('done', '?')} of {c.get('runs', '?')} runs\n"
        )


def _write_plain(df: Any, fmt: str) -> bool:
    """Write ``df`` as CSV or JSON to stdout; False for the table format."""
    if fmt == "csv":
        sys.stdout.write(df.to_csv(index=False))
    elif fmt == "json":
        sys.stdout.write(json.dumps(_records(df), indent=2, default=_json_default) + "\n")
    else:
        return False
    return True


def print_summary(
    folder: Path,
    by: list[str] | None,
    fmt: str,
    confidence: float,
    outcomes: list[str] | None = None,
    wide: bool = False,
) -> None:
    from rich.table import Table

    from ..sweep.summary import summarize
    from ..sweep.summary import wide as pivot

    manifest, df = summarize(folder, by, confidence, outcomes)
    _warn_partial(manifest)
    keys = list(df.columns[: list(df.columns).index("outcome")])
    if wide:
        table_df = pivot(df)
        if _write_plain(table_df, fmt):
            return
        _print_wide(table_df, df, keys, manifest, confidence)
        return
    if _write_plain(df, fmt):
        return
    con = _console()
    sid = manifest["scenario"]["id"]
    groups = df[keys].drop_duplicates().shape[0]
    for kind, title in (("bool", "yes/no outcomes"), ("number", "numeric outcomes")):
        part = df[df["kind"] == kind]
        if part.empty:
            continue
        table = Table(
            title=f"{sid}: {title}, {groups} {'groups' if by else 'points'}"
            + (f", {confidence:.0%} Wilson intervals" if kind == "bool" else ""),
            title_justify="left",
        )
        heads = ["runs with it", "share", "interval"] if kind == "bool" else [
            "mean", "median", "q05 - q95"]  # fmt: skip
        for c in [*keys, "outcome", "n", "failed", *heads]:
            table.add_column(
                c,
                justify="left" if c == "outcome" else "right",
                no_wrap=c in ("outcome", "interval", "q05 - q95"),  # names and ranges stay whole
            )
        for rec in part.to_dict(orient="records"):
            head = [_fmt(rec[k]) for k in keys]
            if kind == "bool":
                cells = [_fmt(rec["true"]), _fmt(rec["p"]),
                         f"{_fmt(rec['ci_low'])} - {_fmt(rec['ci_high'])}"]  # fmt: skip
            else:
                cells = [_fmt(rec["mean"]), _fmt(rec["median"]),
                         f"{_fmt(rec['q05'])} - {_fmt(rec['q95'])}"]  # fmt: skip
            table.add_row(*head, rec["outcome"], str(rec["n"]), str(rec["failed"]), *cells)
        con.print(table)


def _print_wide(
    table_df: Any, df: Any, keys: list[str], manifest: dict[str, Any], confidence: float
) -> None:
    from rich.table import Table

    kinds = dict(zip(df["outcome"], df["kind"], strict=False))
    table = Table(
        title=f"{manifest['scenario']['id']}: share of runs (yes/no, with its {confidence:.0%} "
        "interval) or mean (numbers)",
        title_justify="left",
    )
    for c in [*keys, "runs", *kinds]:
        table.add_column(c, justify="right", no_wrap=c not in keys)
    for rec in table_df.to_dict(orient="records"):
        cells = []
        for name, kind in kinds.items():
            if kind == "bool":
                cells.append(
                    f"{_fmt(rec[name], 2)} ({_fmt(rec[name + '_low'], 2)}-"
                    f"{_fmt(rec[name + '_high'], 2)})"
                )
            else:
                cells.append(_fmt(rec[name]))
        table.add_row(*(_fmt(rec[k]) for k in keys), str(rec["runs"]), *cells)
    _console().print(table)


METHODS = {
    "factorial": "exact variance decomposition of the grid",
    "sobol": "Sobol indices (SALib)",
    "rbd_fast": "RBD-FAST first-order indices (SALib)",
    "grid": "grid",
}


def print_sensitivity(folder: Path, outcomes: list[str] | None, fmt: str, resamples: int) -> None:
    from rich.table import Table

    from ..sweep.sensitivity import analyze
    from ..sweep.store import write_atomic, write_json

    manifest, df = analyze(folder, outcomes, resamples)
    _warn_partial(manifest)
    folder = Path(folder)
    write_atomic(folder / "sensitivity.csv", lambda p: df.to_csv(p, index=False))
    write_json(folder / "sensitivity.json", _records(df))
    saved = f"wrote {folder / 'sensitivity.csv'} and {folder / 'sensitivity.json'}"
    varied = manifest["columns"]["varied"]
    if len(varied) == 1:
        sys.stderr.write(
            f"note: this sweep varies one parameter ({varied[0]}), so every outcome that "
            "changes at all gets S1 = ST = 1: the indices only apportion the variation between "
            "points, and all of it is that parameter's. Read 'between' instead: the share of "
            "the run-to-run variance that lies between points rather than between replicates "
            "(empty with one run per point).\n"
        )
    if _write_plain(df, fmt):
        sys.stderr.write(saved + "\n")
        return
    con = _console()
    design = manifest["definition"]["design"]
    for outcome, part in df.groupby("outcome", sort=False):
        key = "S1" if design not in ("sobol", "grid") else "ST"
        part = part.sort_values(key, ascending=False, na_position="last")
        method = str(part["method"].iloc[0])
        if part["S1"].isna().all():
            method = "no indices"
        between = part["between"].iloc[0]
        share = (
            f"; {between:.0%} of its run-to-run variance is between points"
            if isinstance(between, float) and not math.isnan(between)
            else ""
        )
        table = Table(
            title=f"{outcome}: {METHODS.get(method, method)}{share}", title_justify="left"
        )
        cols = ["parameter", "S1", "ST"] if key == "ST" else ["parameter", "S1"]
        for c in [*cols, "note"]:
            table.add_column(c, justify="left" if c in ("parameter", "note") else "right")
        for rec in part.to_dict(orient="records"):
            cells = [rec["parameter"]]
            for c in cols[1:]:
                conf = rec.get(f"{c}_conf")
                extra = f" ± {_fmt(conf)}" if conf is not None and not math.isnan(conf) else ""
                cells.append(_fmt(rec[c]) + extra)
            table.add_row(*cells, rec["note"])
        con.print(table)
    con.print(saved[:1].upper() + saved[1:])


def print_discover(folder: Path, outcome: str | None, above: float | None, below: float | None,
                   false: bool, min_coverage: float, fmt: str) -> None:  # fmt: skip
    from rich.table import Table

    from ..sweep.discover import discover
    from ..sweep.store import read_manifest

    _warn_partial(read_manifest(folder))
    rep = discover(folder, outcome, above, below, false, min_coverage)
    if fmt == "json":
        sys.stdout.write(json.dumps(rep, indent=2, default=_json_default) + "\n")
        return
    box = rep["box"]
    if fmt == "csv":
        sys.stdout.write("parameter,min,max,values,coverage,density,mass\n")
        for name, lim in box["restricts"].items():
            vals = "|".join(map(str, lim.get("values", [])))
            sys.stdout.write(f"{name},{lim.get('min', '')},{lim.get('max', '')},{vals},"
                             f"{box['coverage']},{box['density']},{box['mass']}\n")  # fmt: skip
        return
    con = _console()
    con.print(
        f"Case: [bold]{rep['case']}[/bold] in {rep['cases']:,} of {rep['runs']:,} runs "
        f"({rep['base_density']:.1%})."
    )
    table = Table(title="Box (PRIM)", title_justify="left")
    for c in ("parameter", "from", "to / values"):
        table.add_column(c)
    for name, lim in box["restricts"].items():
        if "values" in lim:
            table.add_row(name, "", ", ".join(map(str, lim["values"])))
        else:
            table.add_row(name, _fmt(lim["min"]), _fmt(lim["max"]))
    if not box["restricts"]:
        table.add_row("(no restriction)", "", "")
    con.print(table)
    con.print(
        f"coverage {box['coverage']:.1%} (share of cases inside), density {box['density']:.1%} "
        f"(share of runs inside that are cases), mass {box['mass']:.1%} (share of runs inside)"
    )
