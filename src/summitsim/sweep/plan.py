"""A sweep spec checked against its scenario: the points, the runs and their seeds.

Run ``r`` is replicate ``r % R`` of point ``r // R``. Its seed comes from the master seed and
(point, replicate) through numpy's ``SeedSequence`` (or from (0, replicate) with
``common_seeds``: common random numbers, the same seeds at every point), so it does not
depend on the executor, the number of workers, the chunking or the order in which runs finish.
Points are computed on demand from the grid axes or the sample matrix: memory does not grow
with the number of runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.compiled import ParamError, coerce_params
from ..scenario import LoadedScenario
from .spec import SweepError, SweepSpec, parse_range

RESERVED = ("run_id", "point_id", "replicate", "seed", "peak_escalation", "error")


def run_seed(master: int, point: int, replicate: int) -> int:
    """The seed of one run: independent streams per (point, replicate), below 2**63."""
    ss = np.random.SeedSequence(master, spawn_key=(point, replicate))
    return int(ss.generate_state(1, np.uint64)[0]) >> 1


@dataclass
class Plan:
    loaded: LoadedScenario
    text: str  # the scenario file's text, sent to workers
    spec: SweepSpec
    fixed: dict[str, Any]  # --set overrides, coerced
    varied: list[str]
    design: str  # grid | lhs | sobol | single
    axes: list[list[Any]] = field(default_factory=list)
    unit: np.ndarray | None = None  # samples in [0, 1): n_points x len(varied)
    n_points: int = 1

    @property
    def replicates(self) -> int:
        return self.spec.replicates

    @property
    def n_runs(self) -> int:
        return self.n_points * self.spec.replicates

    @property
    def turns(self) -> int:
        return self.spec.turns or self.loaded.spec.meta.turns

    def point(self, i: int) -> dict[str, Any]:
        """The varied parameters' values at point ``i``."""
        if self.design == "grid":
            values = []
            for axis in reversed(self.axes):
                i, k = divmod(i, len(axis))
                values.append(axis[k])
            return dict(zip(self.varied, reversed(values), strict=True))
        if self.unit is not None:
            params = self.loaded.spec.parameters
            return {
                name: from_unit(params[name], float(u))
                for name, u in zip(self.varied, self.unit[i], strict=True)
            }
        return {}

    def params(self, i: int) -> dict[str, Any]:
        return {**self.fixed, **self.point(i)}

    def definition(self) -> dict[str, Any]:
        """What makes two sweeps the same sweep (compared on resume); JSON-ready."""
        s = self.spec
        out: dict[str, Any] = {
            "scenario": {"id": self.loaded.id, "sha256": self.loaded.sha256},
            "design": self.design,
            "seed": s.seed,
            "replicates": s.replicates,
            "turns": self.turns,
            "set": self.fixed,
            "keep_turns": s.keep_turns,
            "common_seeds": s.common_seeds,
        }
        if self.design == "grid":
            out["grid"] = {n: list(a) for n, a in zip(self.varied, self.axes, strict=True)}
        elif s.sample is not None:
            out["sample"] = {"method": s.sample.method, "n": s.sample.n, "vary": self.varied}
        out["n_points"] = self.n_points
        out["n_runs"] = self.n_runs
        return out


def load(ref: str) -> tuple[LoadedScenario, str]:
    """The scenario (bundled id or path) and its text (checked against its sha256)."""
    import hashlib

    from ..engine.registry import bundled, load_scenario

    loaded = load_scenario(ref)
    path = bundled().get(ref) or Path(ref)
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != loaded.sha256:
        raise SweepError(f"{ref}: the scenario file changed while it was being read")
    return loaded, data.decode("utf-8")


