"""Each turn's simultaneous decisions as a normal-form game, solved as a logit quantal-response
equilibrium (McKelvey & Palfrey 1995) or by level-k reasoning.

The game. Every actor's options are its legal sets of moves (hold first). The payoff of a
joint profile to actor ``i`` is the change in its utility once all chosen moves' mean effects
land (each slot clipped to its bounds), minus the cost of its own moves, plus two terms of its
own option only: the red-line risk (for each red line of another actor it knows of that its
option would cross, its belief in the owner's follow-through times the worth of the declared
response) and, with horizon 2, the discounted worth of the others' best replies next turn.

Expected utility against the others' mixed strategies is exact: utilities are sums over state
slots, so it needs, per slot, the distribution of the others' summed change. A slot on which
the actor's utility is affine over every reachable value needs only its mean; only the others
whose moves reach a kink (a threshold, a target or a bound) of the actor's utility make the
game interactive. Actors without such a slot have the same best option whatever the others do.

Rationality is scale-free: the logit precision of actor ``i`` is ``r_i / stakes_i`` where
``stakes_i`` is what one of its moves is typically worth to it (the median, over its moves, of
the utility change each would make on its own at the start of the run; see
``compiled.actor_stakes``).
The equilibrium is followed from ``lambda = 0`` along the principal
branch by continuation (the precision doubled stage by stage, a damped fixed-point iteration
at each stage). ``rationality: inf`` is the end of that branch, computed at ``R_INF``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..engine.compiled import CActor, Compiled
from ..engine.observation import Option, TurnView, option_label
from .base import Anticipated

R_INF = 1000.0  # "inf" rationality, in scale-free units
TOL = 1e-8  # largest change in any probability when the iteration stops
STAGE_TOL = 1e-4  # the same, at the intermediate stages of the continuation
FAST_ITER = 60  # damped iterations per stage before Newton's method takes over
NEWTON_ITER = 30  # Newton steps per stage
MAX_SPLIT = 6  # times a stage may be halved
FIRST_STAGE = 4.0  # the continuation starts at this (scale-free) rationality or below
TIE = 1e-12
PRUNE = 1e-12  # options less likely than this are left out of expectations

Mixed = list[float]


@dataclass
class Player:
    """One actor's side of the turn's game."""

    actor: CActor
    options: tuple[Option, ...]
    deltas: list[dict[int, float]]  # per option: expected change (moves expected refused left out)
    costs: list[float]
    risk: list[float]  # red-line risk per option (belief x worth, summed)
    ahead: list[float]  # discounted worth of next turn's replies (horizon 2)
    anticipated: list[list[Anticipated]]
    refused: list[list[int]]
    live: list[int] = field(default_factory=list)  # slots whose value depends on the others
    lam: float = 0.0  # logit precision, raw utility units


class SlotModel:
    """Who moves a slot and by how much, per option."""

    __slots__ = ("_groups", "_others", "_reach", "moves")

    def __init__(self, moves: list[tuple[int, list[float]]]):
        self.moves = moves  # (player, change per option), for players that move the slot
        self._others: dict[int, list[tuple[int, list[float]]]] = {}
        self._groups: dict[int, list[tuple[float, list[int]]]] = {}
        self._reach: tuple[float, float] | None = None

    def others(self, i: int) -> list[tuple[int, list[float]]]:
        hit = self._others.get(i)
        if hit is None:
            hit = self._others[i] = [(j, v) for j, v in self.moves if j != i]
        return hit

    def groups(self, j: int, vals: list[float]) -> list[tuple[float, list[int]]]:
        """Player ``j``'s non-zero changes to the slot, each with the options giving it."""
        hit = self._groups.get(j)
        if hit is None:
            hit = self._groups[j] = _groups(vals)
        return hit

    def reach(self) -> tuple[float, float]:
        if self._reach is None:
            lo = sum(min(v) for _, v in self.moves)
            hi = sum(max(v) for _, v in self.moves)
            self._reach = lo, hi
        return self._reach


