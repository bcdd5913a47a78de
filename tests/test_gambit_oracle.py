"""An independent oracle: Gambit (pygambit) solves the same games the engine plays.

For each classic game file (scenarios/game-*.yaml) the normal form is built from the file's
interests (tests/_games.py, not hand-typed numbers). Gambit's Nash solver must find exactly
the equilibria stated by hand; its logit QRE at the file's default rationality (each player's
payoffs multiplied by its precision lambda_i, solved at lambda = 1) must equal the hand value
and the engine's probabilities; and, where the principal branch is regular, its limit must be
what `rationality: inf` plays.

For turns of the bundled scenarios, ``summitsim.policies.game.turn_game`` exposes the game the
engine solved; Gambit re-solves it (scaled the same way) and must find the engine's
probabilities, to 1e-3.

Gambit's path-following stops where the symmetric branch of a symmetric anti-coordination game
meets a pitchfork (chicken at lambda = 0.489, battle of the sexes at 1.372; see the files'
summaries): it cannot be the oracle for the limit of those two, whose limit is checked against
its Nash solver instead, nor past those points.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from tests._games import (
    GAMES,
    HAND_LIMIT,
    HAND_NASH,
    NormalForm,
    engine_cases,
    engine_probabilities,
    hand_qre,
    normal_form,
    scenario_path,
    wilson,
    with_rationality,
)
from tests.conftest import need

pytestmark = pytest.mark.gambit

try:
    import pygambit as gbt
except ImportError:  # pragma: no cover - a dev dependency; need() fails in CI without it
    gbt = None

PITCHFORK = {"game-chicken", "game-battle-of-the-sexes"}  # symmetric branch, then a pitchfork


@pytest.fixture(autouse=True)
def _pygambit():
    need(gbt is not None, "pygambit is a dev dependency (uv sync)")


def build(
    players: list[str], sizes: list[int], payoff, weights: list[float] | None = None
) -> object:
    """A Gambit strategic game: ``payoff(profile)`` per joint profile, player i's payoffs
    multiplied by ``weights[i]``."""
    w = weights or [1.0] * len(players)
    arrays = [np.zeros(sizes) for _ in players]
    for profile in itertools.product(*(range(n) for n in sizes)):
        values = payoff(profile)
        for i in range(len(players)):
            arrays[i][profile] = w[i] * values[i]
    game = gbt.Game.from_arrays(*arrays)
    for p, name in zip(game.players, players, strict=True):
        p.label = name
    return game


def from_normal_form(nf: NormalForm, weights: list[float] | None = None) -> object:
    return build(nf.players, [len(o) for o in nf.options], lambda k: nf.payoffs[k], weights)


def probabilities(game: object, profile: object) -> list[list[float]]:
    return [[float(profile[s]) for s in p.strategies] for p in game.players]


def move_probabilities(mixed: list[list[float]]) -> tuple[float, ...]:
    """P(the move) per player, 0 for a player that can only hold."""
    return tuple(1.0 - m[0] for m in mixed)


def precisions(nf: NormalForm) -> list[float]:
    """lambda_i = r_i / stakes_i from the test's own stakes (0 for a player with one option,
    whose precision cannot matter)."""
    out = []
    for i in range(len(nf.players)):
        out.append(nf.lam(i) if len(nf.options[i]) > 1 else 0.0)
    return out


def qre_at_one(game: object) -> list[list[float]]:
    (point,) = gbt.qre.logit_solve_lambda(game, lam=1.0)
    assert point.lam == pytest.approx(1.0)
    return probabilities(game, point.profile)


# ----- the classic games -------------------------------------------------------------------


@pytest.mark.parametrize("game", GAMES)
def test_gambit_finds_exactly_the_stated_nash_equilibria(game):
    nf = normal_form(game)
    g = from_normal_form(nf)
    found = gbt.nash.enummixed_solve(g, rational=True).equilibria
    got = sorted(move_probabilities(probabilities(g, eq)) for eq in found)
    want = sorted(tuple(float(q) for q in eq) for eq in HAND_NASH[game])
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert a == pytest.approx(b, abs=1e-12)


REGULAR = [g for g in GAMES if g not in PITCHFORK]  # Gambit can trace the branch to its end


def gambit_limit(game: str) -> tuple[float, ...]:
    g = from_normal_form(normal_form(game))
    (eq,) = gbt.nash.logit_solve(g).equilibria
    return move_probabilities(probabilities(g, eq))


@pytest.mark.parametrize("game", REGULAR)
def test_gambit_limit_of_the_principal_branch_is_the_stated_one(game):
    assert gambit_limit(game) == pytest.approx(HAND_LIMIT[game], abs=1e-3)


@pytest.mark.parametrize("game", engine_cases(REGULAR))
def test_engine_at_infinite_rationality_plays_gambits_limit(game, tmp_path):
    engine = engine_probabilities(with_rationality(game, tmp_path, "inf"))
    assert engine == pytest.approx(list(gambit_limit(game)), abs=0.01)


@pytest.mark.parametrize("game", sorted(PITCHFORK))
def test_symmetric_limit_is_a_nash_equilibrium_gambit_finds(game, tmp_path):
    """Where Gambit's tracer cannot follow the symmetric branch to its end, the engine's
    `inf` play must still be the symmetric equilibrium Gambit's Nash solver finds."""
    nf = normal_form(game)
    g = from_normal_form(nf)
    symmetric = [
        move_probabilities(probabilities(g, eq))
        for eq in gbt.nash.enummixed_solve(g, rational=False).equilibria
    ]
    symmetric = [e for e in symmetric if 0 < e[0] < 1 and e[0] == pytest.approx(e[1])]
    assert len(symmetric) == 1
    engine = engine_probabilities(with_rationality(game, tmp_path, "inf"))
    assert engine == pytest.approx(list(symmetric[0]), abs=0.01)


