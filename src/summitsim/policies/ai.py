"""The AI policy: each turn's simultaneous choices solved as a game (see :mod:`.game`).

An AI actor values each of its options (hold, or a legal set of moves) by expected utility:
the mean effect of its own moves and of everyone else's (as the solution concept predicts
them), the red-line responses it expects its own option to draw, and, with horizon 2, the
others' best replies next turn. It then draws its option from its side of the solution:
the logit quantal-response equilibrium (``depth: equilibrium``) or level-k play.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from ..engine import predict as pr
from ..engine.compiled import CActor, Compiled, CRedLine
from ..engine.deals import Reply as DealReply
from ..engine.deals import Talks
from ..engine.observation import Observation, Option, TurnView
from .base import Anticipated, Decision, PolicyInfo, Rationale
from .game import Mixed, Player, TurnGame, argmax_point, level_k, quantal_equilibrium
from .negotiate import Negotiator

Reply = tuple[float, frozenset[int], pr.Delta, float]  # value, slots touched, delta, cost

# A choice counts as the actor's best (``Decision.best``, the result's ``not_best_share``)
# when its expected utility is within this share of the actor's stakes (a typical move's
# worth, the unit of its rationality) of the best option's: options closer than that are
# practically tied (at rationality 6 the odds between them are at most e^0.3, 1.35 to 1).
NEAR_TIE = 0.05


@dataclass
class Solution:
    """A turn's game and its solution, shared by every AI actor of a run."""

    view: TurnView
    game: TurnGame
    equilibrium: list[Mixed] | None = None
    levels: dict[int, list[Mixed]] | None = None

    def beliefs(self, i: int) -> list[Mixed]:
        """What actor ``i`` expects everyone to play (its own entry: its own mixed choice)."""
        depth = self.game.players[i].actor.depth
        if depth is None:
            if self.equilibrium is None:
                self.equilibrium = quantal_equilibrium(self.game)
            return self.equilibrium
        if self.levels is None:
            self.levels = {}
        others = level_k(self.game, depth - 1, self.levels)
        mine = self.game.players[i]
        own = _logit_own(self.game, i, others, mine.lam)
        return [own if j == i else s for j, s in enumerate(others)]


def _logit_own(game: TurnGame, i: int, sigma: list[Mixed], lam: float) -> Mixed:
    from .game import logit

    return logit(game.eu(i, sigma), lam)


class Solver:
    """Builds and solves each turn's game once, for all the AI actors that share it."""

    def __init__(self) -> None:
        self._last: Solution | None = None

    def solve(self, view: TurnView) -> Solution:
        if self._last is None or self._last.view is not view:
            self._last = Solution(view, build_game(view))
        return self._last

    def __getstate__(self) -> dict[str, object]:
        return {"_last": None}


class AIPolicy:
    """Expected utility in a game solved each turn; ``solver`` may be shared by all the AI
    actors of a run (the game is then built and solved once a turn)."""

    by = "ai"
    info = PolicyInfo(
        stochastic=True,
        uses_private_information=True,
        description="logit QRE or level-k over each turn's game (knows every actor's interests)",
    )

    def __init__(self, solver: Solver | None = None, rationales: bool = True):
        self.solver = solver or Solver()
        self.rationales = rationales
        self.negotiator = Negotiator()

    def decide(self, obs: Observation) -> Decision:
        sol = self.solver.solve(obs.view)
        i = obs.actor.index
        sigma = sol.beliefs(i)
        eu = sol.game.eu(i, sigma)
        probs = argmax_point(eu) if _no_noise(obs.actor, sol.game, i) else sigma[i]
        pick = _choose(probs, obs.rng.random())
        option = sol.game.players[i].options[pick]
        best = eu[pick] >= max(eu) - NEAR_TIE * obs.compiled.stakes[i] - 1e-9
        if not self.rationales:
            return Decision(option=option, by=self.by, best=best)
        rationale = _rationale(sol, i, sigma, eu, probs, pick)
        return Decision(option=option, by=self.by, rationale=rationale, best=best)

    def consent(self, obs: Observation, action: int) -> bool:
        return would_consent(obs.view, obs.actor, action)

    def bargain(self, obs: Observation, talks: Talks) -> DealReply:
        """Negotiates toward the Nash bargaining solution (see :mod:`.negotiate`)."""
        return self.negotiator.bargain(obs, talks)