def _slot_models(players: list[Player]) -> dict[int, SlotModel]:
    """Every slot some player's interests read, with the players whose options move it."""
    moves: dict[int, list[tuple[int, list[float]]]] = {}
    for j, p in enumerate(players):
        n = len(p.options)
        mine: dict[int, list[float]] = {}
        for o, d in enumerate(p.deltas):
            for slot, v in d.items():
                if v:
                    mine.setdefault(slot, [0.0] * n)[o] = v
        for slot, vals in mine.items():
            moves.setdefault(slot, []).append((j, vals))
    read = {s for p in players for s in p.actor.slot_terms}
    return {s: SlotModel(moves.get(s, [])) for s in read}


def _slot_fn(actor: CActor, slot: int) -> Callable[[float], float]:
    w, f = actor.slot_terms[slot]
    if f is None:
        return lambda v: w * v
    return f


ActorParts = tuple[dict[int, Callable[[float], float]], dict[int, list[float]]]
_PARTS: dict[int, tuple[CActor, ActorParts]] = {}


def _actor_parts(actor: CActor) -> ActorParts:
    """An actor's utility per slot as one function, and the kinks of each slot (a
    threshold's or a target's reference value), kept from turn to turn."""
    hit = _PARTS.get(id(actor))
    if hit is not None and hit[0] is actor:
        return hit[1]
    fns = {s: _slot_fn(actor, s) for s in actor.slot_terms}
    kinks: dict[int, list[float]] = {}
    for t in actor.terms:
        if t.kind not in ("raise", "lower"):
            kinks.setdefault(t.slot, []).append(t.ref)
    if len(_PARTS) > 1024:  # actors of scenarios compiled long ago
        _PARTS.clear()
    _PARTS[id(actor)] = (actor, (fns, kinks))
    return fns, kinks


class LiveSlot:
    """A slot on which a player's utility has a kink (or a bound) the others can reach: its
    expected value needs the distribution of the others' summed change."""

    __slots__ = ("base", "f", "fixed", "hi", "lo", "memo", "others", "own_index",
                 "own_values", "slot", "varying", "x")  # fmt: skip

    def __init__(self, game: TurnGame, i: int, s: int):
        self.slot = s
        self.f = game.fns[i][s]
        self.x = game.x[s]
        self.lo, self.hi = game.c.lo[s], game.c.hi[s]
        self.base = self.f(self.x)
        # per other player: (player, [(change, options giving it)] for the non-zero changes)
        sm = game.slots[s]
        self.others = [(j, sm.groups(j, vals)) for j, vals in sm.others(i)]
        values = [d.get(s, 0.0) for d in game.players[i].deltas]
        self.own_values = list(dict.fromkeys(values))
        self.own_index = [self.own_values.index(v) for v in values]
        # per own value: the others' summed change -> f(clipped value), filled as met
        self.memo: list[dict[float, float]] = [{} for _ in self.own_values]
        self.fixed: Dist | None = None  # see freeze(); None: nothing fixed
        self.varying = self.others

    def freeze(self, sigma: Sequence[Mixed], varying: set[int]) -> None:
        """Convolve once the players whose strategies stay fixed while ``varying`` iterate."""
        dist = None
        for j, groups in self.others:
            if j not in varying:
                dist = _convolve(dist, groups, sigma[j])
        self.fixed = dist
        self.varying = [(j, g) for j, g in self.others if j in varying]

    def thaw(self) -> None:
        self.fixed, self.varying = None, self.others

    def add(self, sigma: Sequence[Mixed], out: list[float]) -> None:
        dist = self.fixed
        for j, groups in self.varying:
            dist = _convolve(dist, groups, sigma[j])
        items = dist if dist is not None else _NOTHING
        if len(self.memo) == 1:  # the player does not move the slot: the same for all options
            w = self._expect(self.own_values[0], self.memo[0], items)
            out[:] = [v + w for v in out]
            return
        worth = [self._expect(u, m, items) for u, m in zip(self.own_values, self.memo, strict=True)]
        out[:] = [v + worth[k] for v, k in zip(out, self.own_index, strict=True)]

    def _expect(self, own: float, memo: dict[float, float], dist: Dist) -> float:
        """E f(x + own + the others' change) - f(x), over ``dist``."""
        total = 0.0
        for dv, q in dist:
            fv = memo.get(dv)
            if fv is None:
                v = self.x + own + dv
                fv = memo[dv] = self.f(self.lo if v < self.lo else self.hi if v > self.hi else v)
            total += q * fv
        return total - self.base