def gambit_qre(game: str) -> tuple[float, ...]:
    """Gambit's logit QRE at the file's default rationality: player i's payoffs times
    lambda_i, solved at lambda = 1."""
    nf = normal_form(game)
    return move_probabilities(qre_at_one(from_normal_form(nf, precisions(nf))))


@pytest.mark.parametrize("game", GAMES)
def test_gambit_qre_at_the_default_rationality_is_the_hand_value(game):
    r = normal_form(game).rationality[0]
    assert gambit_qre(game) == pytest.approx(hand_qre(game, r), abs=1e-6)


@pytest.mark.parametrize("game", engine_cases(GAMES))
def test_engine_at_the_default_rationality_plays_gambits_qre(game):
    engine = engine_probabilities(scenario_path(game))
    assert engine == pytest.approx(list(gambit_qre(game)), abs=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("game", GAMES)
def test_engine_choice_frequencies_agree_with_gambit(game):
    """1,000 seeds at the default rationality: each player's frequency of its move within
    the 99.9% Wilson interval around Gambit's QRE probability."""
    import summitsim

    nf = normal_form(game)
    qre = gambit_qre(game)
    n = 1000
    counts = [0] * len(nf.players)
    for seed in range(n):
        doc = summitsim.run(scenario_path(game), seed=seed).to_dict()
        moved = {a["actor"] for a in doc["turns"][1]["actions"] if a["move"] != "hold"}
        for i, p in enumerate(nf.players):
            counts[i] += p in moved
    for i, p in enumerate(nf.players):
        lo, hi = wilson(counts[i], n)
        assert lo <= qre[i] <= hi, f"{game}: {p} moved {counts[i]}/{n}, Gambit {qre[i]:.4f}"


# ----- turns of the bundled scenarios ---------------------------------------------------------

MAX_PROFILES = 5000


def turn_games(scenario: str, seeds: tuple[int, ...], turns: int):
    """(seed, turn, GameReport) for the first ``turns`` turns of runs of ``scenario``."""
    from summitsim.engine.model import SummitModel
    from summitsim.policies.game import turn_game

    for seed in seeds:
        model = SummitModel(scenario, seed=seed, collect=False)
        for turn in range(1, turns + 1):
            yield seed, turn, turn_game(model)
            model.step()


@pytest.mark.parametrize("scenario", ["hanoi-2019", "pyongyang-2024"])
def test_gambit_solves_the_bundled_scenarios_turns_as_the_engine_does(scenario):
    try:
        from summitsim.policies.game import turn_game  # noqa: F401
    except ImportError:
        need(False, "summitsim.policies.game.turn_game is not there yet")
    checked = 0
    worst = 0.0
    for seed, turn, tg in turn_games(scenario, seeds=(0, 1), turns=4):
        sizes = [len(o) for o in tg.options]
        if not tg.players or math.prod(sizes) > MAX_PROFILES:
            continue
        g = build(tg.players, sizes, tg.payoff, list(tg.lam))
        gambit = qre_at_one(g)
        for p, mine, theirs in zip(tg.players, tg.probs, gambit, strict=True):
            assert len(mine) == len(theirs)
            gap = max(abs(a - b) for a, b in zip(mine, theirs, strict=True))
            worst = max(worst, gap)
            assert gap <= 1e-3, (
                f"{scenario} seed {seed} turn {turn}, {p}: engine {mine}, Gambit {theirs}"
            )
        checked += 1
    assert checked >= 2, f"only {checked} turns of {scenario} were small enough to check"


# ----- random two-by-two games ----------------------------------------------------------------


def two_by_two_yaml(a: list[int], b: list[int], ra: float, rb: float) -> str:
    """A one-turn scenario whose payoffs are u_A(x, y) = a0 x + a1 y + a2 x y (x: A moved,
    y: B moved) and u_B(y, x) = b0 y + b1 x + b2 x y. A negative interaction is a `below 1`
    term on the count of movers; a positive one, the count raised and a `flushed` flag
    (clipped at 1) lowered, since x y = n - min(1, n) for n = x + y."""

    def terms(own: str, other: str, c: list[int]) -> str:
        out = []
        for var, w in ((own, c[0]), (other, c[1])):
            if w:
                kind = "raise" if w > 0 else "lower"
                out.append(f"{{kind: {kind}, variable: {var}, weight: {abs(w)}, description: t}}")
        if c[2] < 0:
            out.append(
                f"{{kind: below, variable: movers, threshold: 1, weight: {-2 * c[2]}, "
                "description: t}"
            )
        elif c[2] > 0:
            out.append(f"{{kind: raise, variable: movers, weight: {2 * c[2]}, description: t}}")
            out.append(f"{{kind: lower, variable: flushed, weight: {c[2]}, description: t}}")
        out = out or [f"{{kind: raise, variable: {own}, weight: 0, description: t}}"]
        return "\n".join(f"      - {t}" for t in out)

    def actor(name: str, r: float, own: str, other: str, c: list[int]) -> str:
        return (
            f"  {name}:\n    name: {name}\n    description: d\n"
            f"    profile: {{rationality: {r}}}\n    interests:\n{terms(own, other, c)}\n"
            "    briefing: {public: p}\n"
        )

    def move(name: str, by: str, flag: str) -> str:
        return (
            f"  {name}:\n    name: {name}\n    description: d\n    by: {by}\n    effects:\n"
            f"      - {{variable: {flag}, delta: 1}}\n      - {{variable: movers, delta: 1}}\n"
            "      - {variable: flushed, delta: 1}\n"
        )

    variables = "".join(
        f"  {v}: {{description: d, initial: 0, bounds: [0, {hi}]}}\n"
        for v, hi in (("x", 1), ("y", 1), ("movers", 2), ("flushed", 1))
    )
    return (
        'meta:\n  id: random-game\n  title: t\n  summary: s\n  start_date: "2000-01-01"\n'
        "  turns: 1\n  sources: [{id: none, title: none}]\n"
        f"variables:\n{variables}actors:\n{actor('a', ra, 'x', 'y', a)}"
        f"{actor('b', rb, 'y', 'x', b)}moves:\n{move('move_a', 'a', 'x')}"
        f"{move('move_b', 'b', 'y')}"
        'outcomes:\n  moved: {description: d, expr: "did(a, move_a)", type: bool}\n'
    )


def test_engine_matches_gambit_on_random_two_by_two_games(tmp_path):
    """120 seeded random games (integer payoffs in [-6, 6], rationalities 0.5 to 16): the
    engine's probabilities (turn_game) against Gambit's QRE of the same game, scaled by the
    engine's precisions, to 1e-3. Games where a player is indifferent against a pure strategy,
    or where Gambit's tracer stops short of lambda = 1 (a bifurcation), are left out."""
    import random

    from summitsim.engine.model import SummitModel
    from summitsim.policies.game import turn_game

    rng = random.Random(1)
    checked, bad = 0, []
    for trial in range(120):
        a = [rng.randint(-6, 6) for _ in range(3)]
        b = [rng.randint(-6, 6) for _ in range(3)]
        ra, rb = rng.choice([0.5, 1, 2, 4, 8, 16]), rng.choice([0.5, 1, 2, 4, 8, 16])
        path = tmp_path / f"random-game-{trial}.yaml"
        path.write_text(
            two_by_two_yaml(a, b, ra, rb).replace("random-game", path.stem), encoding="utf-8"
        )
        tg = turn_game(SummitModel(path, seed=0, collect=False), everyone=True)
        for profile in itertools.product((0, 1), (0, 1)):  # the encoding, checked
            x, y = profile
            want = [a[0] * x + a[1] * y + a[2] * x * y, b[0] * y + b[1] * x + b[2] * x * y]
            assert tg.payoff(profile) == pytest.approx(want, abs=1e-9), (a, b, profile)
        u = [[tg.payoff((x, y))[i] for x in (0, 1) for y in (0, 1)] for i in (0, 1)]
        if 0.0 in tg.lam or u[0][2] == u[0][0] or u[0][3] == u[0][1]:
            continue
        if u[1][1] == u[1][0] or u[1][3] == u[1][2]:
            continue
        g = build(tg.players, [2, 2], tg.payoff, list(tg.lam))
        (point,) = gbt.qre.logit_solve_lambda(g, lam=1.0)
        if abs(point.lam - 1.0) > 1e-6:
            continue
        gambit = probabilities(g, point.profile)
        checked += 1
        gap = max(abs(m[1] - t[1]) for m, t in zip(tg.probs, gambit, strict=True))
        if gap > 1e-3:
            bad.append((round(gap, 4), a, b, ra, rb))
    assert checked >= 80
    assert not bad, f"{len(bad)} of {checked} games: (gap, a, b, r_a, r_b) {sorted(bad)[::-1]}"
