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
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest

import summitsim
from summitsim.engine.registry import get_compiled
from summitsim.policies.simple import RandomPolicy, ScriptedPolicy
from tests._library import Claim, Verdict, share
from tests._stats import wilson, z_more

pytestmark = pytest.mark.slow

SCENARIO = "pyongyang-2024"
N = 200  # runs per setting
ACTORS = tuple(a.id for a in get_compiled(SCENARIO, {}).actors)

# The claims' thresholds, in one place. Measured with the rebuilt scenario (turn 1 is the
# summit negotiation; Russia one move a month after it, horizon 2), 60 seeds each, as
# AI / Russia at random / every actor at random (and North Korea or China at random where
# the claim is about their reasoning):
#   summit signed with a defence clause    1.00 / 0.65 / 0.30   (North Korea random 0.35)
#   mean munitions shipped (k)             56.6 / 31.7 / 16.8
#   mean sanctions integrity               30.0 / 53.7 / 57.5
#   missile technology transferred         0.00 / 1.00 / 1.00
#   China presses Moscow of its own accord 0.00 / 0.15 / 1.00   (China random 1.00)
#   Russia–China ties at the end           0.67 / 0.35 / 0.27   (China random 0.48)
# and for the comparative statics (AI, 40 seeds each):
#   transfer, Seoul 0 / 0.2 / 0.4 / 0.6 / 0.8   1.00 / 0.97 / 0.10 / 0.00 / 0.00
#   transfer at Seoul 0, Beijing tol 0 vs 1     0.78 vs 0.95
#   munitions, need 2 vs 0.25                   58.3 vs 49.0; transfer 0.15 vs 0.00
#   automatic clause, Kim holds out / not       1.00 vs 0.00
THRESHOLDS: dict[str, float] = {
    # The summit itself (June 2024, turn 1) is a negotiation: with Kim and Putin both
    # wanting a deal, it ends in a signed partnership with a defence clause in more than
    # 8 runs in 10. A Russia that answers offers at random signs one about 2 times in 3.
    "summit_defence_share": 0.8,
    # Shells keep flowing: a standing surge of 1.6 thousand containers a month for 24
    # months on top of the 7 shipped by June 2024 is 45; a Russia that bargains and buys as
    # the analysis expects ships at least that. At random it ships about 32.
    "munitions_shipped_min": 7 + 24 * 1.6,
    # Sanctions erode: the agreed flows and Russia's vetoes of new drafts leave the regime
    # (45 at the start) below 40; at random it ends above 50.
    "sanctions_integrity_max": 40,
    # Russia stops short of transferring advanced technology, openly or in secret, at the
    # default settings (Seoul's red line credible at 0.8): in fewer than 1 run in 10.
    "transfer_share_max": 0.1,
    # Beijing keeps its unease quiet: it presses Moscow of its own accord (not as the
    # answer to a crossed red line) in fewer than 3 runs in 10, and the Russia–China
    # relation (0.6 at the start) ends above 0.5 on average.
    "china_press_share_max": 0.3,
    "russia_china_end_min": 0.5,
    # Each comparison of two settings: the difference must be significant.
    "z_min": 3.0,
    # Russia's need for shells draws it deeper: doubling the need (2 vs 0.25) is worth at
    # least three thousand more containers by the end.
    "munitions_need_gain_min": 3,
    # Kim holding out moves the summit to the automatic clause in at least half the runs
    # more than without it (AI: 1.00 vs 0.00). With North Korea bargaining at random the
    # AI Russia, reading Kim's public interests, still concedes it now and then (0.045).
    "kim_automatic_gain_min": 0.5,
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
RANDOM_NORTH_KOREA = Plays("North Korea at random", ("north_korea",))
RANDOM_CHINA = Plays("China at random", ("china",))
RANDOM_ALL = Plays("every actor at random", ACTORS)


def freq(results: Results, outcome: str) -> float:
    return sum(bool(r.outcomes[outcome]) for r in results) / len(results)


def values(results: Results, outcome: str) -> list[float]:
    return [float(r.outcomes[outcome]) for r in results]


def turns_done(r: Any, actor: str, move: str, by_choice: bool = False) -> list[int]:
    """The turns on which ``actor`` took ``move`` (done, not refused; ``by_choice``: not as
    the answer to a crossed red line)."""
    c = r.compiled
    a = c.actor_index[actor]
    return [
        rec.turn
        for rec in r.rec.actions
        if rec.actor == a
        and rec.status == "done"
        and c.action_label(rec.action) == move
        and not (by_choice and rec.by == "red_line")
    ]


# ----- the claims --------------------------------------------------------------------------
def summit_turns(r: Any) -> dict[str, str] | None:
    """The terms signed at the summit (turn 1), or None."""
    return next((d["terms"] for d in r.deals() if d["deal"] == "summit" and d["turn"] == 1), None)


def summit_defence(play: Plays) -> Verdict:
    def signed(r: Any) -> bool:
        terms = summit_turns(r)
        return terms is not None and terms["defence"] != "none"

    p = share(play(), signed)
    lo, _ = wilson(p, N)
    return Verdict(lo > THRESHOLDS["summit_defence_share"], f"share {p:.3f}, lower {lo:.3f}")


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


def china_keeps_quiet(play: Plays) -> Verdict:
    results = play()
    p = share(results, lambda r: turns_done(r, "china", "press_moscow", by_choice=True))
    _, hi = wilson(p, N)
    m, lo, _ = mean_interval(values(results, "russia_china_relation"))
    return Verdict(
        hi < THRESHOLDS["china_press_share_max"] and lo > THRESHOLDS["russia_china_end_min"],
        f"presses in {p:.3f} (upper {hi:.3f}); Russia–China ties {m:.2f} (lower {lo:.2f})",
    )


def seoul_deters(play: Plays) -> Verdict:
    # A slope, steep between 0.2 and 0.5: the transfer is a secret one made after the
    # summit, chosen month by month by logit QRE against Seoul's expected answer times
    # the chance of being found out (docs/scenarios.md).
    credible = freq(play(seoul_credibility=0.8), "missile_tech_transferred")
    lax = freq(play(seoul_credibility=0.0), "missile_tech_transferred")
    z = z_more(lax, credible, N)
    return Verdict(
        z >= THRESHOLDS["z_min"], f"credible {credible:.3f}, not credible {lax:.3f} (z {z:.1f})"
    )


def beijing_permits(play: Plays) -> Verdict:
    strict = freq(play(seoul_credibility=0.0, beijing_tolerance=0.0), "missile_tech_transferred")
    lax = freq(play(seoul_credibility=0.0, beijing_tolerance=1.0), "missile_tech_transferred")
    z = z_more(lax, strict, N)
    return Verdict(z >= THRESHOLDS["z_min"], f"strict {strict:.3f}, lax {lax:.3f}, z {z:.1f}")


def need_draws_deeper(play: Plays) -> Verdict:
    hi = values(play(munitions_need=2.0), "munitions_shipped")
    lo = values(play(munitions_need=0.25), "munitions_shipped")
    gain, z = sum(hi) / N - sum(lo) / N, z_means_more(hi, lo)
    tech_hi = freq(play(munitions_need=2.0), "missile_tech_transferred")
    tech_lo = freq(play(munitions_need=0.25), "missile_tech_transferred")
    z_tech = z_more(tech_hi, tech_lo, N)
    return Verdict(
        gain >= THRESHOLDS["munitions_need_gain_min"]
        and z >= THRESHOLDS["z_min"]
        and z_tech >= THRESHOLDS["z_min"],
        f"munitions gain {gain:.2f} (z {z:.1f}); transfer {tech_hi:.3f} vs {tech_lo:.3f} "
        f"(z {z_tech:.1f})",
    )


def kim_gets_automatic(play: Plays) -> Verdict:
    held = freq(play(kim_holds_out=True), "automatic_intervention_treaty")
    free = freq(play(), "automatic_intervention_treaty")
    z = z_more(held, free, N)
    return Verdict(
        z >= THRESHOLDS["z_min"] and held - free >= THRESHOLDS["kim_automatic_gain_min"],
        f"holds out {held:.3f}, not {free:.3f} (z {z:.1f})",
    )


CLAIMS = [
    Claim(
        "summit_defence",
        "the summit signs a partnership with a defence clause",
        ("russia", "north_korea"),
        summit_defence,
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
        "china_keeps_quiet",
        "Beijing keeps its unease quiet and its partnership with Moscow intact",
        ("china",),
        china_keeps_quiet,
    ),
    Claim(
        "seoul_deters",
        "a less credible Seoul red line makes a transfer likelier",
        ("russia",),
        seoul_deters,
    ),
    Claim(
        "beijing_permits",
        "a more tolerant Beijing permits more transfers",
        ("russia",),
        beijing_permits,
    ),
    Claim(
        "need_draws_deeper",
        "a greater need for shells draws Russia deeper into the North",
        ("russia",),
        need_draws_deeper,
    ),
    Claim(
        "kim_gets_automatic",
        "Kim holding out makes the automatic-intervention clause likelier",
        ("north_korea",),
        kim_gets_automatic,
    ),
]


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.name)
def test_the_ai_bears_out_the_analysis(claim):
    verdict = claim.check(AI)
    assert verdict.holds, f"{claim.statement}: not so when {AI.name} plays ({verdict.detail})"


