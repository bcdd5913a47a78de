"""Policies decide for actors from their observations: AI (each turn's game solved as a
logit quantal-response equilibrium or by level-k reasoning), scripted, random and human."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..engine.compiled import CActor, Compiled
from .ai import AIPolicy, Solver
from .base import Decision, Policy, PolicyInfo, Rationale
from .simple import HumanPolicy, RandomPolicy, ScriptedPolicy


def default_policies(
    c: Compiled, actors: Sequence[CActor], rationales: bool = True
) -> dict[int, Any]:
    """Each actor's declared policy; the AI actors of a run share one solver, so the turn's
    game is built and solved once."""
    solver = Solver()
    out: dict[int, Any] = {}
    for a in actors:
        if a.policy == "scripted":
            out[a.index] = ScriptedPolicy(dict(a.script))
        elif a.policy == "random":
            out[a.index] = RandomPolicy()
        else:
            out[a.index] = AIPolicy(solver, rationales=rationales)
    del c
    return out


__all__ = [
    "AIPolicy",
    "Decision",
    "HumanPolicy",
    "Policy",
    "PolicyInfo",
    "RandomPolicy",
    "Rationale",
    "ScriptedPolicy",
    "Solver",
    "default_policies",
]