def _no_noise(actor: CActor, game: TurnGame, i: int) -> bool:
    """At infinite rationality an actor whose best option does not depend on the others takes
    it for sure (ties broken by declaration order)."""
    return math.isinf(actor.beta) and not game.players[i].live


def _choose(probs: Sequence[float], u: float) -> int:
    acc = 0.0
    for k, p in enumerate(probs):
        acc += p
        if u < acc:
            return k
    return max(range(len(probs)), key=lambda k: probs[k])


def would_consent(view: TurnView, partner: CActor, action: int) -> bool:
    """The partner agrees when the move is worth its cost to it."""
    return view.gain(partner, view.delta(action)) - view.partner_cost(action) >= 0.0


# --------------------------------------------------------------------------------------
# Building the turn's game
# --------------------------------------------------------------------------------------
def build_game(view: TurnView) -> TurnGame:
    players = [_player(view, actor) for actor in view.compiled.actors]
    if view.compiled.has_signals:
        add_signal_values(view, players)
    game = TurnGame(view, players)
    game.set_precision()
    return game


def _player(view: TurnView, actor: CActor) -> Player:
    options = view.options[actor.index]
    agrees = {k: _agrees(view, k) for k in view.allowed[actor.index]}
    deltas, costs, refused = [], [], []
    for option in options:
        d: dict[int, float] = {}
        for k in option:
            if agrees[k]:
                for slot, v in view.delta(k):
                    d[slot] = d.get(slot, 0.0) + v
        deltas.append(d)
        costs.append(sum(view.cost(k) for k in option))
        refused.append([k for k in option if not agrees[k]])
    risks = [_red_line_risks(view, actor, o, d) for o, d in zip(options, deltas, strict=True)]
    ahead = _ahead(view, actor, deltas) if actor.horizon >= 2 else [0.0] * len(options)
    return Player(
        actor=actor,
        options=options,
        deltas=deltas,
        costs=costs,
        risk=[sum(a.risk for a in r) for r in risks],
        ahead=ahead,
        anticipated=risks,
        refused=refused,
    )


def _agrees(view: TurnView, action: int) -> bool:
    partner = view.compiled.actions[action].consent
    return partner is None or would_consent(view, view.compiled.actors[partner], action)


def _red_line_risks(
    view: TurnView, actor: CActor, option: Option, delta: dict[int, float]
) -> list[Anticipated]:
    """The red lines ``option`` would cross (judged with the others holding), and what each
    response would be worth to ``actor``. A red line that only its covert moves' detection
    would cross is crossed with the chance that one of them is detected this turn."""
    if not option:
        return []
    c, x = view.compiled, view.x
    covert = [k for k in option if c.actions[k].covert]
    out = []
    changes: pr.Changes | None = None
    for rl in view.watched(actor.index):
        if rl.trigger_slots.isdisjoint(delta) and not any(k in rl.trigger_actions for k in option):
            continue
        if changes is None:
            changes = pr.apply(c, x, {}, tuple(delta.items()))
        chance = _crossing_chance(view, rl, option, changes, covert)
        if not chance:
            continue
        after = pr.apply(c, x, changes, view.response_delta(rl))
        worth = pr.utility_change(actor, x, after) - pr.utility_change(actor, x, changes)
        belief = view.belief(actor.index, rl.index)
        out.append(Anticipated(option, rl.index, belief, worth, chance))
    return out


def _crossing_chance(
    view: TurnView, rl: CRedLine, option: Option, changes: pr.Changes, covert: list[int]
) -> float:
    if view.would_trigger(rl, option, changes):
        return 1.0
    if not covert or not view.would_trigger(rl, option, changes, found=covert):
        return 0.0
    unseen = 1.0
    for k in covert:
        unseen *= 1.0 - view.detection(k)
    return 1.0 - unseen


def _ahead(view: TurnView, actor: CActor, deltas: list[dict[int, float]]) -> list[float]:
    """Horizon 2: for each option, the discounted worth to ``actor`` of the others' best
    replies next turn to the state the option leads to."""
    c, x = view.compiled, view.x
    repliers = _repliers(view, actor)
    out = []
    for d in deltas:
        own = pr.apply(c, x, {}, tuple(d.items())) if d else {}
        after = _best_replies(view, own, repliers)
        out.append(actor.discount * (pr.utility_change(actor, x, after) - _u(actor, x, own)))
    return out


