"""How AI parties negotiate a deal: toward the Nash bargaining solution, conceding round by
round, accepting what beats waiting (docs/scenarios.md, "How AI actors negotiate").

Each party values every package (``engine.deals.package_value``): its own interests for
itself, and the others' *public* interests for them (what it can know). The *feasible*
packages are those every party prefers to walking away. Among them the Nash bargaining
solution (Nash 1950) maximises the product of the parties' surpluses over their walk-away
values; it is also the limit of Rubinstein's (1982) alternating-offers equilibrium as the
parties grow patient (Binmore, Rubinstein and Wolinsky 1986).

A party's *aspiration* in round ``r`` of ``R`` falls in a straight line from its best
feasible surplus (round 0) to its surplus at the Nash point (the last round). It offers
the package the others like best (largest product of their surpluses) among those that
meet its aspiration. It accepts an offer worth at least what waiting is worth, Rubinstein
style: its next aspiration, discounted one round (``deal.discount``); in the last round,
anything better than walking away. With no feasible package it walks away. Its concessions
meet at, or just short of, the Nash point; a more impatient responder settles earlier,
which favours the party that proposes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..engine.deals import Package, Reply, Talks, package_values
from ..engine.observation import Observation


@dataclass(frozen=True)
class Plan:
    """One party's reading of a negotiation: every package's surplus per party (its own
    true, the others' estimated), the feasible packages and the Nash point."""

    me: int
    parties: tuple[int, ...]
    surplus: dict[int, dict[Package, float]]
    feasible: tuple[Package, ...]
    nash: Package | None

    def mine(self, p: Package) -> float:
        return self.surplus[self.me][p]

    def others(self, p: Package) -> float:
        """The product of the other parties' surpluses."""
        out = 1.0
        for q in self.parties:
            if q != self.me:
                out *= max(0.0, self.surplus[q][p])
        return out


def plan(obs: Observation, talks: Talks) -> Plan:
    me, deal = obs.actor.index, talks.deal
    packages = deal.packages()
    actors = talks.view.compiled.actors
    surplus = {}
    for q in deal.parties:
        values = package_values(talks.view, deal, actors[q], public_only=q != me)
        walk = talks.walk_away(q)
        surplus[q] = {p: values[p] - walk for p in packages}
    feasible = tuple(p for p in packages if all(surplus[q][p] > 0 for q in deal.parties))
    nash = max(feasible, key=lambda p: (_product(surplus, p), p), default=None)
    return Plan(me, deal.parties, surplus, feasible, nash)


def _product(surplus: dict[int, dict[Package, float]], p: Package) -> float:
    out = 1.0
    for q in surplus:
        out *= surplus[q][p]
    return out


def aspiration(pl: Plan, rnd: int, rounds: int) -> float:
    """What the party asks for in round ``rnd``: from its best feasible surplus down to its
    surplus at the Nash point by the last round."""
    assert pl.nash is not None
    floor = pl.mine(pl.nash)
    best = max(pl.mine(p) for p in pl.feasible)
    left = 1.0 - rnd / (rounds - 1) if rounds > 1 else 0.0
    return floor + (best - floor) * max(0.0, left)


def offer(pl: Plan, rnd: int, rounds: int) -> Package:
    """The package the others like best among those meeting this round's aspiration."""
    assert pl.nash is not None
    want = aspiration(pl, rnd, rounds) - 1e-12
    meets = [p for p in pl.feasible if pl.mine(p) >= want] or [pl.nash]
    return max(meets, key=lambda p: (pl.others(p), pl.mine(p), p))


SHARED_PLANS = 256  # plans kept per compiled scenario, shared by its runs


def _shared_plan(obs: Observation, talks: Talks) -> Plan:
    """``plan()``, shared by the runs of one compiled scenario: a plan depends only on what
    the view holds (the state, move counts, the turns left, the red lines' status and
    everyone's beliefs),
    so runs that reach the same talks in the same world (every run at a turn-1 summit) read
    the same plan instead of valuing every package again."""
    v = talks.view
    key = (
        talks.deal.index, obs.actor.index, talks.turn, v.turns_left, v.x, v.revealed,
        v.fired_rl, v.withdrawn, v.counts, tuple(v._ctx.used), v._found_ever,
    )  # fmt: skip
    cache: dict[Any, Plan] = v.compiled.__dict__.setdefault("_negotiation_plans", {})
    hit = cache.get(key)
    if hit is None:
        if len(cache) >= SHARED_PLANS:
            cache.clear()
        hit = cache[key] = plan(obs, talks)
    return hit


class Negotiator:
    """The AI's side of a negotiation (``bargain``); deterministic."""

    def __init__(self) -> None:
        self._plans: dict[tuple[int, int, int], Plan] = {}

    def plan_for(self, obs: Observation, talks: Talks) -> Plan:
        key = (talks.turn, talks.deal.index, obs.actor.index)
        hit = self._plans.get(key)
        if hit is None:
            self._plans = {k: v for k, v in self._plans.items() if k[0] == talks.turn}
            hit = self._plans[key] = _shared_plan(obs, talks)
        return hit

    def bargain(self, obs: Observation, talks: Talks) -> Reply:
        pl = self.plan_for(obs, talks)
        deal = talks.deal
        if talks.table is not None:
            got = pl.mine(talks.table)
            if got > 0 and (pl.nash is None or talks.last_round):
                return Reply("accept", reason=f"better than walking away ({got:+.3g})")
            if pl.nash is not None:
                wait = deal.discount * aspiration(pl, talks.round + 1, deal.rounds)
                if got > 0 and got >= wait - 1e-12:
                    return Reply("accept", reason=f"worth {got:+.3g}, waiting {wait:+.3g}")
        if pl.nash is None:
            return Reply("walk", reason="no package is better than no deal for every party")
        rnd = 0 if talks.table is None else talks.round + 1
        p = offer(pl, rnd, deal.rounds)
        return Reply(
            "offer", p, reason=f"asks {pl.mine(p):+.3g} (Nash point {pl.mine(pl.nash):+.3g})"
        )


__all__ = ["Negotiator", "Plan", "aspiration", "offer", "plan"]
