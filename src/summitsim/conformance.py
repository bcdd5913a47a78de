"""Conformance checks every scenario must pass (in the spirit of PettingZoo's API tests).

``check_scenario(ref)`` loads, compiles and plays a scenario several times and returns the
problems it finds: schema or name errors, non-determinism for a fixed seed, state outside
its bounds, non-finite numbers, a result that does not round-trip through JSON, a run without
rationales (as sweeps play them) that differs from the full run, or a model that cannot be
pickled (needed to run it in worker processes). The test suite runs it over
every file in ``scenarios/``, so a new scenario is checked without anyone remembering to.
"""

from __future__ import annotations

import json
import math
import pickle
from collections.abc import Iterable
from typing import Any

REQUIRED_KEYS = ("summitsim_version", "scenario", "seed", "params", "turns", "outcomes")
TURN_KEYS = ("turn", "state", "actions", "red_lines")
ACTION_KEYS = ("actor", "move", "by", "rationale")
RED_LINE_KEYS = ("owner", "red_line", "crossed_by", "responded")


def check_scenario(
    ref: Any, seeds: Iterable[int] = (0, 1, 2), turns: int | None = None
) -> list[str]:
    """All problems found with a scenario; an empty list means it conforms."""
    from .api import run
    from .engine.registry import get_compiled, load_scenario
    from .scenario import ScenarioError

    try:
        loaded = load_scenario(ref)
        compiled = get_compiled(loaded)
    except ScenarioError as exc:
        return list(exc.problems)
    problems: list[str] = []
    for seed in seeds:
        first = run(compiled, seed=seed, turns=turns)
        again = run(compiled, seed=seed, turns=turns)
        if first.to_json() != again.to_json():
            problems.append(f"seed {seed}: two runs with the same seed differ")
        problems += check_invariants(first)
        problems += check_result_format(json.loads(first.to_json()))
        lean = run(compiled, seed=seed, turns=turns, rationales=False)
        if not same_play(first, lean):
            problems.append(f"seed {seed}: a run without rationales plays differently")
    problems += check_pickle(compiled)
    return problems


def same_play(a: Any, b: Any) -> bool:
    """The same states, outcomes, moves and red-line events (rationales aside)."""
    ra, rb = a.rec, b.rec

    def moves(rec: Any) -> list[tuple[Any, ...]]:
        return [(m.turn, m.actor, m.action, m.by, m.status) for m in rec.actions]

    def lines(rec: Any) -> list[tuple[Any, ...]]:
        return [(r.turn, r.red_line, r.crossed_by, r.responded, r.warning) for r in rec.red_lines]

    return (
        ra.states == rb.states
        and ra.outcomes == rb.outcomes
        and moves(ra) == moves(rb)
        and lines(ra) == lines(rb)
        and ra.injects == rb.injects
    )


def check_invariants(result: Any) -> list[str]:
    """Every state value finite and within its bounds, every turn."""
    c = result.compiled
    out = []
    for t, row in enumerate(result.rec.states):
        for slot, v in enumerate(row):
            if not math.isfinite(v):
                out.append(f"turn {t}: {c.slots[slot]} is not finite ({v})")
            elif not c.lo[slot] - 1e-9 <= v <= c.hi[slot] + 1e-9:
                out.append(f"turn {t}: {c.slots[slot]}={v} outside [{c.lo[slot]}, {c.hi[slot]}]")
    for t, row in enumerate(result.rec.outcomes):
        for o, v in zip(c.outcomes, row, strict=True):
            if not o.is_bool and not math.isfinite(v):
                out.append(f"turn {t}: outcome {o.id} is not finite ({v})")
    return out


def check_result_format(d: dict[str, Any]) -> list[str]:
    """The documented JSON result contract."""
    out = [f"result lacks {k!r}" for k in REQUIRED_KEYS if k not in d]
    if out:
        return out
    if set(d["scenario"]) < {"id", "sha256"}:
        out.append("result.scenario lacks id or sha256")
    for turn in d["turns"]:
        out += [f"turn {turn.get('turn')}: lacks {k!r}" for k in TURN_KEYS if k not in turn]
        for a in turn.get("actions", []):
            out += [
                f"turn {turn['turn']}: an action lacks {k!r}" for k in ACTION_KEYS if k not in a
            ]
        for r in turn.get("red_lines", []):
            out += [
                f"turn {turn['turn']}: a red line lacks {k!r}" for k in RED_LINE_KEYS if k not in r
            ]
    return out


def check_pickle(compiled: Any) -> list[str]:
    """A model can be pickled and, once restored, plays on exactly as the original."""
    from .engine.model import SummitModel

    try:
        model = SummitModel(compiled.loaded, seed=7, collect=False, **compiled.params)
        model.step()
        clone = pickle.loads(pickle.dumps(model))
        while model.running:
            model.step()
            clone.step()
    except Exception as exc:  # any failure here is the finding
        return [f"model cannot be pickled and resumed: {type(exc).__name__}: {exc}"]
    if model.result().to_json() != clone.result().to_json():
        return ["a pickled and restored model plays on differently"]
    return []
