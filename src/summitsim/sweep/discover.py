"""Scenario discovery with PRIM (the Patient Rule Induction Method, peeling only).

Start from the box that holds every run. At each step, try cutting off a small slice
(``alpha`` of the runs in the box) at the low or high end of each numeric parameter, or one
value of a true/false or choice parameter, and keep the cut that gains the most density (the
share of cases among the runs in the box) per run removed. Stop when the box would hold fewer
than ``min_mass`` of the runs. Every box on the way is reported with its coverage (the share of
all cases inside it), density and mass (the share of runs inside it). The chosen box is the
densest one that still covers at least ``min_coverage`` of the cases; restrictions that barely
change its density (less than ``tolerance``) are then dropped, so it names only the parameters
that matter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .spec import SweepError


@dataclass
class Box:
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)  # numeric
    allowed: dict[str, list[Any]] = field(default_factory=dict)  # categorical
    coverage: float = 1.0
    density: float = 0.0
    mass: float = 1.0

    def restricted(self, full: Box) -> dict[str, Any]:
        """The parameters this box restricts, compared with the whole data."""
        out: dict[str, Any] = {}
        for k, (lo, hi) in self.limits.items():
            flo, fhi = full.limits[k]
            if lo > flo or hi < fhi:
                out[k] = {"min": lo, "max": hi}
        for k, vals in self.allowed.items():
            if len(vals) < len(full.allowed[k]):
                out[k] = {"values": vals}
        return out


def prim(
    x: dict[str, np.ndarray],
    y: np.ndarray,
    alpha: float = 0.05,
    min_mass: float = 0.05,
) -> list[Box]:
    """The peeling trajectory. ``x`` maps parameter names to arrays (float arrays are numeric,
    others categorical); ``y`` is a boolean array."""
    y = np.asarray(y, dtype=bool)
    n, cases = len(y), int(y.sum())
    if n == 0 or cases == 0:
        raise SweepError("no run has this outcome; there is nothing to discover")
    numeric = {k: v.astype(float) for k, v in x.items() if v.dtype.kind in "fiu"}
    categ = {k: v for k, v in x.items() if k not in numeric}
    inside = np.ones(n, dtype=bool)
    box = Box(
        limits={k: (float(v.min()), float(v.max())) for k, v in numeric.items()},
        allowed={k: sorted(set(v.tolist()), key=str) for k, v in categ.items()},
    )
    _score(box, inside, y, cases, n)
    trajectory = [box]
    while True:
        best: tuple[float, np.ndarray, Box] | None = None
        m_box = int(inside.sum())
        for cand_inside, cand in _cuts(box, inside, numeric, categ, alpha):
            m = int(cand_inside.sum())
            if m == 0 or m < min_mass * n or m == m_box:
                continue
            # PRIM's peeling criterion: density gained per share of runs removed.
            gain = (float(y[cand_inside].mean()) - box.density) / ((m_box - m) / n)
            if gain > 0 and (best is None or gain > best[0]):
                best = (gain, cand_inside, cand)
        if best is None:
            break
        inside, box = best[1], best[2]
        _score(box, inside, y, cases, n)
        trajectory.append(box)
    return trajectory


def _score(box: Box, inside: np.ndarray, y: np.ndarray, cases: int, n: int) -> None:
    m = int(inside.sum())
    box.mass = m / n
    box.density = float(y[inside].mean()) if m else 0.0
    box.coverage = float(y[inside].sum()) / cases


def _cuts(box: Box, inside: np.ndarray, numeric: dict[str, np.ndarray],
          categ: dict[str, np.ndarray], alpha: float) -> Any:  # fmt: skip
    for k, v in numeric.items():
        vin = v[inside]
        values = np.unique(vin)
        if len(values) < 2:
            continue
        lo_cut = float(np.quantile(vin, alpha))
        if lo_cut <= values[0]:
            lo_cut = float(values[1])  # discrete values: drop the lowest one
        hi_cut = float(np.quantile(vin, 1 - alpha))
        if hi_cut >= values[-1]:
            hi_cut = float(values[-2])
        lo, hi = box.limits[k]
        yield inside & (v >= lo_cut), _with(box, limits={k: (lo_cut, hi)})
        yield inside & (v <= hi_cut), _with(box, limits={k: (lo, hi_cut)})
    for k, v in categ.items():
        allowed = box.allowed[k]
        if len(allowed) < 2:
            continue
        for drop in allowed:
            yield inside & (v != drop), _with(box, allowed={k: [a for a in allowed if a != drop]})


def _with(box: Box, limits: dict[str, Any] | None = None, allowed: dict[str, Any] | None = None
          ) -> Box:  # fmt: skip
    return Box({**box.limits, **(limits or {})}, {**box.allowed, **(allowed or {})})


def choose(trajectory: list[Box], min_coverage: float) -> Box:
    ok = [b for b in trajectory if b.coverage >= min_coverage] or trajectory[:1]
    return max(ok, key=lambda b: (b.density, b.coverage))


def simplify(box: Box, full: Box, x: dict[str, np.ndarray], y: np.ndarray,
             tolerance: float = 0.01) -> Box:  # fmt: skip
    """Drop, one at a time, the restrictions whose removal costs less than ``tolerance``."""
    n, cases = len(y), int(y.sum())
    for name in list(box.restricted(full)):
        trial = _with(
            box,
            limits={name: full.limits[name]} if name in full.limits else None,
            allowed={name: full.allowed[name]} if name in full.allowed else None,
        )
        inside = _mask(trial, x)
        if inside.any() and float(y[inside].mean()) >= box.density - tolerance:
            _score(trial, inside, y, cases, n)
            box = trial
    return box


def _mask(box: Box, x: dict[str, np.ndarray]) -> np.ndarray:
    inside = np.ones(len(next(iter(x.values()))), dtype=bool)
    for k, (lo, hi) in box.limits.items():
        v = x[k].astype(float)
        inside &= (v >= lo) & (v <= hi)
    for k, vals in box.allowed.items():
        inside &= np.isin(x[k], vals)
    return inside


def discover(folder: Any, outcome: str | None, above: float | None = None,
             below: float | None = None, false: bool = False,
             min_coverage: float = 0.5) -> dict[str, Any]:  # fmt: skip
    """Load a sweep, define the cases, run PRIM; a JSON-ready report. Without an outcome
    (or with an unknown one) the error lists the outcomes the sweep has."""
    from .summary import check_outcomes, describe_outcomes, load_runs, outcome_kinds

    manifest, df = load_runs(folder)
    kinds = outcome_kinds(manifest)
    if outcome is None:
        raise SweepError(f"give --outcome NAME; this sweep has: {describe_outcomes(kinds)}")
    check_outcomes(kinds, [outcome])
    varied = list(manifest["columns"]["varied"])
    if not varied:
        raise SweepError("this sweep varies no parameter; discovery needs a grid or a sample")
    df = df[df["error"].isna()]
    y, case = _cases(df[outcome], kinds[outcome], above, below, false, outcome)
    x = {v: _column(df[v], manifest["columns"]["parameters"][v]) for v in varied}
    trajectory = prim(x, y)
    box = simplify(choose(trajectory, min_coverage), trajectory[0], x, y)
    return {
        "outcome": outcome,
        "case": case,
        "runs": len(y),
        "cases": int(y.sum()),
        "base_density": float(y.mean()),
        "box": {
            "coverage": box.coverage,
            "density": box.density,
            "mass": box.mass,
            "restricts": box.restricted(trajectory[0]),
        },
        "trajectory": [
            {
                "coverage": b.coverage,
                "density": b.density,
                "mass": b.mass,
                "restricted": len(b.restricted(trajectory[0])),
            }
            for b in trajectory
        ],
    }


def _cases(s: Any, kind: str, above: float | None, below: float | None, false: bool,
           name: str) -> tuple[np.ndarray, str]:  # fmt: skip
    if kind == "bool":
        if above is not None or below is not None:
            raise SweepError(f"{name} is true/false: --above/--below are for numeric outcomes")
        v = s.astype(bool).to_numpy()
        return (~v, f"{name} is false") if false else (v, f"{name} is true")
    if (above is None) == (below is None):
        raise SweepError(f"{name} is numeric: give exactly one of --above X or --below X")
    v = s.astype(float).to_numpy()
    if above is not None:
        return v > above, f"{name} > {above:g}"
    assert below is not None
    return v < below, f"{name} < {below:g}"


def _column(s: Any, kind: str) -> np.ndarray:
    if kind in ("int", "float"):
        return s.astype(float).to_numpy()
    return s.astype(str).to_numpy(dtype=object)
