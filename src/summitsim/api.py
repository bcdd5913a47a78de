"""The Python API for notebooks, benchmarks and the other parts of summitsim."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import mesa

from .engine.compiled import Compiled
from .engine.model import SummitModel
from .engine.registry import default_scenario, get_compiled
from .engine.registry import load_scenario as _load
from .engine.result import RunResult
from .scenario import LoadedScenario


def load_scenario(ref: str | Path) -> LoadedScenario:
    """Load and validate a bundled scenario (by id) or a scenario file (by path)."""
    return _load(ref)


def run(
    scenario: str | Path | LoadedScenario | Compiled | None = None,
    seed: int | None = 0,
    params: Mapping[str, Any] | None = None,
    turns: int | None = None,
    policies: Mapping[str, Any] | None = None,
    events: list[Mapping[str, Any]] | None = None,
    rationales: bool = True,
) -> RunResult:
    """Play one seeded run and return its result (``scenario=None``: the bundled default).

    ``policies`` maps actor ids to policy objects (e.g. ``HumanPolicy``); ``events`` are
    instructor interventions (see :class:`~summitsim.engine.model.SummitModel`).
    ``rationales=False`` plays the same run without keeping the AI's reasons (faster; for
    outcomes only)."""
    compiled = get_compiled(scenario or default_scenario(), dict(params or {}))
    model = SummitModel(
        compiled,
        seed=seed,
        turns=turns,
        policies=policies,
        collect=False,
        events=events,
        rationales=rationales,
    )
    while model.running:
        model.step()
    release(model)
    return model.result()


def release(model: SummitModel) -> None:
    """Drop mesa 3.3's class-level reference to a finished model (``mesa.Agent._ids`` is keyed
    by model and never cleared there, so every model would stay alive; mesa 3.5 has no such
    table). The result keeps what it needs; the model itself can then be collected."""
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)
