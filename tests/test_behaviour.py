"""The reference scenario behaves as the analysis expects, for the reasons it gives, and its
what-if parameters move behaviour.

Each claim is a function of a set of runs (:class:`Plays`: pyongyang-2024 played with seeds
0..N-1 at any parameter setting, by given policies). The claims must hold when the AI plays.
Each claim is also about some actors' reasoning (``reasons_of``): when those actors play at
random instead, the claim must fail, or it would test nothing of the AI. So the same claims
are checked against random play for Russia, and for every actor, and must fail there.

Statistics: a one-sided two-proportion z-test at z >= 3 (false alarm about 1 in 700 per
claim), a Wilson 99.9% interval for a single frequency, or a 99.9% interval (z = 3.29) for a
mean. Every threshold is in THRESHOLDS, with the reasoning behind it: re-tune them there when
the AI's decision procedure changes, keeping each between what the AI does and what random
play does (both measured and written down beside it).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest

import summitsim
from summitsim.engine.registry import get_compiled
from summitsim.policies.simple import RandomPolicy, ScriptedPolicy
from tests._stats import wilson, z_more

pytestmark = pytest.mark.slow

SCENARIO = "pyongyang-2024"
N = 300  # runs per setting
ACTORS = tuple(a.id for a in get_compiled(SCENARIO, {}).actors)

# The claims' thresholds, in one place. Measured with N = 300 seeds at commit 50d88d3 (the AI:
# each turn solved as a game by logit QRE, horizon 2, Russia up to two moves a month, one per
# channel), as AI / Russia at random / every actor at random:
#   partnership signed on turn 1      0.89  / 0.32  / 0.17
#   mean munitions shipped (k)        35.3  / 28.9  / 19.9   (purchases: 11.2 / 7.3 / 3.9)
#   mean sanctions integrity          23.3  / 33.3  / 32.7
#   missile technology transferred    0.01  / 1.00  / 0.98
#   transfer, Seoul 0.8 vs 0 (tol 1)  0.01 vs 0.78 / 1.00 vs 1.00 / 0.98 vs 0.98
#   transfer, Seoul 0.8 vs 0 (tol .3) 0.01 vs 0.09 / 1.00 vs 1.00 / 0.98 vs 0.98
#   transfer, Seoul 0, tol 0 vs 1     0.05 vs 0.78 / 1.00 vs 1.00 / 0.98 vs 0.98
#   munitions, need 2 minus need 0.25 +7.9 / -0.1 / 0.0
#   lesser treaty, Kim holds out/not  0.00 vs 0.94 / 0.00 vs 0.49 / 0.46 vs 0.46
#   any treaty, Kim holds out/not     0.90 vs 1.00 / 1.00 vs 1.00 / 0.98 vs 0.98
# (At commit e70ae50, before that AI, with one move a turn: partnership within 3 turns 0.75 /
# 0.42 / 0.18, munitions 31.7 / 23.2 / 15.8, sanctions 26.2 / 36.8 / 43.8.)
THRESHOLDS: dict[str, float] = {
    # The summit itself elevated the partnership (June 2024, turn 1): a Russia that values it
    # signs it at once, on turn 1 in more than half the runs. Choosing at random among its
    # options, Russia signs on turn 1 about a third of the time.
    "partnership_within_turns": 1,
    "partnership_early_share": 0.5,
    # Shells keep flowing: buy_munitions has a one-turn cooldown, so at most 12 purchases in
    # 24 turns, each 1.5-3.5 thousand containers (2.5 on average) on top of the 7 shipped by
    # June 2024. Russia, short of shells, buys at nearly every chance, 10 of the 12 or more:
    # 7 + 10 x 2.5 = 32 thousand containers by the end. (Choosing at random in its military
    # channel, where there are few options, it still buys about 7 times.)
    "munitions_shipped_min": 7 + 10 * 2.5,
    # Sanctions erode: every purchase costs the regime 2 points and a veto 8, so a Russia
    # that buys and shields Pyongyang as the analysis expects takes at least a third of the
    # 45 it starts at, leaving less than 30.
    "sanctions_integrity_max": 30,
    # Russia stops short of advanced technology at the default settings, where Seoul's red
    # line is credible (0.8) and Beijing's too: in fewer than 1 run in 10.
    "transfer_share_max": 0.1,
    # Each comparison of two settings: the difference must be significant.
    "z_min": 3.0,
    # Russia's need for shells drives purchases: doubling the need (2 vs 0.25) is worth at
    # least one more purchase on average (2.5 thousand containers, rounded up to 3).
    "munitions_need_gain_min": 3,
    # Kim holding out for the automatic clause blocks the lesser treaty almost always (fewer
    # than 1 run in 20), while without it the lesser treaty is common (more than 3 in 10).
    "lesser_treaty_held_out_max": 0.05,
    "lesser_treaty_free_min": 0.3,
}


# ----- statistics --------------------------------------------------------------------------


def mean_interval(values: list[float], z: float = 3.29) -> tuple[float, float, float]:
    """The mean and its 99.9% interval."""
    n = len(values)
    m = sum(values) / n
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1))
    return m, m - z * sd / math.sqrt(n), m + z * sd / math.sqrt(n)


def z_means_more(hi: list[float], lo: list[float]) -> float:
    (m1, l1, _), (m2, l2, _) = mean_interval(hi), mean_interval(lo)
    se = math.hypot((m1 - l1) / 3.29, (m2 - l2) / 3.29)
    return (m1 - m2) / max(se, 1e-12)


# ----- sets of runs ---------------------------------------------------------------------
Results = tuple[Any, ...]


@dataclass(frozen=True)
class Plays:
    """Runs of the reference scenario, seeds 0..N-1, with ``random`` actors playing at random
    (the others as the scenario declares: the AI)."""

    name: str
    random: tuple[str, ...] = ()

    def __call__(self, **params: Any) -> Results:
        return _runs(self.random, tuple(sorted(params.items())))


@cache
def _runs(random: tuple[str, ...], params: tuple[tuple[str, Any], ...]) -> Results:
    policies = {a: RandomPolicy() for a in random}
    return tuple(
        summitsim.run(SCENARIO, seed=s, params=dict(params), policies=policies, rationales=False)
        for s in range(N)
    )


AI = Plays("the AI")
RANDOM_RUSSIA = Plays("Russia at random", ("russia",))
RANDOM_ALL = Plays("every actor at random", ACTORS)


def freq(results: Results, outcome: str) -> float:
    return sum(bool(r.outcomes[outcome]) for r in results) / len(results)


def values(results: Results, outcome: str) -> list[float]:
    return [float(r.outcomes[outcome]) for r in results]


def turns_done(r: Any, actor: str, move: str) -> list[int]:
    """The turns on which ``actor`` took ``move`` (done, not refused)."""
    c = r.compiled
    a = c.actor_index[actor]
    return [
        rec.turn
        for rec in r.rec.actions
        if rec.actor == a and rec.status == "done" and c.action_label(rec.action) == move
    ]


def share(results: Results, test: Callable[[Any], bool]) -> float:
    return sum(bool(test(r)) for r in results) / len(results)


# ----- the claims --------------------------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    holds: bool
    detail: str


@dataclass(frozen=True)
class Claim:
    name: str
    statement: str
    reasons_of: tuple[str, ...]  # whose reasoning it is about: random play there refutes it
    check: Callable[[Plays], Verdict]


def partnership_early(play: Plays) -> Verdict:
    within = THRESHOLDS["partnership_within_turns"]
    p = share(
        play(), lambda r: any(t <= within for t in turns_done(r, "russia", "sign_partnership"))
    )
    lo, _ = wilson(p, N)
    return Verdict(lo > THRESHOLDS["partnership_early_share"], f"share {p:.3f}, lower {lo:.3f}")


def munitions_flow(play: Plays) -> Verdict:
    m, lo, _ = mean_interval(values(play(), "munitions_shipped"))
    return Verdict(lo > THRESHOLDS["munitions_shipped_min"], f"mean {m:.2f}, lower {lo:.2f}")


def sanctions_erode(play: Plays) -> Verdict:
    m, _, hi = mean_interval(values(play(), "sanctions_integrity"))
    return Verdict(hi < THRESHOLDS["sanctions_integrity_max"], f"mean {m:.2f}, upper {hi:.2f}")


def no_transfer(play: Plays) -> Verdict:
    p = freq(play(), "missile_tech_transferred")
    _, hi = wilson(p, N)
    return Verdict(hi < THRESHOLDS["transfer_share_max"], f"share {p:.3f}, upper {hi:.3f}")


def seoul_deters(play: Plays) -> Verdict:
    # With rationality counted in stakes (d5662d3) Russia is decisive: at Beijing's default
    # tolerance its red line alone deters the transfer whatever Seoul does, so Seoul's
    # credibility shows where Beijing tolerates it (1.0). There the effect is a step, not a
    # slope: 0.55 at credibility 0, none from 0.4 up (100 runs each, after d5662d3).
    credible = freq(play(seoul_credibility=0.8, beijing_tolerance=1.0), "missile_tech_transferred")
    lax = freq(play(seoul_credibility=0.0, beijing_tolerance=1.0), "missile_tech_transferred")
    z = z_more(lax, credible, N)
    return Verdict(
        z >= THRESHOLDS["z_min"],
        f"with Beijing tolerant: credible {credible:.3f}, not credible {lax:.3f} (z {z:.1f})",
    )


def beijing_deters(play: Plays) -> Verdict:
    strict = freq(play(seoul_credibility=0.0, beijing_tolerance=0.0), "missile_tech_transferred")
    lax = freq(play(seoul_credibility=0.0, beijing_tolerance=1.0), "missile_tech_transferred")
    z = z_more(lax, strict, N)
    return Verdict(z >= THRESHOLDS["z_min"], f"strict {strict:.3f}, lax {lax:.3f}, z {z:.1f}")


def need_drives_purchases(play: Plays) -> Verdict:
    hi = values(play(munitions_need=2.0), "munitions_shipped")
    lo = values(play(munitions_need=0.25), "munitions_shipped")
    gain, z = sum(hi) / N - sum(lo) / N, z_means_more(hi, lo)
    return Verdict(
        gain >= THRESHOLDS["munitions_need_gain_min"] and z >= THRESHOLDS["z_min"],
        f"gain {gain:.2f}, z {z:.1f}",
    )


def kim_blocks_lesser_treaty(play: Plays) -> Verdict:
    def lesser(results: Results) -> float:
        return share(results, lambda r: turns_done(r, "russia", "sign_defence_treaty"))

    held, free = lesser(play(kim_holds_out=True)), lesser(play())
    any_held = freq(play(kim_holds_out=True), "any_defence_treaty")
    any_free = freq(play(), "any_defence_treaty")
    z = z_more(any_free, any_held, N)
    ok = (
        wilson(held, N)[1] < THRESHOLDS["lesser_treaty_held_out_max"]
        and wilson(free, N)[0] > THRESHOLDS["lesser_treaty_free_min"]
        and z >= THRESHOLDS["z_min"]
    )
    return Verdict(
        ok, f"lesser treaty {held:.3f} vs {free:.3f}; any {any_held:.3f} vs {any_free:.3f}"
    )


CLAIMS = [
    Claim(
        "partnership_early",
        "Russia elevates the partnership with Pyongyang at once",
        ("russia",),
        partnership_early,
    ),
    Claim(
        "munitions_flow", "North Korean shells keep flowing to Russia", ("russia",), munitions_flow
    ),
    Claim("sanctions_erode", "the UN sanctions regime erodes", ("russia",), sanctions_erode),
    Claim(
        "no_transfer",
        "Russia stops short of transferring advanced missile technology",
        ("russia",),
        no_transfer,
    ),
    Claim(
        "seoul_deters",
        "a less credible Seoul red line makes a transfer likelier",
        ("russia",),
        seoul_deters,
    ),
    Claim(
        "beijing_deters",
        "Beijing's tolerance matters once Seoul is not credible",
        ("russia",),
        beijing_deters,
    ),
    Claim(
        "need_drives_purchases",
        "Russia's need for shells drives its purchases",
        ("russia",),
        need_drives_purchases,
    ),
    Claim(
        "kim_blocks_lesser_treaty",
        "Kim holding out for the automatic clause blocks the lesser treaty",
        ("north_korea",),
        kim_blocks_lesser_treaty,
    ),
]


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.name)
def test_the_ai_bears_out_the_analysis(claim):
    verdict = claim.check(AI)
    assert verdict.holds, f"{claim.statement}: not so when {AI.name} plays ({verdict.detail})"


@pytest.mark.parametrize("play", [RANDOM_RUSSIA, RANDOM_ALL], ids=lambda p: p.name)
def test_random_play_refutes_every_claim_about_reasoning(play):
    """A claim that holds when the actors whose reasoning it is about play at random would
    pass whatever the AI did."""
    about = [c for c in CLAIMS if set(c.reasons_of) & set(play.random)]
    assert about
    still = {c.name: c.check(play).detail for c in about if c.check(play).holds}
    assert not still, f"these claims hold with {play.name}: {still}"


# ----- red lines and rationales ------------------------------------------------------------
FOLLOW_THROUGH_RUNS = 600  # Wilson 99.9% half-width at most 0.067


def transfer_on_turn_one() -> ScriptedPolicy:
    actions = get_compiled(SCENARIO, {}).actions
    return ScriptedPolicy(
        {1: next(k for k, a in enumerate(actions) if a.move == "transfer_missile_tech")}
    )


def follow_through(red_line: str, response: str, **params: Any) -> tuple[int, int]:
    """Crossings of ``red_line`` and how many were answered, over runs in which Russia is
    scripted to transfer missile technology on turn 1 (which crosses Seoul's and Beijing's
    red lines at once). An answered crossing must show its owner's response move."""
    crossed = answered = 0
    policies = {"russia": transfer_on_turn_one()}
    for s in range(FOLLOW_THROUGH_RUNS):
        r = summitsim.run(
            SCENARIO, seed=s, params=params, turns=1, policies=policies, rationales=False
        )
        c = r.compiled
        for e in r.rec.red_lines:
            rl = c.red_lines[e.red_line]
            if rl.id != red_line or e.warning:
                continue
            crossed += 1
            answered += e.responded
            responses = [
                rec
                for rec in r.rec.actions
                if rec.by == "red_line" and rec.red_line == rl.index and rec.turn == e.turn
            ]
            assert [c.action_label(rec.action) for rec in responses] == (
                [response] if e.responded else []
            )
    return crossed, answered


