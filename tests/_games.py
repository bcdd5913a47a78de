"""The classic games in scenarios/game-*.yaml as normal-form games, worked out independently of
the engine: payoffs computed from the scenario's own interests, moves and red lines (the rules
of docs/scenarios.md), the equilibria stated by hand, and the logit QRE solved by bisection.

Shared by tests/test_games.py and tests/test_gambit_oracle.py. Deliberately written from the
specification, not from summitsim's engine, so that it can catch the engine out.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import summitsim
from tests.conftest import ROOT

HOLD = "hold"


def engine_cases(games: Sequence[str]) -> list[Any]:
    """``games`` as test parameters."""
    return list(games)


def scenario_path(game: str) -> Path:
    return ROOT / "scenarios" / f"{game}.yaml"


def with_rationality(game: str, folder: Path, rationality: float | str) -> Path:
    """A copy of a game file with every actor's ``rationality`` replaced (a file, as the
    rationality is not a parameter). Same file name, so the id still matches."""
    text = scenario_path(game).read_text(encoding="utf-8")
    new, n = re.subn(r"rationality: [^,}\s]+", f"rationality: {rationality}", text)
    assert n >= 1, f"{game}: no rationality to replace"
    out = folder / f"{game}.yaml"
    out.write_text(new, encoding="utf-8")
    return out


# ----- payoffs from the scenario's interests ---------------------------------------------


def _number(value: Any, params: Mapping[str, Any]) -> float:
    """A literal, or the name of a parameter (all that the game files use)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    name = str(value).strip()
    if name in params:
        return float(params[name])
    return float(name)  # e.g. "2.5"; anything else is a file these helpers do not cover


def _term(kind: str, v: float, weight: float, ref: float, span: float) -> float:
    """One interest term, as the table in docs/scenarios.md defines it."""
    if kind == "raise":
        return weight * v / span
    if kind == "lower":
        return -weight * v / span
    if kind == "above":
        return -weight * max(0.0, ref - v) / span
    if kind == "below":
        return -weight * max(0.0, v - ref) / span
    assert kind == "near", kind
    return -weight * abs(v - ref) / span


@dataclass
class NormalForm:
    """A one-turn game: players (actor ids), options (``hold`` first, then each player's moves
    in file order) and the payoff of every joint profile of option indices."""

    game: str
    params: dict[str, Any]
    players: list[str]
    options: list[list[str]]
    payoffs: dict[tuple[int, ...], tuple[float, ...]]
    rationality: list[float]  # as written in the file (inf allowed)
    own_alone: list[list[float]]  # per player: |worth of each of its moves alone, net of cost|
    any_alone: list[list[float]]  # per player: the same for every move in the scenario

    def payoff(self, player: int, profile: Sequence[int]) -> float:
        return self.payoffs[tuple(profile)][player]

    def expected(self, player: int, option: int, mixed: Sequence[Sequence[float]]) -> float:
        """Expected payoff of ``option`` against the others' independent mixed strategies."""
        total = 0.0
        others = [range(len(o)) for o in self.options]
        others[player] = range(option, option + 1)
        for profile in itertools.product(*others):
            w = 1.0
            for j, k in enumerate(profile):
                if j != player:
                    w *= mixed[j][k]
            total += w * self.payoff(player, profile)
        return total

    def stakes(self, player: int) -> float:
        """What one of the player's moves is typically worth to it (docs/scenarios.md, "What
        rationality means"): the median, over its moves, of the size of the change in its
        utility each makes alone at the start, net of cost (red-line risk aside; zeros left
        out); failing that, the same over every move of the scenario; failing that, 1."""
        for moves in (self.own_alone[player], self.any_alone[player]):
            values = sorted(v for v in moves if v > 1e-12)
            if values:
                mid = len(values) // 2
                return values[mid] if len(values) % 2 else 0.5 * (values[mid - 1] + values[mid])
        return 1.0

    def lam(self, player: int) -> float:
        """The logit precision: the rationality divided by the stakes."""
        return self.rationality[player] / self.stakes(player)