Dist = list[tuple[float, float]]  # (summed change, probability), each change once
_NOTHING: Dist = [(0.0, 1.0)]  # the distribution of no one's change


def _groups(vals: list[float]) -> list[tuple[float, list[int]]]:
    by: dict[float, list[int]] = {}
    for o, v in enumerate(vals):
        if v:
            by.setdefault(v, []).append(o)
    return list(by.items())


class TurnGame:
    """The turn's game: players, their options and payoffs, and its solution."""

    def __init__(self, view: TurnView, players: list[Player]):
        self.view = view
        self.c: Compiled = view.compiled
        self.x = view.x
        self.players = players
        self.unsolved = 0.0  # the largest residual left where the solver gave up (0: none)
        self.jumped = False  # the branch could not be followed to the end; a jump reached it
        self.slots = _slot_models(players)
        parts = [_actor_parts(p.actor) for p in players]
        self.fns = [fns for fns, _ in parts]
        self.kinks = [kinks for _, kinks in parts]
        self.affine = [self._affine(i) for i in range(len(players))]
        for i, p in enumerate(players):
            p.live = [s for s in p.actor.slot_terms if s not in self.affine[i]]
        self.live = [[LiveSlot(self, i, s) for s in p.live] for i, p in enumerate(players)]
        self.static = [self._static(i) for i in range(len(players))]
        self._means: dict[tuple[int, int], tuple[Mixed, float]] = {}

    # ----- structure -------------------------------------------------------------------
    def _affine(self, i: int) -> dict[int, float | None]:
        """Slots on which actor ``i``'s utility is affine over every reachable value, with
        the slope (None: no one else moves the slot, so the exact value is cheap)."""
        c, x = self.c, self.x
        out: dict[int, float | None] = {}
        for s in self.players[i].actor.slot_terms:
            sm = self.slots[s]
            if not sm.others(i):
                out[s] = None
                continue
            d_lo, d_hi = sm.reach()
            a, b = x[s] + d_lo, x[s] + d_hi
            if a < c.lo[s] or b > c.hi[s]:
                continue
            if any(a < k < b for k in self.kinks[i].get(s, ())):
                continue
            f = self.fns[i][s]
            out[s] = (f(b) - f(a)) / (b - a) if b > a else 0.0
        return out

    def _static(self, i: int) -> tuple[list[float], list[float], list[float]]:
        """Per option, the part of expected utility the others cannot change (own moves on
        slots only it moves, or where its utility is affine; costs), and the red-line and
        horizon terms, kept apart so that plain values can be reported."""
        p, x, c = self.players[i], self.x, self.c
        affine, fns = self.affine[i], self.fns[i]
        moved = {s for d in p.deltas for s in d}
        own = [-cost for cost in p.costs]
        for s, slope in affine.items():
            if s not in moved:
                continue
            f = fns[s]
            base = f(x[s])
            for o, d in enumerate(p.deltas):
                v = d.get(s)
                if v is None:
                    continue
                own[o] += slope * v if slope is not None else f(_clip(c, s, x[s] + v)) - base
        extra = [r + a for r, a in zip(p.risk, p.ahead, strict=True)]
        return own, extra, [a + b for a, b in zip(own, extra, strict=True)]

    @property
    def coupled(self) -> list[int]:
        """The players whose best option depends on what the others do."""
        return [i for i, p in enumerate(self.players) if p.live]

    # ----- expected utility ------------------------------------------------------------
    def choice_values(self, i: int, sigma: Sequence[Mixed]) -> list[float]:
        """Expected utility of each of player ``i``'s options against ``sigma``, up to a
        constant the others' moves add to every option alike (what a choice needs)."""
        out = list(self.static[i][2])
        for live in self.live[i]:
            live.add(sigma, out)
        return out

    def eu(self, i: int, sigma: Sequence[Mixed], plain: bool = False) -> list[float]:
        """Expected utility of each of player ``i``'s options against ``sigma`` (exact;
        ``plain``: without the red-line and horizon terms)."""
        out = self.choice_values(i, sigma)
        if plain:
            out = [v - e for v, e in zip(out, self.static[i][1], strict=True)]
        shift = 0.0
        for s, slope in self.affine[i].items():
            if slope is not None:
                shift += slope * sum(
                    [self._mean(s, j, v, sigma[j]) for j, v in self.slots[s].others(i)]
                )
        return [v + shift for v in out] if shift else out

    def _mean(self, s: int, j: int, vals: list[float], probs: Mixed) -> float:
        """Player ``j``'s mean change to slot ``s`` under ``probs`` (kept while ``probs`` is
        the strategy asked about: every actor's expectation reads the same ones)."""
        hit = self._means.get((s, j))
        if hit is not None and hit[0] is probs:
            return hit[1]
        mean = _mean(vals, probs)
        self._means[s, j] = (probs, mean)
        return mean

    def payoff(self, profile: Sequence[int]) -> list[float]:
        """Each player's payoff when they play the options in ``profile``."""
        sigma = [_point(len(p.options), o) for p, o in zip(self.players, profile, strict=True)]
        return [self.eu(i, sigma)[o] for i, o in enumerate(profile)]

    # ----- rationality -----------------------------------------------------------------
    def set_precision(self) -> None:
        """lambda_i = rationality_i / stakes_i: rationality counts in units of what one of the
        actor's moves is typically worth to it (``Compiled.stakes``), so the same number means
        the same in any scenario and for any actor, and bigger gaps still matter more."""
        for i, p in enumerate(self.players):
            p.lam = rationality_of(p.actor) / self.c.stakes[i]


