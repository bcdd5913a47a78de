"""Global sensitivity of each outcome to each varied parameter.

The response at a point is the mean over its replicates (for a true/false outcome: the
frequency), so replicate noise is averaged out before the analysis.

- Sobol samples (``--sample sobol``): SALib's Sobol analysis, first-order ``S1`` and total
  ``ST`` indices with bootstrap confidence intervals.
- LHS samples: SALib's RBD-FAST (random balance designs, Fourier amplitude sensitivity test),
  first-order ``S1`` with bootstrap confidence intervals; it needs no special sample layout.
  (SALib's delta method also fits, but took minutes per outcome here.)
- Grids: a full factorial allows the exact variance decomposition of the point means,
  ``S1`` (main effect) and ``ST`` (total effect) per parameter, without sampling error.

Every row also gives ``between``: the share of the run-to-run variance of the outcome that
lies between points rather than between replicates of a point. The indices apportion only
the between-point part, so with one varied parameter they are 1 by construction (the row's
note says so) and ``between`` is the figure that tells a flat outcome from one the parameter
drives.
"""

from __future__ import annotations

import io
import math
import warnings
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .spec import SweepError
from .summary import check_outcomes, load_runs, outcome_kinds

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = [
    "outcome", "parameter", "method", "S1", "S1_conf", "ST", "ST_conf", "between", "note"
]  # fmt: skip
ONE_PARAMETER = "one parameter: 1 by construction; read 'between'"


def point_means(
    folder: Path, outcomes: list[str] | None = None
) -> tuple[dict[str, Any], pd.DataFrame, list[str]]:
    """One row per point (in point-id order): the varied parameters and mean responses;
    ``table.attrs["between"]`` holds, per outcome, the share of the run-to-run variance that
    lies between points (see :func:`between_share`)."""
    manifest, df = load_runs(folder)
    varied = list(manifest["columns"]["varied"])
    if not varied:
        raise SweepError("this sweep varies no parameter; sensitivity needs a grid or a sample")
    kinds = outcome_kinds(manifest)
    wanted = check_outcomes(kinds, outcomes)
    ok = df["error"].isna()
    resp = df.loc[ok, ["point_id", *wanted]].astype({w: "float64" for w in wanted})
    means = resp.groupby("point_id").mean()
    n_points = manifest["definition"]["n_points"]
    params = df.groupby("point_id")[varied].first()
    table = params.join(means, how="left").reindex(range(n_points))
    table.attrs["between"] = {w: between_share(resp, w) for w in wanted}
    return manifest, table, wanted


def between_share(resp: pd.DataFrame, outcome: str) -> float:
    """The share of the variance of an outcome over runs that lies between points (the
    parameters) rather than between the replicates of a point: 1 - within / total. NaN with
    one run per point (nothing to compare with) or when the outcome never varies."""
    y = resp[["point_id", outcome]].dropna()
    counts = y.groupby("point_id")[outcome].count()
    if y.empty or counts.max() < 2:
        return math.nan
    total = float(np.var(y[outcome].to_numpy()))
    if total == 0:
        return math.nan
    within = float((y[outcome] - y.groupby("point_id")[outcome].transform("mean")).pow(2).mean())
    return max(0.0, 1.0 - within / total)


def encode(values: pd.Series, kind: str, choices: list[Any] | None) -> np.ndarray:
    """Parameter values as numbers: true/false as 0/1, choices by their index."""
    if kind == "bool":
        return values.astype(float).to_numpy()
    if kind == "choice" and choices is not None:
        index = {str(c): i for i, c in enumerate(choices)}
        return np.array([index.get(str(v), math.nan) for v in values], dtype=float)
    return values.astype(float).to_numpy()


