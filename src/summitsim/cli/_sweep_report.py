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


def print_summary(folder: Path, by: list[str] | None, fmt: str, confidence: float) -> None:
    from rich.table import Table

    from ..sweep.summary import summarize

    manifest, df = summarize(folder, by, confidence)
    _warn_partial(manifest)
    if _write_plain(df, fmt):
        return
    keys = [c for c in df.columns if c not in _SUMMARY_VALUES]
    table = Table(title=f"{manifest['scenario']['id']}: {len(df)} rows, {confidence:.0%} CIs")
    for c in [*keys, "n", "failed", "p / mean", "interval / q05-q95", "median"]:
        table.add_column(
            c,
            justify="left" if c in ("outcome",) else "right",
            no_wrap=c in ("outcome", "interval / q05-q95"),  # names and ranges stay whole
        )
    for rec in df.to_dict(orient="records"):
        head = [_fmt(rec[k]) for k in keys]
        if rec["kind"] == "bool":
            cells = [_fmt(rec["p"]), f"{_fmt(rec['ci_low'])} - {_fmt(rec['ci_high'])}", ""]
        else:
            cells = [_fmt(rec["mean"]), f"{_fmt(rec['q05'])} - {_fmt(rec['q95'])}",
                     _fmt(rec["median"])]  # fmt: skip
        table.add_row(*head, str(rec["n"]), str(rec["failed"]), *cells)
    _console().print(table)


_SUMMARY_VALUES = {"kind", "runs", "failed", "n", "true", "p", "ci_low", "ci_high", "mean", "sd",
                   "q05", "q25", "median", "q75", "q95"}  # fmt: skip


def print_sensitivity(folder: Path, outcomes: list[str] | None, fmt: str, resamples: int) -> None:
    from rich.table import Table

    from ..sweep.sensitivity import analyze
    from ..sweep.store import write_atomic, write_json

    manifest, df = analyze(folder, outcomes, resamples)
    _warn_partial(manifest)
    folder = Path(folder)
    write_atomic(folder / "sensitivity.csv", lambda p: df.to_csv(p, index=False))
    write_json(folder / "sensitivity.json", _records(df))
    if _write_plain(df, fmt):
        return
    con = _console()
    design = manifest["definition"]["design"]
    for outcome, part in df.groupby("outcome", sort=False):
        key = "S1" if design not in ("sobol", "grid") else "ST"
        part = part.sort_values(key, ascending=False, na_position="last")
        table = Table(title=f"{outcome}  ({part['method'].iloc[0]})", title_justify="left")
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
    con.print(f"[dim]Saved {folder / 'sensitivity.csv'} and {folder / 'sensitivity.json'}[/dim]")


def print_discover(folder: Path, outcome: str, above: float | None, below: float | None,
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