def _clip(c: Compiled, s: int, v: float) -> float:
    lo, hi = c.lo[s], c.hi[s]
    return lo if v < lo else hi if v > hi else v


def _mean(vals: list[float], probs: Mixed) -> float:
    return sum([v * q for v, q in zip(vals, probs, strict=True)])


def _convolve(dist: Dist | None, groups: list[tuple[float, list[int]]], probs: Mixed) -> Dist:
    """``dist`` (None: no change for sure) plus one player's change (``groups``: its non-zero
    changes and the options giving each; every other option changes nothing)."""
    mine = []
    rest = 1.0
    for v, options in groups:
        q = probs[options[0]] if len(options) == 1 else sum([probs[o] for o in options])
        if q > PRUNE:
            mine.append((v, q))
            rest -= q
    if rest > PRUNE:
        mine.append((0.0, rest))
    if dist is None:  # 0.0 + v is v, 0.0 + 1.0 * q is q: the same sums as below
        return mine
    out: dict[float, float] = {}
    for a, pa in dist:
        for b, pb in mine:
            k = a + b
            out[k] = out.get(k, 0.0) + pa * pb
    return list(out.items())


def _point(n: int, k: int) -> Mixed:
    out = [0.0] * n
    out[k] = 1.0
    return out


def rationality_of(actor: CActor) -> float:
    """The actor's scale-free rationality (``inf`` as ``R_INF``)."""
    return R_INF if math.isinf(actor.beta) else actor.beta


