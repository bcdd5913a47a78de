"""What the library scenarios' behaviour tests share: seeded ensembles played by the AI, or
with some actors at random (each setting played once and cached), and small readers of runs.

A claim is a function of a ``Plays`` returning a ``Verdict``; each test checks that it holds
with the AI and fails when the actors it is about play at random, so that it could fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import summitsim
from summitsim.policies.simple import RandomPolicy


@dataclass(frozen=True)
class Plays:
    """``n`` seeded runs of ``scenario`` (seeds 0..n-1) at the given parameters, with the
    actors in ``random`` played at random (``as_dict``: each run as its result dict)."""

    name: str
    scenario: str
    n: int
    random: tuple[str, ...] = ()
    as_dict: bool = False

    def __call__(self, **params: Any) -> tuple[Any, ...]:
        key = tuple(sorted(params.items()))
        return _runs(self.scenario, self.n, self.random, key, self.as_dict)


@cache
def _runs(
    scenario: str,
    n: int,
    random_: tuple[str, ...],
    params: tuple[tuple[str, Any], ...],
    as_dict: bool,
) -> tuple[Any, ...]:
    policies = {a: RandomPolicy() for a in random_}
    out = []
    for s in range(n):
        r = summitsim.run(
            scenario, seed=s, params=dict(params), policies=policies, rationales=False
        )
        out.append(r.to_dict() if as_dict else r)
    return tuple(out)


@dataclass(frozen=True)
class Verdict:
    holds: bool
    detail: str


@dataclass(frozen=True)
class Claim:
    """What a scenario teaches: ``check`` says whether it holds under a ``Plays``;
    ``reasons_of`` names the actors whose reasoning it rests on (played at random, they
    should refute it)."""

    name: str
    statement: str
    reasons_of: tuple[str, ...]
    check: Callable[[Plays], Verdict]


def assert_the_ai_teaches(claim: Claim, ai: Plays) -> None:
    verdict = claim.check(ai)
    assert verdict.holds, f"{claim.statement}: not so when {ai.name} plays ({verdict.detail})"


def assert_random_play_refutes(claims: list[Claim], play: Plays) -> None:
    """Every claim about the reasoning of an actor ``play`` has play at random fails."""
    about = [c for c in claims if set(c.reasons_of) & set(play.random)]
    assert about
    still = {c.name: v.detail for c in about if (v := c.check(play)).holds}
    assert not still, f"these claims hold with {play.name}: {still}"


def times(r: Any, actor: str, move: str) -> int:
    """How often ``actor`` took ``move`` in run ``r``."""
    a = r.actions
    return int(((a.actor == actor) & (a.move == move) & (a.status == "done")).sum())


def share(results: tuple[Any, ...], test: Callable[[Any], bool]) -> float:
    """The share of runs for which ``test`` holds."""
    return sum(bool(test(r)) for r in results) / len(results)


def covert_found(scenario: str, move: str, seeds: int = 20) -> int:
    """How many times ``move`` (covert) was detected over ``seeds`` runs of the AI, checking
    that no detection is marked before the turn the move was taken."""
    found = 0
    for seed in range(seeds):
        d = summitsim.run(scenario, seed=seed).to_dict()
        for turn in d["turns"]:
            for act in turn["actions"]:
                seen = act.get("detected_turn")
                if act["move"] == move and act.get("covert") and seen:
                    found += 1
                    assert seen >= turn["turn"], (seed, turn["turn"], seen)
    return found