@pytest.mark.parametrize(
    "play", [RANDOM_RUSSIA, RANDOM_NORTH_KOREA, RANDOM_CHINA, RANDOM_ALL], ids=lambda p: p.name
)
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
    assert held, "Russia should hold back a technology transfer at least once, for a reason"
    sentence = r.sentence(held[0])
    assert "held back from the move to pass missile technology in secret" in sentence
    assert "South Korea" in sentence and "send lethal weapons to Ukraine" in sentence


def test_russia_vetoes_only_drafts_tabled_after_the_panel_is_gone():
    """The UN panel was dissolved before the summit: a veto answers a draft resolution
    Washington tabled on an earlier turn, one veto per draft."""
    vetoes = []
    for s in range(40):
        r = summitsim.run(SCENARIO, seed=s, rationales=False)
        tabled = turns_done(r, "united_states", "table_un_resolution")
        vetoed = turns_done(r, "russia", "veto_sanctions")
        assert len(vetoed) <= len(tabled)
        assert all(sum(t < v for t in tabled) >= k + 1 for k, v in enumerate(vetoed))
        vetoes.append(len(vetoed))
    assert sum(vetoes) / len(vetoes) <= 2


@pytest.mark.parametrize("seed", [0, 5])
def test_same_inputs_same_result(seed):
    a = summitsim.run(SCENARIO, seed=seed, params={"seoul_credibility": 0.3})
    b = summitsim.run(SCENARIO, seed=seed, params={"seoul_credibility": 0.3})
    assert a.to_dict()["turns"] == b.to_dict()["turns"] and a.outcomes == b.outcomes