def logit(values: list[float], lam: float) -> Mixed:
    top = max(values)
    weights = [math.exp(lam * (v - top)) for v in values]
    total = sum(weights)
    return [w / total for w in weights]


def argmax_point(values: list[float]) -> Mixed:
    """The best option for sure (ties: the first, in declaration order, hold first)."""
    top = max(values)
    best = next(k for k, v in enumerate(values) if v >= top - TIE)
    return _point(len(values), best)


# --------------------------------------------------------------------------------------
# Solution concepts
# --------------------------------------------------------------------------------------
def respond(game: TurnGame, i: int, sigma: Sequence[Mixed], scale: float = 1.0) -> Mixed:
    p = game.players[i]
    if len(p.options) == 1:
        return [1.0]  # what logit() gives for a single option, whatever its value
    return logit(game.choice_values(i, sigma), p.lam * scale)


def quantal_equilibrium(game: TurnGame) -> list[Mixed]:
    """The logit QRE on the principal branch: players whose best option does not depend on
    the others answer once; the rest are solved by continuation in the precision."""
    n = len(game.players)
    sigma: list[Mixed] = [[1.0 / len(p.options)] * len(p.options) for p in game.players]
    coupled = game.coupled
    for i in range(n):
        if i not in coupled:
            p = game.players[i]
            values = game.choice_values(i, sigma)
            # no noise at infinite rationality: the best option (ties: the earliest)
            sigma[i] = argmax_point(values) if math.isinf(p.actor.beta) else logit(values, p.lam)
    if coupled:
        lives = [live for i in coupled for live in game.live[i]]
        for live in lives:
            live.freeze(sigma, set(coupled))
        try:
            _continue(game, sigma, coupled)
        finally:
            for live in lives:
                live.thaw()
    return sigma


def _stages(game: TurnGame, coupled: list[int]) -> list[float]:
    top = max(
        R_INF if math.isinf(game.players[i].actor.beta) else game.players[i].actor.beta
        for i in coupled
    )
    k = max(0, math.ceil(math.log2(max(top / FIRST_STAGE, 1.0))))
    return [2.0**-j for j in range(k, -1, -1)]


def _continue(game: TurnGame, sigma: list[Mixed], coupled: list[int]) -> None:
    """Follow the branch stage by stage; a stage that cannot be solved from the last one is
    split in two (up to MAX_SPLIT times), as a path-follower shortens its step. Where even
    the shortest step fails (the branch folds back, or the solver cannot follow it), the
    branch is left there: one jump straight to full precision is tried from the last point
    reached; if that fails too, that point is the answer, and ``game.unsolved`` says how far
    it is from an equilibrium at full precision."""
    lo = 0.0
    for scale in _stages(game, coupled):
        if not _follow(game, sigma, coupled, lo, scale, 0):
            found = _solve_at(game, sigma, coupled, 1.0, TOL)
            if found is None:
                game.unsolved = max(game.unsolved, _residual(game, sigma, coupled, 1.0))
                return
            for i, s in zip(coupled, found, strict=True):
                sigma[i] = s
            game.jumped = True
            return
        lo = scale


def _follow(
    game: TurnGame, sigma: list[Mixed], coupled: list[int], lo: float, hi: float, depth: int
) -> bool:
    """Move ``sigma`` along the branch from precision scale ``lo`` to ``hi``; False if the
    step could not be taken even when split MAX_SPLIT times (``sigma`` is then the last
    point reached)."""
    tol = TOL if hi == 1.0 else STAGE_TOL  # on the way, close is enough to stay on the branch
    found = _solve_at(game, sigma, coupled, hi, tol)
    if found is not None:
        for i, s in zip(coupled, found, strict=True):
            sigma[i] = s
        return True
    if depth >= MAX_SPLIT:
        return False
    mid = 0.5 * (lo + hi)
    return _follow(game, sigma, coupled, lo, mid, depth + 1) and _follow(
        game, sigma, coupled, mid, hi, depth + 1
    )