def normal_form(game: str, params: Mapping[str, Any] | None = None) -> NormalForm:
    """The normal-form game of a one-turn game file, from its interests, moves and red lines."""
    spec = summitsim.load_scenario(scenario_path(game)).spec
    values = {name: p.default for name, p in spec.parameters.items()}
    values.update(params or {})
    assert not spec.relations and not spec.injects, "the game files use variables only"
    lo = {v: var.bounds[0] for v, var in spec.variables.items()}
    hi = {v: var.bounds[1] for v, var in spec.variables.items()}
    x0 = {v: var.initial for v, var in spec.variables.items()}
    players = list(spec.actors)
    options = [[HOLD, *(m for m, mv in spec.moves.items() if p in mv.actors)] for p in players]

    def utility(player: str, x: Mapping[str, float]) -> float:
        total = 0.0
        for it in spec.actors[player].interests:
            assert it.variable is not None
            ref = it.threshold if it.threshold is not None else it.target
            total += _term(
                it.kind,
                x[it.variable],
                _number(it.weight, values),
                _number(ref, values) if ref is not None else 0.0,
                hi[it.variable] - lo[it.variable],
            )
        return total

    def after(x: Mapping[str, float], effects: Sequence[Any]) -> dict[str, float]:
        """All the effects' mean changes summed, then each variable clipped to its bounds."""
        acc: dict[str, float] = {}
        for e in effects:
            assert e.variable is not None and e.dist is None and not e.delay
            acc[e.variable] = acc.get(e.variable, 0.0) + _number(e.delta, values)
        y = dict(x)
        for v, d in acc.items():
            y[v] = min(hi[v], max(lo[v], x[v] + d))
        return y

    triggers = {}
    for rid, rl in spec.red_lines.items():
        m = re.fullmatch(r"did\((\w+),\s*(\w+)\)", str(rl.trigger).strip())
        assert m is not None and rl.public and not rl.response.moves, rid
        triggers[rid] = (m.group(1), m.group(2), rl)

    payoffs: dict[tuple[int, ...], tuple[float, ...]] = {}
    for profile in itertools.product(*(range(len(o)) for o in options)):
        chosen = [(p, options[i][k]) for i, (p, k) in enumerate(zip(players, profile, strict=True))]
        moves = [m for _, m in chosen if m != HOLD]
        y = after(x0, [e for m in moves for e in spec.moves[m].effects])
        row = []
        for p, m in chosen:
            value = utility(p, y) - utility(p, x0)
            if m != HOLD:
                value -= _number(spec.moves[m].cost, values)
            for who, move, rl in triggers.values():
                if who == p and move == m and rl.owner != p:
                    cred = min(1.0, max(0.0, _number(rl.credibility, values)))
                    worth = utility(p, after(y, rl.response.effects)) - utility(p, y)
                    value += cred * worth
            row.append(value)
        payoffs[profile] = tuple(row)
    rationality = [spec.actors[p].profile.beta for p in players]

    def alone(player: str, move: str) -> float:
        gain = utility(player, after(x0, spec.moves[move].effects)) - utility(player, x0)
        return abs(gain - _number(spec.moves[move].cost, values))

    own_alone = [[alone(p, m) for m in options[i][1:]] for i, p in enumerate(players)]
    any_alone = [[alone(p, m) for m in spec.moves] for p in players]
    return NormalForm(
        game, dict(values), players, options, payoffs, rationality, own_alone, any_alone
    )


def end_state_payoffs(game: str, profile: Sequence[int], params: Mapping[str, Any]) -> list[float]:
    """Each player's payoff when the profile is played through the engine by scripted
    policies: U(end state) - U(start) - cost of its own moves, read from the run's JSON."""
    from summitsim.engine.registry import get_compiled
    from summitsim.policies import ScriptedPolicy

    nf = normal_form(game, params)
    compiled = get_compiled(scenario_path(game), dict(params))
    index = {(compiled.actors[a.actor].id, a.move): a.index for a in compiled.actions}
    policies = {}
    for p, k in zip(nf.players, profile, strict=True):
        move = nf.options[nf.players.index(p)][k]
        policies[p] = ScriptedPolicy({1: -1 if move == HOLD else index[(p, move)]})
    doc = summitsim.run(scenario_path(game), seed=0, params=params, policies=policies).to_dict()
    moves = {a["actor"]: a["move"] for a in doc["turns"][1]["actions"] if a["by"] != "red_line"}
    for p, k in zip(nf.players, profile, strict=True):
        assert moves[p] == nf.options[nf.players.index(p)][k], (p, moves)
    start, end = doc["turns"][0]["state"], doc["turns"][-1]["state"]
    spec = summitsim.load_scenario(scenario_path(game)).spec
    values = {name: p.default for name, p in spec.parameters.items()} | dict(params)
    out = []
    for p, k in zip(nf.players, profile, strict=True):
        gain = _utility_of(spec, p, end, values) - _utility_of(spec, p, start, values)
        move = nf.options[nf.players.index(p)][k]
        cost = _number(spec.moves[move].cost, values) if move != HOLD else 0.0
        out.append(gain - cost)
    return out


