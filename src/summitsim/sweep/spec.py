"""What a sweep varies, as given on the command line or in a sweep file (YAML).

A sweep file looks like this (every key but ``scenario`` is optional)::

    scenario: my-summit             # a bundled id, or a path relative to the sweep file
    seed: 0
    replicates: 20
    turns: 24
    set: {alpha_need: 1.5}          # fixed overrides
    grid:                           # a full factorial ...
      alpha_credibility: "0:1:11"   #   LO:HI:STEPS
      beta_holds_out: [false, true] #   or a list of values
    sample: {method: lhs, n: 200, vary: [beta_tolerance]}   # ... or a sample
    keep_turns: false
    common_seeds: false             # true: replicate r has the same seed at every point
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import UserError


class SweepError(UserError):
    """Bad sweep input: one plain line for the user."""


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["lhs", "sobol"]
    n: int = Field(ge=1, le=10_000_000, description="LHS: points; Sobol: base sample size")
    vary: list[str] = Field(min_length=1)


class SweepSpec(BaseModel):
    """A sweep's definition, before it is checked against the scenario's parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str
    seed: int = Field(0, ge=0, lt=2**63)
    replicates: int = Field(1, ge=1, le=1_000_000)
    turns: int | None = Field(None, ge=1, le=240)
    set: dict[str, Any] = Field(default_factory=dict)
    grid: dict[str, str | list[Any]] = Field(default_factory=dict)
    sample: Sample | None = None
    keep_turns: bool = False
    common_seeds: bool = False  # the same replicate seeds at every point

    @model_validator(mode="after")
    def _one_design(self) -> SweepSpec:
        if self.grid and self.sample is not None:
            raise ValueError("give either a grid or a sample, not both")
        varied = list(self.grid) + (self.sample.vary if self.sample else [])
        dup = sorted({n for n in varied if varied.count(n) > 1})
        if dup:
            raise ValueError(f"parameter {dup[0]!r} is varied twice")
        both = sorted(set(varied) & set(self.set))
        if both:
            raise ValueError(f"parameter {both[0]!r} is both varied and fixed with --set")
        return self


def parse_grid_option(item: str) -> tuple[str, str | list[str]]:
    """``NAME=LO:HI:STEPS`` or ``NAME=a,b,c`` from a ``--grid`` option."""
    name, sep, value = item.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name or not value:
        raise SweepError(f"--grid expects NAME=LO:HI:STEPS or NAME=a,b,c, got {item!r}")
    if ":" in value:
        return name, value
    return name, [v.strip() for v in value.split(",") if v.strip()]


def parse_range(name: str, text: str) -> tuple[float, float, int]:
    parts = text.split(":")
    try:
        lo, hi, steps = float(parts[0]), float(parts[1]), int(parts[2])
        if len(parts) != 3:
            raise ValueError
    except (ValueError, IndexError):
        raise SweepError(f"grid {name}: expected LO:HI:STEPS (e.g. 0:1:11), got {text!r}") from None
    if steps < 1:
        raise SweepError(f"grid {name}: STEPS must be at least 1, got {steps}")
    if steps == 1 and lo != hi:
        raise SweepError(f"grid {name}: one step cannot span {lo}..{hi}; use STEPS >= 2")
    return lo, hi, steps


def from_file(path: Path) -> SweepSpec:
    """Read and validate a sweep file (with the scenario loader's safe YAML reader, so errors
    point at FILE:LINE:COL); a relative scenario path is taken from its folder."""
    from ..scenario import ScenarioError
    from ..scenario.yamlsafe import load_yaml_file

    try:
        located = load_yaml_file(path)
    except ScenarioError as exc:
        raise SweepError(exc.problems[0]) from None
    data = located.data
    if not isinstance(data, dict):
        raise SweepError(f"{path}: a sweep file is a mapping with at least a 'scenario' key")
    scen = data.get("scenario")
    if isinstance(scen, str) and not _is_bundled(scen):
        candidate = path.parent / scen
        if candidate.is_file():
            data["scenario"] = str(candidate)
    return _validate(data, located.error)


def from_dict(data: dict[str, Any], where: str = "sweep") -> SweepSpec:
    return _validate(data, lambda loc, message: f"{where}: {message}")


def _validate(data: dict[str, Any], place: Callable[[Any, str], str]) -> SweepSpec:
    from ..scenario.validate import field_error

    try:
        return SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise SweepError(place(*field_error(exc.errors()[0]))) from None


def _is_bundled(ref: str) -> bool:
    from ..engine.registry import bundled

    return ref in bundled()