def _residual(game: TurnGame, sigma: list[Mixed], coupled: list[int], scale: float) -> float:
    return max(
        abs(a - b)
        for i in coupled
        for a, b in zip(respond(game, i, sigma, scale), sigma[i], strict=True)
    )


def _solve_at(
    game: TurnGame, start: list[Mixed], coupled: list[int], scale: float, tol: float
) -> list[Mixed] | None:
    """The coupled players' strategies at this precision, from ``start``: a damped iteration
    (its step grows after progress and shrinks after none), then Newton's method from the best
    point it reached. None if neither gets within ``tol``."""
    sigma = list(start)
    best, best_res = [sigma[i] for i in coupled], math.inf
    alpha, prev = 1.0, math.inf
    plans = [_plan(game, i, scale) for i in coupled]
    for _ in range(FAST_ITER):
        new = [_answer(sigma, *plan) for plan in plans]
        res = max([_change(n, sigma[i]) for i, n in zip(coupled, new, strict=True)])
        if res < tol:
            return new
        if res < best_res:
            best, best_res = [sigma[i] for i in coupled], res
        alpha = min(1.0, alpha * 1.5) if res < 0.9 * prev else max(alpha * 0.5, 1e-3)
        prev = res
        keep = 1 - alpha
        for i, n in zip(coupled, new, strict=True):
            sigma[i] = [keep * a + alpha * b for a, b in zip(sigma[i], n, strict=True)]
    for i, s in zip(coupled, best, strict=True):
        sigma[i] = s
    return _newton(game, sigma, coupled, scale, tol)


Plan = tuple[list[float], list[LiveSlot], float]


def _plan(game: TurnGame, i: int, scale: float) -> Plan:
    """What player ``i``'s logit answer needs, bound once for a stage's iterations."""
    return game.static[i][2], game.live[i], game.players[i].lam * scale


def _answer(
    sigma: Sequence[Mixed], static: list[float], lives: list[LiveSlot], lam: float
) -> Mixed:
    """``respond()`` with its parts bound (see ``_plan``)."""
    if len(static) == 1:
        return [1.0]
    out = list(static)
    for live in lives:
        live.add(sigma, out)
    return logit(out, lam)


def _change(a: Mixed, b: Mixed) -> float:
    return max([abs(p - q) for p, q in zip(a, b, strict=True)])


def _newton(
    game: TurnGame, sigma: list[Mixed], coupled: list[int], scale: float, tol: float
) -> list[Mixed] | None:
    """Newton's method on sigma = logit(lambda x EU(sigma)) for the coupled players, each
    strategy written by all its probabilities but the first (the Jacobian by finite
    differences along the simplex), with the step halved until the residual falls."""
    import numpy as np

    sizes = [len(sigma[i]) - 1 for i in coupled]

    def unpack(y: Any) -> list[Mixed]:
        out, k = list(sigma), 0
        for i, n in zip(coupled, sizes, strict=True):
            rest = [max(0.0, float(v)) for v in y[k : k + n]]
            first = max(0.0, 1.0 - sum(rest))
            total = first + sum(rest)
            out[i] = [first / total, *(v / total for v in rest)]
            k += n
        return out

    # whose answers read each player's strategy, and the player each coordinate belongs to
    readers = {p: {i for i in coupled if p in _varying(game, i)} for p in coupled}
    owner = [i for i, n in zip(coupled, sizes, strict=True) for _ in range(n)]

    def answers(y: Any, known: list[Mixed] | None = None, who: set[int] | None = None) -> Any:
        """The coupled players' logit answers at ``y`` (all but the first probability);
        with ``known`` (the answers at a point that differs only in strategies that no one
        outside ``who`` reads), those of ``who`` only are computed anew."""
        s = unpack(y)
        if known is None or who is None:
            return [respond(game, i, s, scale)[1:] for i in coupled]
        return [
            respond(game, i, s, scale)[1:] if i in who else a
            for i, a in zip(coupled, known, strict=True)
        ]

    def g(y: Any, r: list[Mixed]) -> Any:
        return np.asarray(y) - np.concatenate([np.asarray(v) for v in r])

    y = np.concatenate([np.asarray(sigma[i][1:]) for i in coupled])
    ry = answers(y)
    gy = g(y, ry)
    for _ in range(NEWTON_ITER):
        if float(np.max(np.abs(gy))) < tol:
            return [unpack(y)[i] for i in coupled]
        jac = np.empty((len(y), len(y)))
        for k in range(len(y)):
            h = 1e-7 if y[k] < 0.5 else -1e-7
            step = y.copy()
            step[k] += h
            jac[:, k] = (g(step, answers(step, ry, readers[owner[k]])) - gy) / h
        try:
            delta = np.linalg.solve(jac, -gy)
        except np.linalg.LinAlgError:
            return None
        t, norm = 1.0, float(np.max(np.abs(gy)))
        while t > 1e-4:
            cand = np.clip(y + t * delta, 0.0, 1.0)
            rc = answers(cand)
            gc = g(cand, rc)
            if float(np.max(np.abs(gc))) < norm:
                y, gy, ry = cand, gc, rc
                break
            t *= 0.5
        else:
            return None
    return [unpack(y)[i] for i in coupled] if float(np.max(np.abs(gy))) < tol else None