@pytest.mark.parametrize(
    "red_line, response, params, credibility",
    [
        ("seoul_missile_tech", "arm_ukraine", {"seoul_credibility": 0.0}, 0.0),
        ("seoul_missile_tech", "arm_ukraine", {"seoul_credibility": 0.3}, 0.3),
        ("seoul_missile_tech", "arm_ukraine", {"seoul_credibility": 0.7}, 0.7),
        ("seoul_missile_tech", "arm_ukraine", {"seoul_credibility": 1.0}, 1.0),
        # Beijing's credibility is 0.9 - 0.6 x beijing_tolerance in the scenario
        ("beijing_influence", "press_moscow", {"beijing_tolerance": 1.0}, 0.3),
        ("beijing_influence", "press_moscow", {"beijing_tolerance": 0.5}, 0.6),
        ("beijing_influence", "press_moscow", {"beijing_tolerance": 0.0}, 0.9),
    ],
)
def test_a_crossed_red_line_is_answered_with_its_credibility(
    red_line, response, params, credibility
):
    crossed, answered = follow_through(red_line, response, **params)
    assert crossed == FOLLOW_THROUGH_RUNS  # the scripted transfer crosses it every time
    if credibility in (0.0, 1.0):
        assert answered == credibility * crossed  # never, or always
    else:
        lo, hi = wilson(answered / crossed, crossed)
        assert lo <= credibility <= hi, (answered / crossed, lo, hi)


def test_deterrence_is_visible_in_the_rationale():
    r = summitsim.run(SCENARIO, seed=0)
    held = [rec for rec in r.rec.actions if rec.actor == 0 and rec.rationale.held_back()]
    assert held, "Russia should hold back the transfer at least once, for a stated reason"
    sentence = r.sentence(held[0])
    assert "held back from the move to transfer advanced missile" in sentence
    assert "South Korea" in sentence and "send lethal weapons to Ukraine" in sentence


@pytest.mark.parametrize("seed", [0, 5])
def test_same_inputs_same_result(seed):
    a = summitsim.run(SCENARIO, seed=seed, params={"seoul_credibility": 0.3})
    b = summitsim.run(SCENARIO, seed=seed, params={"seoul_credibility": 0.3})
    assert a.to_dict()["turns"] == b.to_dict()["turns"] and a.outcomes == b.outcomes