def _u(actor: CActor, x: Sequence[float], changes: pr.Changes) -> float:
    return pr.utility_change(actor, x, changes) if changes else 0.0


Replier = tuple[CActor, frozenset[int], pr.Delta, list[Reply]]


def _repliers(view: TurnView, actor: CActor) -> list[Replier]:
    """Other actors with a move that touches what ``actor`` cares about, each with the slots
    its moves touch, its best reply at this turn's state and its replies' values."""
    relevant = set(actor.slot_terms)
    for rl in view.watched(actor.index):
        relevant |= rl.trigger_slots
    out = []
    for other in view.compiled.actors:
        if other.index == actor.index:
            continue
        replies = [
            (view.gain(other, view.delta(k)) - view.cost(k), view.compiled.actions[k].slots,
             view.delta(k), view.cost(k))
            for k in view.allowed[other.index]
        ]  # fmt: skip
        touched = frozenset().union(*(r[1] for r in replies)) if replies else frozenset()
        if touched.isdisjoint(relevant):
            continue
        best: pr.Delta = ()
        top = 0.0
        for v, _, d, _ in replies:
            if v > top:
                best, top = d, v
        out.append((other, touched, best, replies))
    return out


def _best_replies(view: TurnView, own: pr.Changes, repliers: list[Replier]) -> pr.Changes:
    """``own`` plus each replier's best reply to the state ``own`` leads to (replies that
    touch nothing ``own`` changed keep their value at this turn's state)."""
    c, x = view.compiled, view.x
    changes = dict(own)
    y: list[float] | None = None
    for other, touched, best, replies in repliers:
        if own and not touched.isdisjoint(own):
            if y is None:
                y = pr.overlay(x, own)
            best, top = (), 0.0
            for v, slots, d, cost in replies:
                if not slots.isdisjoint(own):
                    v = pr.gain(c, other, y, d) - cost
                if v > top:
                    best, top = d, v
        if best:
            changes = pr.apply(c, x, changes, best)
    return changes


# --------------------------------------------------------------------------------------
# The rationale
# --------------------------------------------------------------------------------------
def _rationale(
    sol: Solution, i: int, sigma: list[Mixed], eu: list[float], probs: Sequence[float], pick: int
) -> Rationale:
    game = sol.game
    p = game.players[i]
    c = game.c
    r = Rationale(
        actor=i,
        alternatives=list(p.options),
        eu=eu,
        eu_plain=[e - rk for e, rk in zip(eu, p.risk, strict=True)],
        probs=list(probs),
        chosen=p.options[pick],
        anticipated=[a for ants in p.anticipated for a in ants],
        expected_refusal=sorted({k for ks in p.refused for k in ks}),
        expected=_expected(game, i, sigma),
        concept=_concept(game, p.actor),
    )
    if p.options[pick]:
        r.explain = partial(_explain, c, i, game.x, p.deltas[pick])
    return r


def _concept(game: TurnGame, actor: CActor) -> str:
    if actor.depth is not None:
        return f"level-{actor.depth}"
    if game.unsolved > 1e-6:  # the solver gave up somewhere on the branch: say so
        return f"logit QRE (not fully converged: residual {game.unsolved:.1e})"
    if game.jumped:  # an equilibrium, found past a point where the branch could not be followed
        return "logit QRE (off the traced branch)"
    return "logit QRE"


def _expected(game: TurnGame, i: int, sigma: list[Mixed]) -> list[tuple[int, Option, float]]:
    """What ``i`` expected of each other actor whose moves touch what it cares about: that
    actor's most likely option among those that do (or hold), with its probability. Actors
    that could change ``i``'s best option (on a slot with a kink) come first, then the rest,
    each group most likely first."""
    mine = set(game.players[i].actor.slot_terms)
    live = set(game.players[i].live)
    out = []
    for j, p in enumerate(game.players):
        if j == i:
            continue
        relevant = [o for o, d in enumerate(p.deltas) if not mine.isdisjoint(d)]
        if not relevant:
            continue
        k = max(relevant, key=sigma[j].__getitem__)
        tier = 1 if live.isdisjoint(p.deltas[k]) else 0
        out.append((tier, -sigma[j][k], j, p.options[k], sigma[j][k]))
    out.sort(key=lambda e: (e[0], e[1], e[2]))
    return [(j, option, prob) for _, _, j, option, prob in out]