def analyze(
    folder: Path, outcomes: list[str] | None = None, resamples: int = 100, seed: int = 0
) -> tuple[dict[str, Any], pd.DataFrame]:
    import pandas as pd

    manifest, table, wanted = point_means(folder, outcomes)
    varied = list(manifest["columns"]["varied"])
    design = manifest["definition"]["design"]
    kinds = manifest["columns"]["parameters"]
    choices = manifest["columns"].get("choices", {})
    rows: list[dict[str, Any]] = []
    between = table.attrs.get("between", {})
    for out in wanted:
        start = len(rows)
        y = table[out].to_numpy(dtype=float)
        if np.isnan(y).any() and design in ("sobol", "grid"):
            missing = int(np.isnan(y).sum())
            rows += _empty(out, varied, design, f"{missing} points have no successful run")
        elif np.nanstd(y) == 0:
            rows += _empty(out, varied, design, "constant across points")
        elif design == "sobol":
            rows += _sobol(out, varied, y, resamples, seed)
        elif design == "grid":
            rows += _factorial(out, varied, table[varied], y)
        else:
            keep = ~np.isnan(y)
            x = np.column_stack([encode(table[v], kinds[v], choices.get(v)) for v in varied])
            rows += _rbd_fast(out, varied, x[keep], y[keep], resamples, seed)
        for row in rows[start:]:
            row["between"] = between.get(out, math.nan)
            if len(varied) == 1 and not row["note"]:
                row["note"] = ONE_PARAMETER
    return manifest, pd.DataFrame(rows, columns=COLUMNS)


def _row(out: str, name: str, method: str, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS, math.nan)
    row.update(outcome=out, parameter=name, method=method, note="")
    row.update(kw)
    return row


def _empty(out: str, varied: list[str], design: str, note: str) -> list[dict[str, Any]]:
    return [_row(out, v, design, note=note) for v in varied]


def _quietly(fn: Any, *args: Any, seed: int = 0, **kw: Any) -> Any:
    """Call SALib without its console chatter; seed numpy's global generator, which parts of
    SALib use, so the same folder always gives the same numbers."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        with (
            warnings.catch_warnings(),
            redirect_stdout(io.StringIO()),
            redirect_stderr(io.StringIO()),
        ):
            warnings.simplefilter("ignore")
            return fn(*args, seed=seed, **kw)
    finally:
        np.random.set_state(state)


def _problem(varied: list[str]) -> dict[str, Any]:
    return {"num_vars": len(varied), "names": varied, "bounds": [[0.0, 1.0]] * len(varied)}


def _sobol(out: str, varied: list[str], y: np.ndarray, resamples: int, seed: int) -> list[Any]:
    from SALib.analyze import sobol

    d = len(varied)
    if len(y) % (d + 2):
        raise SweepError(f"{len(y)} points is not a Sobol sample of {d} parameters")
    res = _quietly(sobol.analyze, _problem(varied), y, calc_second_order=False,
                   num_resamples=resamples, seed=seed)  # fmt: skip
    return [
        _row(
            out,
            v,
            "sobol",
            S1=float(res["S1"][i]),
            S1_conf=float(res["S1_conf"][i]),
            ST=float(res["ST"][i]),
            ST_conf=float(res["ST_conf"][i]),
        )
        for i, v in enumerate(varied)
    ]


def _rbd_fast(
    out: str, varied: list[str], x: np.ndarray, y: np.ndarray, resamples: int, seed: int
) -> list[Any]:
    from SALib.analyze import rbd_fast

    problem = _problem(varied)
    problem["bounds"] = [[float(np.nanmin(c)), float(np.nanmax(c)) + 1e-12] for c in x.T]
    note = "" if len(y) >= 100 else "few points: RBD-FAST is rough below about 100"
    try:
        res = _quietly(rbd_fast.analyze, problem, x, y, num_resamples=resamples, seed=seed)
    except (ValueError, ZeroDivisionError, np.linalg.LinAlgError) as exc:
        return _empty(out, varied, "rbd_fast", f"RBD-FAST failed: {exc}")
    return [
        _row(
            out, v, "rbd_fast", S1=float(res["S1"][i]), S1_conf=float(res["S1_conf"][i]), note=note
        )
        for i, v in enumerate(varied)
    ]


def _factorial(out: str, varied: list[str], x: pd.DataFrame, y: np.ndarray) -> list[Any]:
    """Exact main and total effects of a full factorial (equal weight per grid point)."""
    frame = x.copy()
    frame["_y"] = y
    var = float(np.var(y))
    rows = []
    for v in varied:
        main = float(np.var(frame.groupby(v)["_y"].transform("mean")))
        others = [o for o in varied if o != v]
        if others:
            within = frame.groupby(others)["_y"].transform(lambda s: s - s.mean())
            total = float(np.mean(within.to_numpy() ** 2))
        else:
            total = var
        rows.append(_row(out, v, "factorial", S1=main / var, ST=total / var))
    return rows