def _utility_of(spec: Any, player: str, x: Mapping[str, float], values: Mapping[str, Any]) -> float:
    total = 0.0
    for it in spec.actors[player].interests:
        lo, hi = spec.variables[it.variable].bounds
        ref = it.threshold if it.threshold is not None else it.target
        total += _term(
            it.kind,
            x[it.variable],
            _number(it.weight, values),
            _number(ref, values) if ref is not None else 0.0,
            hi - lo,
        )
    return total


def engine_probabilities(path: Path, params: dict | None = None) -> list[float]:
    """P(move) of each player (in actor order) as the engine's rationale records it (the
    result JSON rounds probabilities to 6 decimals)."""
    doc = summitsim.run(path, seed=0, params=params or {}).to_dict()
    out = {}
    for action in doc["turns"][1]["actions"]:
        if action["by"] != "ai":
            continue
        alts = action["rationale"]["alternatives"]
        out[action["actor"]] = sum(a["probability"] for a in alts if a["move"] != HOLD)
    spec = summitsim.load_scenario(path).spec
    return [out[a] for a in spec.actors if a in out]


# ----- the equilibria, by hand -------------------------------------------------------------


def logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def bisect_fixed_point(f: Callable[[float], float], lo: float = 0.0, hi: float = 1.0) -> float:
    """The p in [lo, hi] with p = f(p), for f non-increasing in p (one crossing)."""
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid - f(mid) > 0:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def bisect_root(g: Callable[[float], float], lo: float, hi: float) -> float:
    """A root of g in [lo, hi], where g changes sign."""
    glo = g(lo) > 0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if (g(mid) > 0) == glo:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


# The payoff matrices stated in each file's summary: (payoff to the first actor, to the
# second) per profile of option indices (0 = hold, 1 = the move), typed in by hand.
HAND_MATRICES: dict[str, dict[tuple[int, ...], tuple[float, ...]]] = {
    "game-chicken": {(0, 0): (0, 0), (0, 1): (-1, 1), (1, 0): (1, -1), (1, 1): (-10, -10)},
    "game-prisoners-dilemma": {
        (0, 0): (0, 0),
        (0, 1): (-3, 2),
        (1, 0): (2, -3),
        (1, 1): (-2, -2),
    },
    "game-stag-hunt": {(0, 0): (0, 0), (0, 1): (0, -3), (1, 0): (-3, 0), (1, 1): (1, 1)},
    "game-battle-of-the-sexes": {(0, 0): (0, 0), (0, 1): (2, 1), (1, 0): (1, 2), (1, 1): (0, 0)},
    "game-matching-pennies": {(0, 0): (0, 0), (0, 1): (-2, 2), (1, 0): (-2, 2), (1, 1): (0, 0)},
    # state (comply, violate) x agency (no inspection, inspect)
    "game-inspection": {(0, 0): (0, 0), (0, 1): (0, -1), (1, 0): (1, -4), (1, 1): (-2, -1)},
    # attacker (hold, grab) x defender (hold): grab is gain - c x harm = 1 - 0.7 x 2
    "game-deterrence": {(0, 0): (0, 0), (1, 0): (1 - 0.7 * 2, -1)},
}

# Nash equilibria stated in each summary, as (P(first plays its move), P(second plays its
# move)); 0 for an actor that can only hold.
HAND_NASH: dict[str, list[tuple[float, ...]]] = {
    "game-chicken": [(1, 0), (0, 1), (0.1, 0.1)],
    "game-prisoners-dilemma": [(1, 1)],
    "game-stag-hunt": [(0, 0), (1, 1), (0.75, 0.75)],
    "game-battle-of-the-sexes": [(1, 0), (0, 1), (1 / 3, 1 / 3)],
    "game-matching-pennies": [(0.5, 0.5)],
    "game-inspection": [(0.25, 1 / 3)],
    "game-deterrence": [(0, 0)],  # at c = 0.7 > 1/2: no grab
}

# What `rationality: inf` plays (the limit of the principal logit branch), as above.
HAND_LIMIT: dict[str, tuple[float, ...]] = {
    "game-chicken": (0.1, 0.1),
    "game-prisoners-dilemma": (1, 1),
    "game-stag-hunt": (0, 0),
    "game-battle-of-the-sexes": (1 / 3, 1 / 3),
    "game-matching-pennies": (0.5, 0.5),
    "game-inspection": (0.25, 1 / 3),
    "game-deterrence": (0, 0),
}