def _varying(game: TurnGame, i: int) -> set[int]:
    """The players whose strategies player ``i``'s answer reads while the others are fixed."""
    return {j for live in game.live[i] for j, _ in live.varying}


def level_k(game: TurnGame, depth: int, levels: dict[int, list[Mixed]]) -> list[Mixed]:
    """Everyone's level-``depth`` play (level 0 holds; level k answers level k-1), memoised
    in ``levels``."""
    hit = levels.get(depth)
    if hit is not None:
        return hit
    if depth == 0:
        out = [_point(len(p.options), 0) for p in game.players]
    else:
        below = level_k(game, depth - 1, levels)
        out = [respond(game, i, below) for i in range(len(game.players))]
    levels[depth] = out
    return out


def option_name(c: Compiled, option: Option) -> str:
    return option_label(c, option)


@dataclass
class GameReport:
    """The game a turn poses, as the engine solves it, for checking against other solvers.

    ``players`` are the actors whose best option depends on the others (the interactive
    part of the turn); the rest play their fixed logit answers, folded into ``payoff`` as
    expectations. ``payoff(profile)`` gives each listed player's payoff (raw utility units)
    for a joint profile of option indices; ``lam`` the logit precisions; ``probs`` the
    engine's equilibrium mixed strategies."""

    players: list[str]
    options: list[tuple[str, ...]]
    lam: list[float]
    probs: list[Mixed]
    payoff: Callable[[Sequence[int]], list[float]]


def turn_game(model: object, everyone: bool = False) -> GameReport:
    """The game of ``model``'s current (or next) turn and its logit QRE (``everyone``: all
    actors, not only the interactive ones)."""
    from .ai import build_game

    view = model.observe(0).view  # type: ignore[attr-defined]
    game = build_game(view)
    sigma = quantal_equilibrium(game)
    who = list(range(len(game.players))) if everyone else game.coupled

    def payoff(profile: Sequence[int]) -> list[float]:
        mixed = list(sigma)
        for i, o in zip(who, profile, strict=True):
            mixed[i] = _point(len(game.players[i].options), o)
        return [game.eu(i, mixed)[o] for i, o in zip(who, profile, strict=True)]

    return GameReport(
        players=[game.players[i].actor.id for i in who],
        options=[tuple(option_label(game.c, o) for o in game.players[i].options) for i in who],
        lam=[game.players[i].lam for i in who],
        probs=[sigma[i] for i in who],
        payoff=payoff,
    )
