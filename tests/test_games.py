"""The classic games (scenarios/game-*.yaml): their payoffs, their equilibria worked out by
hand, and the engine's play against both.

Payoffs are computed from each file's interests (tests/_games.py, written from the
specification in docs/scenarios.md, not from the engine) and checked three ways: against the
matrix stated in the file's summary, against scripted play through the engine (utility of the
end state), and the stated equilibria against the payoffs. The engine's equilibrium play is
checked exactly, from the probabilities its rationales record, and over many seeds (marked
slow) with 99.9% Wilson intervals, or +-3% where the issue states that margin. At
`rationality: inf` the engine uses a very large but finite precision, so its probabilities may
be up to 0.01 from the limit: those tests allow 0.01 on top of the interval.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import summitsim
from summitsim.cli import app
from tests._games import (
    GAMES,
    HAND_DEFAULT_QRE,
    HAND_LIMIT,
    HAND_MATRICES,
    HAND_NASH,
    HAND_STAKES,
    end_state_payoffs,
    engine_cases,
    engine_probabilities,
    hand_qre,
    logistic,
    normal_form,
    scenario_path,
    symmetric_qre,
    wilson,
    with_rationality,
)

# The outcome that says whether each player took its move (one per player, in actor order).
MOVED = {
    "game-chicken": ("a_stood", "b_stood"),
    "game-prisoners-dilemma": ("a_defected", "b_defected"),
    "game-stag-hunt": ("a_hunted_stag", "b_hunted_stag"),
    "game-battle-of-the-sexes": ("a_gave_way", "b_gave_way"),
    "game-matching-pennies": ("a_tails", "b_tails"),
    "game-inspection": ("violated", "inspected"),
    "game-deterrence": ("grabbed",),
}
LIMIT_SLACK = 0.01  # how far a very large precision may be from the limit (the figure)


# ----- the files -----------------------------------------------------------------------------


def test_every_game_file_is_covered():
    files = {p.stem for p in (scenario_path("x").parent).glob("game-*.yaml")}
    assert files == set(GAMES)
    for game in GAMES:
        meta = summitsim.load_scenario(scenario_path(game)).spec.meta
        assert meta.turns == 1 and meta.tags[:1] == ["games"]
        assert all(s.date for s in meta.sources), "every source is dated"


@pytest.mark.parametrize("game", GAMES)
def test_payoffs_from_the_interests_are_the_stated_matrix(game):
    nf = normal_form(game)
    assert set(nf.payoffs) == set(HAND_MATRICES[game])
    for profile, hand in HAND_MATRICES[game].items():
        assert nf.payoffs[profile] == pytest.approx(hand, abs=1e-12), profile


@pytest.mark.parametrize("game", GAMES)
def test_scripted_play_through_the_engine_gives_every_cell(game):
    """Each profile played by scripted policies: the utility of the end state, less costs,
    is the payoff. For deterrence the red line's response is a draw, so the cells are checked
    at credibility 0 and 1, where it is certain (the expected payoff is linear in between)."""
    points = [{"credibility": 0.0}, {"credibility": 1.0}] if game == "game-deterrence" else [{}]
    for params in points:
        nf = normal_form(game, params)
        for profile in itertools.product(*(range(len(o)) for o in nf.options)):
            got = end_state_payoffs(game, profile, params)
            assert got == pytest.approx(list(nf.payoffs[profile]), abs=1e-9), (params, profile)


@pytest.mark.parametrize("game", GAMES)
def test_stated_equilibria_are_nash_equilibria(game):
    nf = normal_form(game)
    for eq in HAND_NASH[game]:
        mixed = [[1 - q, q] if len(o) == 2 else [1.0] for q, o in zip(eq, nf.options, strict=True)]
        for i, o in enumerate(nf.options):
            values = [nf.expected(i, k, mixed) for k in range(len(o))]
            played = sum(m * v for m, v in zip(mixed[i], values, strict=True))
            assert max(values) <= played + 1e-12, (game, eq, i)


def test_no_other_equilibria_in_the_two_by_two_games():
    """Support enumeration by hand: every pure profile that is an equilibrium is listed, and
    a fully mixed one exists exactly where it is listed."""
    for game in [g for g in GAMES if g != "game-deterrence"]:
        nf = normal_form(game)
        pure = []
        for profile in itertools.product((0, 1), (0, 1)):
            mixed = [[1.0 - k, float(k)] for k in profile]
            if all(
                nf.expected(i, profile[i], mixed) >= nf.expected(i, 1 - profile[i], mixed) - 1e-12
                for i in (0, 1)
            ):
                pure.append(tuple(float(k) for k in profile))
        stated = HAND_NASH[game]
        assert sorted(pure) == sorted(e for e in stated if set(e) <= {0, 1}), game


@pytest.mark.parametrize("game", GAMES)
def test_stakes_and_default_qre_as_stated(game):
    nf = normal_form(game)
    for i in range(len(nf.players)):
        assert nf.stakes(i) == pytest.approx(HAND_STAKES[game][i])
    r, stated = HAND_DEFAULT_QRE[game]
    assert nf.rationality == [r] * len(nf.players)
    assert hand_qre(game, r) == pytest.approx(stated, abs=1e-4)


def test_deterrence_threshold_is_gain_over_harm():
    for gain, harm in [(1.0, 2.0), (1.5, 2.0), (0.5, 4.0), (3.0, 1.0)]:
        threshold = gain / harm
        for c in (0.0, 0.2, 0.5, 0.8, 1.0):
            grab = normal_form("game-deterrence", {"credibility": c, "gain": gain, "harm": harm})
            value = grab.payoffs[(1, 0)][0]
            assert value == pytest.approx(gain - c * harm)
            if abs(c - threshold) > 1e-9:
                assert (value > 0) == (c < threshold)


# ----- `summitsim scenarios` ------------------------------------------------------------------


def test_scenarios_lists_the_games_under_a_heading():
    out = CliRunner().invoke(app, ["scenarios"], catch_exceptions=False).output
    lines = out.splitlines()
    assert "games" in lines
    heading = lines.index("games")
    listed = [ln.split()[0] for ln in lines[heading + 1 :] if ln.strip()]
    assert listed[: len(GAMES)] == sorted(GAMES)
    untagged = [ln.split()[-1] for ln in lines[:heading] if ln.strip()]
    assert untagged  # the untagged scenarios come first, without a heading
    assert "pyongyang-2024" in out[: out.index("\ngames\n")]
    assert "(1 daily turn, 2 actors)" in out


def test_scenarios_groups_by_first_tag_untagged_first(tmp_path, monkeypatch):
    from summitsim.engine import registry

    made = {}
    for sid, tags in [("zz-plain", None), ("b-second", "[zeta, alpha]"), ("a-first", "[alpha]")]:
        text = scenario_path("game-stag-hunt").read_text(encoding="utf-8")
        text = text.replace("id: game-stag-hunt", f"id: {sid}")
        text = text.replace("tags: [games]", f"tags: {tags}" if tags else "")
        (tmp_path / f"{sid}.yaml").write_text(text, encoding="utf-8")
        made[sid] = tmp_path / f"{sid}.yaml"
    monkeypatch.setattr(registry, "_bundled", lambda: tuple(sorted(made.items())))
    out = CliRunner().invoke(app, ["scenarios"], catch_exceptions=False).output
    blocks = [b.splitlines() for b in out.strip().split("\n\n")]
    assert [[ln.split()[0] for ln in b] for b in blocks] == [
        ["zz-plain"],
        ["alpha", "a-first"],
        ["zeta", "b-second"],
    ]


# ----- the engine's equilibrium play, exactly (its rationales' probabilities) --------------


@pytest.mark.parametrize("game", engine_cases(GAMES))
def test_engine_plays_the_logit_qre_at_the_default_rationality(game):
    r, _ = HAND_DEFAULT_QRE[game]
    got = engine_probabilities(scenario_path(game))
    assert got == pytest.approx(list(hand_qre(game, r)), abs=1e-4)


@pytest.mark.parametrize("r", [1, 2, 3, 6, 16])
def test_engine_plays_the_inspection_game_qre_at_other_rationalities(r, tmp_path):
    """An asymmetric game without a pure equilibrium: the QRE is unique at every precision
    (one equation in p whose right side falls as p rises), so there is no branch to choose."""
    got = engine_probabilities(with_rationality("game-inspection", tmp_path, r))
    assert got == pytest.approx(list(hand_qre("game-inspection", r)), abs=1e-4)


@pytest.mark.parametrize("game", engine_cases(GAMES))
def test_engine_plays_the_limit_at_infinite_rationality(game, tmp_path):
    path = with_rationality(game, tmp_path, "inf")
    got = engine_probabilities(path)
    want = list(HAND_LIMIT[game][: len(got)])
    assert got == pytest.approx(want, abs=LIMIT_SLACK)


@pytest.mark.parametrize(("game", "r", "stated"), [
    ("game-chicken", 2, 0.1769),  # lambda = 2, past the pitchfork at lambda = 0.4892
    ("game-battle-of-the-sexes", 4, 1 - 0.6243),  # lambda = 4, past the pitchfork at 1.3722
])  # fmt: skip
def test_engine_stays_on_the_symmetric_branch_past_the_pitchfork(game, r, stated, tmp_path):
    lam = r / HAND_STAKES[game][0]
    p = symmetric_qre(game, lam)
    assert p == pytest.approx(stated, abs=1e-4)
    assert engine_probabilities(with_rationality(game, tmp_path, r)) == pytest.approx(
        [p, p], abs=1e-4
    )


def test_pitchforks_are_where_the_summaries_say():
    """Where the symmetric branch stops being the only QRE: |d BR / d q| = 1 on it."""
    from tests._games import bisect_root

    def chicken(lam: float) -> float:
        p = symmetric_qre("game-chicken", lam)
        return 10 * lam * p * (1 - p) - 1

    def bos(lam: float) -> float:
        p = symmetric_qre("game-battle-of-the-sexes", lam)
        return 3 * lam * p * (1 - p) - 1

    assert bisect_root(chicken, 0.1, 1.0) == pytest.approx(0.4892, abs=1e-4)
    assert bisect_root(bos, 0.5, 3.0) == pytest.approx(1.3722, abs=1e-4)


@pytest.mark.parametrize("credibility", [0.0, 0.2, 0.45, 0.55, 0.8, 1.0])
def test_deterrence_grab_probability_at_the_default_rationality(credibility):
    """P(grab) = logistic(r (1 - c / c*)): the precision is r / stakes, the grab alone being
    worth gain = 1 (c* = gain / harm = 1/2, r = 6)."""
    want = logistic(6.0 * (1 - credibility / 0.5))
    assert hand_qre("game-deterrence", 6.0, credibility)[0] == pytest.approx(want, abs=1e-12)
    p = engine_probabilities(scenario_path("game-deterrence"), {"credibility": credibility})[0]
    assert p == pytest.approx(want, abs=1e-6)


def test_deterrence_is_indifferent_at_the_threshold():
    p = engine_probabilities(scenario_path("game-deterrence"), {"credibility": 0.5})[0]
    assert p == pytest.approx(0.5, abs=1e-6)


# ----- over many seeds ----------------------------------------------------------------------


def frequencies(path: Path, game: str, n: int, params: dict | None = None) -> list[list[bool]]:
    """Per seed, whether each player took its move (from the run's outcomes)."""
    out = []
    for seed in range(n):
        o = summitsim.run(path, seed=seed, params=params or {}, rationales=False).outcomes
        out.append([bool(o[k]) for k in MOVED[game]])
    return out


def count(rows: list[list[bool]], player: int) -> int:
    return sum(r[player] for r in rows)


def assert_rate(k: int, n: int, p: float, slack: float = 0.0, what: str = "") -> None:
    lo, hi = wilson(k, n)
    assert lo - slack <= p <= hi + slack, f"{what}: {k}/{n} = {k / n:.4f}, expected {p:.4f}"


N = 2000


@pytest.mark.slow
def test_chicken_at_infinite_rationality(tmp_path):
    rows = frequencies(with_rationality("game-chicken", tmp_path, "inf"), "game-chicken", N)
    both = sum(a and b for a, b in rows)
    assert both / N <= 0.02, f"both stood in {both}/{N}"
    for i in range(2):
        assert_rate(count(rows, i), N, 0.1, LIMIT_SLACK, f"player {i} stands")


@pytest.mark.slow
def test_chicken_at_the_default_rationality():
    p = symmetric_qre("game-chicken", 0.4)
    rows = frequencies(scenario_path("game-chicken"), "game-chicken", N)
    for i in range(2):
        assert_rate(count(rows, i), N, p, what=f"player {i} stands")
    assert_rate(sum(a and b for a, b in rows), N, p * p, what="both stand")


@pytest.mark.slow
def test_prisoners_dilemma_at_infinite_rationality_always_both_defect(tmp_path):
    game = "game-prisoners-dilemma"
    rows = frequencies(with_rationality(game, tmp_path, "inf"), game, N)
    assert all(a and b for a, b in rows)


@pytest.mark.slow
def test_prisoners_dilemma_at_the_default_rationality():
    game = "game-prisoners-dilemma"
    p = symmetric_qre(game, 2 / 2)
    rows = frequencies(scenario_path(game), game, N)
    for i in range(2):
        assert_rate(count(rows, i), N, p, what=f"player {i} defects")


@pytest.mark.slow
def test_stag_hunt_at_infinite_rationality_plays_the_risk_dominant_hare(tmp_path):
    game = "game-stag-hunt"
    rows = frequencies(with_rationality(game, tmp_path, "inf"), game, N)
    for i in range(2):
        assert_rate(count(rows, i), N, 0.0, LIMIT_SLACK, f"player {i} hunts the stag")


@pytest.mark.slow
def test_stag_hunt_at_the_default_rationality():
    game = "game-stag-hunt"
    p = symmetric_qre(game, 2 / 3)
    rows = frequencies(scenario_path(game), game, N)
    for i in range(2):
        assert_rate(count(rows, i), N, p, what=f"player {i} hunts the stag")


@pytest.mark.slow
def test_battle_of_the_sexes_at_infinite_rationality_plays_the_mixed_equilibrium(tmp_path):
    game = "game-battle-of-the-sexes"
    rows = frequencies(with_rationality(game, tmp_path, "inf"), game, N)
    for i in range(2):
        assert_rate(count(rows, i), N, 1 / 3, LIMIT_SLACK, f"player {i} gives way")
    met = sum(a != b for a, b in rows)
    assert_rate(met, N, 4 / 9, 2 * LIMIT_SLACK, "they meet")


@pytest.mark.slow
def test_battle_of_the_sexes_at_the_default_rationality():
    game = "game-battle-of-the-sexes"
    p = symmetric_qre(game, 1.0)
    rows = frequencies(scenario_path(game), game, N)
    for i in range(2):
        assert_rate(count(rows, i), N, p, what=f"player {i} gives way")


@pytest.mark.slow
@pytest.mark.parametrize("rationality", ["default", "inf"])
def test_matching_pennies_each_side_half_the_time(rationality, tmp_path):
    game = "game-matching-pennies"
    path = (
        scenario_path(game) if rationality == "default" else with_rationality(game, tmp_path, "inf")
    )
    rows = frequencies(path, game, N)
    for i in range(2):
        share = count(rows, i) / N
        assert abs(share - 0.5) <= 0.03, f"player {i} shows tails {share:.3f}"


@pytest.mark.slow
@pytest.mark.parametrize("rationality", ["default", "inf"])
def test_inspection_game_frequencies(rationality, tmp_path):
    game = "game-inspection"
    if rationality == "default":
        path, want, slack = scenario_path(game), hand_qre(game, 4.0), 0.0
    else:
        path, want, slack = with_rationality(game, tmp_path, "inf"), HAND_LIMIT[game], LIMIT_SLACK
    rows = frequencies(path, game, N)
    for i, what in enumerate(("the state violates", "the agency inspects")):
        assert_rate(count(rows, i), N, want[i], slack, what)
    caught = sum(a and b for a, b in rows)
    assert_rate(caught, N, want[0] * want[1], slack, "a violation is caught")


DETERRENCE_SWEEP = [
    # (gain, harm): threshold gain / harm, and credibilities on both sides of it
    (1.0, 2.0, [0.0, 0.1, 0.3, 0.45, 0.55, 0.7, 0.9, 1.0]),
    (1.5, 2.0, [0.5, 0.7, 0.8, 0.95]),
    (0.5, 4.0, [0.05, 0.1, 0.15, 0.5]),
]


@pytest.mark.slow
@pytest.mark.parametrize(("gain", "harm", "credibilities"), DETERRENCE_SWEEP)
def test_deterrence_at_infinite_rationality_grabs_exactly_below_the_threshold(
    gain, harm, credibilities, tmp_path
):
    game = "game-deterrence"
    path = with_rationality(game, tmp_path, "inf")
    threshold = gain / harm
    for c in credibilities:
        params = {"credibility": c, "gain": gain, "harm": harm}
        rows = frequencies(path, game, 300, params)
        grabs = count(rows, 0)
        want = 300 if c < threshold else 0
        assert grabs == want, f"c = {c}, threshold {threshold}: {grabs}/300 grabs"


@pytest.mark.slow
@pytest.mark.parametrize("credibility", [0.3, 0.7])
def test_deterrence_at_the_default_rationality(credibility):
    game = "game-deterrence"
    rows = frequencies(scenario_path(game), game, N, {"credibility": credibility})
    p = hand_qre(game, 6.0, credibility)[0]  # logistic(6 (1 - c / (1/2)))
    assert_rate(count(rows, 0), N, p, what=f"grab at c = {credibility}")


def test_hand_values_are_consistent():
    """The numbers the summaries state, recomputed (a typo in a summary fails here)."""
    assert symmetric_qre("game-chicken", 0.4) ** 2 == pytest.approx(0.0933, abs=1e-4)
    assert symmetric_qre("game-prisoners-dilemma", 1.0) ** 2 == pytest.approx(0.598, abs=1e-3)
    assert symmetric_qre("game-stag-hunt", 2 / 3) ** 2 == pytest.approx(0.032, abs=1e-3)
    assert logistic(6 * (1 - 0.7 / 0.5)) == pytest.approx(0.0832, abs=1e-4)
    assert logistic(6 * (1 - 0.3 / 0.5)) == pytest.approx(0.9168, abs=1e-4)
    assert symmetric_qre("game-chicken", 2.0) ** 2 == pytest.approx(0.031, abs=1e-3)
    assert math.isclose(1 / 3 * 2 / 3 * 2, 4 / 9)


# ----- where the branch cannot be followed ---------------------------------------------------


def _chicken_game():
    from summitsim.engine.model import SummitModel
    from summitsim.policies.ai import build_game

    model = SummitModel(scenario_path("game-chicken"), seed=0, collect=False)
    return build_game(model.observe(0).view)


@pytest.mark.parametrize("jump_works", [True, False])
def test_a_fold_in_the_branch_costs_a_bounded_number_of_tries(monkeypatch, jump_works):
    """Past a point where no step along the branch can be solved (as at a fold), the solver
    splits the step MAX_SPLIT times, then tries one jump straight to full precision: the
    answer is that equilibrium if the jump lands, else the last point reached, with its
    residual reported (the rationale says so)."""
    from summitsim.policies import ai
    from summitsim.policies import game as g

    exact = g.quantal_equilibrium(_chicken_game())
    real = g._solve_at
    tries: list[float] = []

    def folded(game, start, coupled, scale, tol):
        tries.append(scale)
        jump = scale == 1.0 and tries.count(1.0) == 2
        if scale > 0.3 and not (jump and jump_works):
            return None
        return real(game, start, coupled, scale, tol)

    monkeypatch.setattr(g, "_solve_at", folded)
    game = _chicken_game()
    sigma = g.quantal_equilibrium(game)
    assert len(tries) <= 2 * g.MAX_SPLIT + 2
    assert tries.count(1.0) == 2  # the step itself, then the one jump
    concept = ai._concept(game, game.players[0].actor)
    if jump_works:
        assert game.jumped and game.unsolved == 0.0
        pairs = zip(sigma, exact, strict=True)
        gaps = [abs(a - b) for s, t in pairs for a, b in zip(s, t, strict=True)]
        assert max(gaps) < 1e-6
        assert concept == "logit QRE (off the traced branch)"
    else:
        assert not game.jumped
        assert game.unsolved == pytest.approx(g._residual(game, sigma, game.coupled, 1.0))
        assert game.unsolved > 1e-3  # the last point reached is not the full-precision QRE
        assert concept.startswith("logit QRE (not fully converged")
