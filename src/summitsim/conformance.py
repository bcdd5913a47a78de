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


# --------------------------------------------------------------------------------------
# Policies
# --------------------------------------------------------------------------------------
def builtin_policies() -> dict[str, Any]:
    """Factories of every policy summitsim ships, by name (each takes no argument)."""
    from .policies import AIPolicy, HumanPolicy, RandomPolicy, ScriptedPolicy

    def first_legal(obs: Any) -> tuple[Any, str]:
        return obs.options[-1], "the last option on the list"

    return {
        "ai": AIPolicy,
        "random": RandomPolicy,
        "scripted": lambda: ScriptedPolicy({1: -1}),
        "human": lambda: HumanPolicy(chooser=first_legal),
    }


class _Guard:
    """Wraps a policy: records its choices and checks each against the rules."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.by = inner.by
        self.info = inner.info
        self.model: Any = None
        self.choices: list[tuple[int, Any]] = []
        self.problems: list[str] = []

    def _fingerprint(self) -> tuple[Any, ...]:
        m = self.model
        return (
            tuple(m.ctx.x), tuple(m.ctx.used), tuple(m.ctx.did), len(m.recorder.actions),
            repr(m.alpha), repr(m.beta_), tuple(m.revealed), tuple(m.fired_rl),
            tuple(m.pending),
        )  # fmt: skip

    def decide(self, obs: Any) -> Any:
        before = self._fingerprint()
        d = self.inner.decide(obs)
        if self._fingerprint() != before:
            self.problems.append(f"turn {obs.turn}: deciding changed the model")
        if d.option not in obs.options:
            self.problems.append(f"turn {obs.turn}: chose {d.option!r}, not a legal option")
        if not self.info.stochastic:
            again = self.inner.decide(_with_rng(obs, 12345))
            if again.option != d.option:
                self.problems.append(
                    f"turn {obs.turn}: says it is not stochastic but chose differently"
                )
        self.choices.append((obs.turn, d.option))
        return d

    def consent(self, obs: Any, action: int) -> bool:
        before = self._fingerprint()
        ok = bool(self.inner.consent(obs, action))
        if self._fingerprint() != before:
            self.problems.append(f"turn {obs.turn}: answering a request changed the model")
        return ok


def _with_rng(obs: Any, seed: int) -> Any:
    import dataclasses
    import random

    return dataclasses.replace(obs, rng=random.Random(seed))


def check_policy(
    ref: Any, make: Any, seeds: Iterable[int] = (0, 1), turns: int | None = 6
) -> list[str]:
    """Problems with a policy (``make()`` builds one) playing each actor of a scenario in
    turn: it must choose only legal options, leave the model alone when it decides or
    answers a request, choose the same for the same seed, and, if it says it is not
    stochastic, the same whatever its random source."""
    from .engine.model import SummitModel
    from .engine.registry import get_compiled

    compiled = get_compiled(ref)
    problems: list[str] = []
    for actor in compiled.actors:
        for seed in seeds:
            runs = []
            for _ in range(2):
                guard = _Guard(make())
                model = SummitModel(
                    compiled, seed=seed, turns=turns, collect=False, policies={actor.id: guard}
                )
                guard.model = model
                try:
                    while model.running:
                        model.step()
                except Exception as exc:  # e.g. the engine refusing an illegal option
                    guard.problems.append(f"the run failed: {type(exc).__name__}: {exc}")
                problems += [f"{actor.id}, seed {seed}: {p}" for p in guard.problems]
                runs.append((guard.choices, model.recorder.states))
            if runs[0] != runs[1]:
                problems.append(f"{actor.id}, seed {seed}: two runs with the same seed differ")
    return sorted(set(problems))


def check_observation_is_read_only(ref: Any) -> list[str]:
    """An observation cannot be used to change the model: its state map, the view's state
    and the observation itself refuse assignment."""
    from .engine.model import SummitModel

    model = SummitModel(ref, seed=0, collect=False)
    obs: Any = model.observe(0)  # Any: the point is to try what the types forbid
    problems = []
    attempts = {
        "observation.state": lambda: obs.state.__setitem__(next(iter(obs.state)), 1.0),
        "observation.turn": lambda: setattr(obs, "turn", 99),
        "view.x": lambda: obs.view.x.__setitem__(0, 1.0),
        "observation.moves": lambda: obs.moves.append(0),
    }
    for name, attempt in attempts.items():
        try:
            attempt()
        except Exception:  # refused, as it should be
            continue
        problems.append(f"{name} can be changed through the observation")
    return problems