def make_plan(spec: SweepSpec, loaded: LoadedScenario, text: str) -> Plan:
    sc = loaded.spec
    try:
        fixed = {k: v for k, v in coerce_params(sc, spec.set).items() if k in spec.set}
    except ParamError as exc:
        raise SweepError(f"--set: {exc}") from None
    for name in list(spec.grid) + (spec.sample.vary if spec.sample else []):
        if name not in sc.parameters:
            known = ", ".join(sc.parameters) or "(none)"
            raise SweepError(f"unknown parameter {name!r} (known: {known})")
    if spec.grid:
        axes = [_axis(loaded, n, v) for n, v in spec.grid.items()]
        n = math.prod(len(a) for a in axes)
        return Plan(loaded, text, spec, fixed, list(spec.grid), "grid", axes=axes, n_points=n)
    if spec.sample is not None:
        unit = _sample(spec, len(spec.sample.vary))
        return Plan(loaded, text, spec, fixed, list(spec.sample.vary), spec.sample.method,
                    unit=unit, n_points=len(unit))  # fmt: skip
    return Plan(loaded, text, spec, fixed, [], "single")


def _axis(loaded: LoadedScenario, name: str, given: str | list[Any]) -> list[Any]:
    p = loaded.spec.parameters[name]
    raw: list[Any]
    if isinstance(given, str):
        if p.kind in ("bool", "choice"):
            raise SweepError(
                f"grid {name}: a {p.kind} parameter takes a list (NAME=a,b), not a range"
            )
        lo, hi, steps = parse_range(name, given)
        raw = [round(float(v), 12) for v in np.linspace(lo, hi, steps)]
        if p.kind == "int":
            if any(not v.is_integer() for v in raw):
                raise SweepError(f"grid {name}: {given} gives non-integer values for an integer")
            raw = [int(v) for v in raw]
    else:
        raw = list(given)
    if not raw:
        raise SweepError(f"grid {name}: no values")
    try:
        values = [coerce_params(loaded.spec, {name: v})[name] for v in raw]
    except ParamError as exc:
        raise SweepError(str(exc)) from None
    if len(set(map(repr, values))) != len(values):
        raise SweepError(f"grid {name}: repeated values {values}")
    return values


def _sample(spec: SweepSpec, dims: int) -> np.ndarray:
    assert spec.sample is not None
    problem = {"num_vars": dims, "names": spec.sample.vary, "bounds": [[0.0, 1.0]] * dims}
    n = spec.sample.n
    seed = spec.seed % 2**32
    if spec.sample.method == "lhs":
        from SALib.sample import latin

        return np.asarray(latin.sample(problem, n, seed=seed), dtype=float)
    if n & (n - 1):
        raise SweepError(f"Sobol samples need --n to be a power of 2 (e.g. {_pow2(n)}), got {n}")
    from SALib.sample import sobol

    return np.asarray(sobol.sample(problem, n, calc_second_order=False, seed=seed), dtype=float)


def _pow2(n: int) -> int:
    return 1 << max(0, round(math.log2(n)))


def from_unit(p: Any, u: float) -> Any:
    """Map a number in [0, 1) onto a parameter's declared range or choices (uniformly)."""
    kind = p.kind
    if kind == "bool":
        return u >= 0.5
    if kind == "choice":
        k = len(p.choices)
        return p.choices[min(k - 1, int(u * k))]
    lo, hi = p.range
    if kind == "int":
        a, b = math.ceil(lo), math.floor(hi)
        return min(b, a + int(u * (b - a + 1)))
    return lo + u * (hi - lo)


def check_columns(plan: Plan) -> None:
    """Parameter, outcome and summary column names must not clash."""
    sc = plan.loaded.spec
    names = [*RESERVED, *sc.parameters, *sc.outcomes, *(f"first_crossed_{r}" for r in sc.red_lines)]
    seen = sorted(names)
    for a, b in pairwise(seen):
        if a == b:
            raise SweepError(
                f"scenario {plan.loaded.id}: the name {a!r} is used twice among parameters, "
                "outcomes and the sweep's own columns; rename one to sweep it"
            )