GAMES = list(HAND_MATRICES)
SYMMETRIC = ["game-chicken", "game-prisoners-dilemma", "game-stag-hunt", "game-battle-of-the-sexes"]

# Each player's stakes (the worth of its move alone, net of cost), worked out in the
# summaries: the logit precision is the rationality divided by them.
HAND_STAKES: dict[str, tuple[float, ...]] = {
    "game-chicken": (1.0, 1.0),  # standing alone: +2 - 1
    "game-prisoners-dilemma": (2.0, 2.0),  # defecting alone: +5 - 3
    "game-stag-hunt": (3.0, 3.0),  # hunting the stag alone: -3 + 4 - 4
    "game-battle-of-the-sexes": (1.0, 1.0),  # giving way alone: -1 + 2
    "game-matching-pennies": (2.0, 2.0),  # tails alone: -2 for A, +2 for B
    "game-inspection": (1.0, 1.0),  # violating alone +1; inspecting alone -1 (its cost)
    "game-deterrence": (1.0, 1.0),  # the grab alone: gain 1 to the attacker, -1 to the defender
}


def symmetric_qre(game: str, lam: float) -> float:
    """P(move) in the symmetric logit QRE of a symmetric game at precision ``lam``: the
    one-dimensional fixed point p = logistic(lam x (EU(move) - EU(hold))) given the other
    plays the move with probability p, with the payoff differences written out by hand."""
    diff = {
        # EU(stand) - EU(swerve) = (1 - 11p) - (-p)
        "game-chicken": lambda p: 1 - 10 * p,
        # EU(defect) - EU(cooperate) = (2 - 4p) - (-3p)
        "game-prisoners-dilemma": lambda p: 2 - p,
        # EU(stag) - EU(hare) = (4p - 3) - 0
        "game-stag-hunt": lambda p: 4 * p - 3,
        # p = P(give way); EU(give way) - EU(hold) = (1 - p) - 2p
        "game-battle-of-the-sexes": lambda p: 1 - 3 * p,
    }[game]
    return bisect_fixed_point(lambda p: logistic(lam * diff(p)))


def inspection_qre(lam_state: float, lam_agency: float) -> tuple[float, float]:
    """The logit QRE of the inspection game: p = P(violate), q = P(inspect).
    State: EU(violate) - EU(comply) = (1 - q) - 2q = 1 - 3q. Agency: EU(inspect) - EU(not)
    = -1 - (-4p) = 4p - 1. So p = L(lam_s (1 - 3 L(lam_a (4p - 1)))), falling in p."""

    def q_of(p: float) -> float:
        return logistic(lam_agency * (4 * p - 1))

    p = bisect_fixed_point(lambda p: logistic(lam_state * (1 - 3 * q_of(p))))
    return p, q_of(p)


def hand_qre(game: str, r: float, credibility: float = 0.7) -> tuple[float, ...]:
    """P(move) per player in the logit QRE at rationality ``r`` (the same for both players;
    precision r / stakes), from the closed forms and one-dimensional fixed points above."""
    lam = [r / s for s in HAND_STAKES[game]]
    if game in SYMMETRIC:
        p = symmetric_qre(game, lam[0])
        return p, p
    if game == "game-matching-pennies":
        return 0.5, 0.5  # A: 4q - 2 = 0 and B: 2 - 4p = 0 at 1/2, whatever the precision
    if game == "game-inspection":
        return inspection_qre(lam[0], lam[1])
    assert game == "game-deterrence"  # gain 1, harm 2: EU(grab) = 1 - 2c, threshold c* = 1/2
    return logistic(lam[0] * (1 - 2 * credibility)), 0.0


# The default rationality of each file and the QRE there, as its summary states it (four
# decimals, P(move) of each player).
HAND_DEFAULT_QRE: dict[str, tuple[float, tuple[float, ...]]] = {
    "game-chicken": (0.4, (0.3054, 0.3054)),
    "game-prisoners-dilemma": (2.0, (0.7732, 0.7732)),
    "game-stag-hunt": (2.0, (0.1791, 0.1791)),
    "game-battle-of-the-sexes": (1.0, (1 - 0.5712, 1 - 0.5712)),  # the summary: P(hold)
    "game-matching-pennies": (4.0, (0.5, 0.5)),
    "game-inspection": (4.0, (0.2330, 0.4326)),
    "game-deterrence": (6.0, (0.0832, 0.0)),
}


def wilson(k: int, n: int, z: float = 3.2905) -> tuple[float, float]:
    """The Wilson score interval for k successes in n trials (z = 3.29: 99.9%)."""
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half
