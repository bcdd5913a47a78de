"""Per-point (or per-parameter) outcome frequencies with Wilson intervals, and the means and
quantiles of numeric outcomes, from a sweep folder's ``runs.parquet``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..stats import wilson
from .spec import SweepError
from .store import RUNS, read_manifest

if TYPE_CHECKING:
    import pandas as pd

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
BOOL_COLS = ["true", "p", "ci_low", "ci_high"]
NUM_COLS = ["mean", "sd", "q05", "q25", "median", "q75", "q95"]


def load_runs(
    folder: Path, columns: list[str] | None = None
) -> tuple[dict[str, Any], pd.DataFrame]:
    """A sweep's manifest and runs; with every column, each red line also gets a true/false
    ``crossed_<id>`` column (see :func:`outcome_kinds`)."""
    import pyarrow.parquet as pq

    manifest = read_manifest(folder)
    path = Path(folder) / RUNS
    if not path.is_file():
        raise SweepError(f"{folder}: no {RUNS} yet (is the sweep still running?)")
    df = pq.read_table(path, columns=columns).to_pandas()
    if columns is None:
        failed = df["error"].notna()
        for r in manifest["columns"]["red_lines"]:  # summarised as true/false outcomes
            crossed = df[f"first_crossed_{r}"].notna().astype("boolean")
            df[f"crossed_{r}"] = crossed.mask(failed)  # missing for a failed run
    return manifest, df


def outcome_kinds(manifest: dict[str, Any]) -> dict[str, str]:
    """Every summarised column -> bool | number (red lines as ``crossed_<id>`` booleans)."""
    cols = manifest["columns"]
    kinds = {n: ("bool" if t == "bool" else "number") for n, t in cols["outcomes"].items()}
    kinds["peak_escalation"] = "number"
    kinds.update({f"crossed_{r}": "bool" for r in cols["red_lines"]})
    return kinds


def check_outcomes(kinds: dict[str, str], outcomes: list[str] | None) -> list[str]:
    """The outcomes asked for (all if none), or SweepError naming the ones this sweep has."""
    for name in outcomes or []:
        if name not in kinds:
            raise SweepError(
                f"--outcome {name}: unknown; this sweep has: {describe_outcomes(kinds)}"
            )
    return list(outcomes) if outcomes else list(kinds)


def describe_outcomes(kinds: dict[str, str]) -> str:
    """``high (yes/no), level (number), ...``: the names ``--outcome`` accepts."""
    return ", ".join(f"{k} ({'yes/no' if v == 'bool' else 'number'})" for k, v in kinds.items())


def summarize(
    folder: Path,
    by: list[str] | None = None,
    confidence: float = 0.95,
    outcomes: list[str] | None = None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """A tidy table: group keys, ``outcome``, ``kind``, ``n`` (successful runs), ``failed``,
    then ``true p ci_low ci_high`` for true/false outcomes or ``mean sd q05 ... q95``."""
    import pandas as pd

    manifest, df = load_runs(folder)
    params = list(manifest["columns"]["parameters"])
    for name in by or []:
        if name not in params:
            raise SweepError(f"--by {name}: not a parameter of this sweep ({', '.join(params)})")
    keys = list(by) if by else ["point_id", *manifest["columns"]["varied"]]
    kinds = outcome_kinds(manifest)
    wanted = check_outcomes(kinds, outcomes)
    kinds = {k: v for k, v in kinds.items() if k in wanted}
    ok = df[df["error"].isna()]
    groups = df.groupby(keys, sort=True, dropna=False)
    base = pd.DataFrame({"runs": groups.size(), "failed": groups["error"].count()})
    frames = [_one(ok, keys, col, kind, confidence, base.index) for col, kind in kinds.items()]
    out = pd.concat(frames, ignore_index=True)
    out = out.merge(base.reset_index(), on=keys, how="left")
    out["n"] = out["n"].fillna(0).astype("int64")
    if "true" in out:
        out["true"] = out["true"].astype("Int64")
    order = [*keys, "outcome", "kind", "runs", "failed", "n", *BOOL_COLS, *NUM_COLS]
    for c in order:  # the same columns whichever outcomes were asked for
        if c not in out:
            out[c] = pd.array([None] * len(out), dtype="Int64") if c == "true" else math.nan
    return manifest, out.sort_values([*keys], kind="stable")[order].reset_index(drop=True)


def wide(df: pd.DataFrame) -> pd.DataFrame:
    """The long summary as one row per group: the group keys, ``runs`` and ``failed``, then
    per outcome ``<outcome>`` (the frequency of a yes/no outcome, the mean of a number) and
    ``<outcome>_low``/``<outcome>_high`` (its interval; for a number the 5% and 95%
    quantiles)."""
    import pandas as pd

    keys = list(df.columns[: list(df.columns).index("outcome")])
    base = df.drop_duplicates(keys)[[*keys, "runs", "failed"]].reset_index(drop=True)
    out = base
    for name, part in df.groupby("outcome", sort=False):
        is_bool = part["kind"].iloc[0] == "bool"
        cols = ("p", "ci_low", "ci_high") if is_bool else ("mean", "q05", "q95")
        piece = part[[*keys, *cols]].rename(
            columns=dict(zip(cols, (name, f"{name}_low", f"{name}_high"), strict=True))
        )
        out = out.merge(piece, on=keys, how="left")
    return pd.DataFrame(out)


def _one(
    ok: pd.DataFrame, keys: list[str], col: str, kind: str, conf: float, index: pd.Index
) -> pd.DataFrame:
    import pandas as pd

    g = ok.groupby(keys, sort=True, dropna=False)[col]
    if kind == "bool":
        t = pd.DataFrame({"n": g.count(), "true": g.sum().astype("int64")})
        t = t.reindex(index).fillna(0).astype("int64")
        t["p"] = [k / n if n else math.nan for k, n in zip(t["true"], t["n"], strict=True)]
        ci = [wilson(int(k), int(n), conf) for k, n in zip(t["true"], t["n"], strict=True)]
        t["ci_low"] = [c[0] for c in ci]
        t["ci_high"] = [c[1] for c in ci]
    else:
        t = pd.DataFrame({"n": g.count(), "mean": g.mean(), "sd": g.std()})
        q = g.quantile(list(QUANTILES)).unstack()
        for name, qq in zip(["q05", "q25", "median", "q75", "q95"], QUANTILES, strict=True):
            t[name] = q[qq]
        t = t.reindex(index)
    t = t.reset_index()
    t.insert(len(keys), "outcome", col)
    t.insert(len(keys) + 1, "kind", kind)
    return t