def _explain(
    c: Compiled, actor: int, x: Sequence[float], delta: dict[int, float]
) -> list[tuple[str, float]]:
    chosen = pr.apply(c, x, {}, tuple(delta.items()))
    return deciding_terms(c.actors[actor], x, chosen, {})


def deciding_terms(
    actor: CActor, x: Sequence[float], chosen: pr.Changes, hold: pr.Changes
) -> list[tuple[str, float]]:
    """The interest terms the choice gains most on, compared with holding."""
    mine = dict(_by_term(actor, x, chosen))
    held = dict(_by_term(actor, x, hold))
    diffs = {d: mine.get(d, 0.0) - held.get(d, 0.0) for d in sorted(set(mine) | set(held))}
    ranked = sorted(diffs.items(), key=lambda kv: -kv[1])
    gains = [(d, v) for d, v in ranked if v > 1e-9]
    return gains[:3] if gains else ranked[:1]


def _by_term(actor: CActor, x: Sequence[float], changes: pr.Changes) -> list[tuple[str, float]]:
    return [(t.description, v) for t, v in pr.term_breakdown(actor, x, changes)]


# --------------------------------------------------------------------------------------
# What a signal is worth to its sender
# --------------------------------------------------------------------------------------
def add_signal_values(view: TurnView, players: list[Player]) -> None:
    """Add to each option with a red-line signal what the signal is worth to its sender: the
    change it makes in the other actors' choices from next turn on. Each other actor's choice
    is its logit answer with everyone else holding; the signal shifts its belief in the red
    line, so its expected red-line risk on the options that would cross it, and so how often
    it takes them. The sender gains what those options would have cost it, for as many turns
    as are left (at most ten), discounted."""
    c = view.compiled
    for p in players:
        for o, option in enumerate(p.options):
            for k in option:
                sig = c.actions[k].signal
                if sig is not None and sig.red_line is not None:
                    p.ahead[o] += _signal_value(view, players, p, k, sig.red_line, sig.kind)


def _signal_value(
    view: TurnView, players: list[Player], sender: Player, action: int, rl: int, kind: str
) -> float:
    w = view.signal_weight(action)
    value = 0.0
    for j, other in enumerate(players):
        if j == sender.actor.index or (not view.knows(j, rl) and kind != "declare"):
            continue
        a, b = view.counts[j][rl]
        old = a / (a + b) if a + b > 0 else 0.0
        new = {"blur": a / (a + b + w), "withdraw": 0.0}.get(kind, (a + w) / (a + b + w))
        shifts = _risk_shifts(other, rl, new - old)
        if shifts:
            value += _choice_shift_worth(view, sender.actor, other, shifts)
    factor = sum(sender.actor.discount**t for t in range(1, min(view.turns_left, 10) + 1))
    return value * factor


def _risk_shifts(other: Player, rl: int, delta_belief: float) -> dict[int, float]:
    """How the other's expected red-line risk on each of its options changes."""
    out: dict[int, float] = {}
    for o, ants in enumerate(other.anticipated):
        for ant in ants:
            if ant.red_line == rl:
                out[o] = out.get(o, 0.0) + delta_belief * ant.chance * ant.worth
    return out


def _choice_shift_worth(
    view: TurnView, sender: CActor, other: Player, shifts: dict[int, float]
) -> float:
    from .game import logit, rationality_of

    values = [
        view.gain(other.actor, tuple(d.items())) - cost + risk
        for d, cost, risk in zip(other.deltas, other.costs, other.risk, strict=True)
    ]
    lam = rationality_of(other.actor) / view.compiled.stakes[other.actor.index]
    before = logit(values, lam)
    after = logit([v + shifts.get(o, 0.0) for o, v in enumerate(values)], lam)
    return sum(
        (q1 - q0) * view.gain(sender, tuple(d.items()))
        for q0, q1, d in zip(before, after, other.deltas, strict=True)
    )
