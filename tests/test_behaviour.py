"""The reference scenario behaves as the analysis expects, for the reasons it gives, and its
what-if parameters move behaviour. Claims are checked over many seeds with stated margins:
a one-sided two-proportion z-test at z >= 3 (false alarm about 1 in 700 per claim), or a
Wilson 99.9% bound for single frequencies."""

from __future__ import annotations

import math
from functools import cache

import pytest

import summitsim

pytestmark = pytest.mark.slow

N = 300  # runs per setting


@cache
def runs(**params):
    return tuple(summitsim.run("pyongyang-2024", seed=s, params=params) for s in range(N))


def freq(results, outcome):
    return sum(bool(r.outcomes[outcome]) for r in results) / len(results)


def mean(results, outcome):
    return sum(r.outcomes[outcome] for r in results) / len(results)


def wilson(p, n, z=3.29):
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def z_more(p_hi, p_lo, n):
    pooled = (p_hi + p_lo) / 2
    se = math.sqrt(max(pooled * (1 - pooled), 1e-12) * 2 / n)
    return (p_hi - p_lo) / se


def test_default_run_follows_the_analysis():
    base = runs()
    # Partnership elevated; munitions keep flowing; sanctions erode.
    assert wilson(freq(base, "partnership_signed"), N)[0] > 0.9
    assert mean(base, "munitions_shipped") > 20  # thousand containers, from 7 at the start
    assert mean(base, "sanctions_integrity") < 40  # from 45
    # Russia stops short of advanced technology: Seoul's red line and Beijing deter it.
    assert wilson(freq(base, "missile_tech_transferred"), N)[1] < 0.1


def test_deterrence_is_visible_in_the_rationale():
    r = summitsim.run("pyongyang-2024", seed=0)
    held = [rec for rec in r.rec.actions if rec.actor == 0 and rec.rationale.held_back()]
    assert held, "Russia should hold back the transfer at least once, for a stated reason"
    sentence = r.sentence(held[0])
    assert "held back from the move to transfer advanced missile" in sentence
    assert "South Korea" in sentence and "send lethal weapons to Ukraine" in sentence


def test_lower_seoul_credibility_makes_a_transfer_likelier():
    lo, hi = (
        freq(runs(seoul_credibility=0.8), "missile_tech_transferred"),
        freq(runs(seoul_credibility=0.0, beijing_tolerance=1.0), "missile_tech_transferred"),
    )
    assert z_more(hi, lo, N) >= 3
    mid = freq(runs(seoul_credibility=0.0), "missile_tech_transferred")
    assert z_more(mid, lo, N) >= 3


def test_beijing_tolerance_matters_once_seoul_is_not_credible():
    strict = freq(runs(seoul_credibility=0.0, beijing_tolerance=0.0), "missile_tech_transferred")
    lax = freq(runs(seoul_credibility=0.0, beijing_tolerance=1.0), "missile_tech_transferred")
    assert z_more(lax, strict, N) >= 3


def test_a_crossed_seoul_red_line_is_answered_with_its_credibility():
    crossed = answered = 0
    for r in runs(seoul_credibility=0.0, beijing_tolerance=1.0):
        for e in r.rec.red_lines:
            if r.compiled.red_lines[e.red_line].id == "seoul_missile_tech" and not e.warning:
                crossed += 1
                answered += e.responded
    assert crossed > 50 and answered == 0  # credibility 0: never answered
    crossed = answered = 0
    for s in range(400):
        r = summitsim.run("pyongyang-2024", seed=s, params={"seoul_credibility": 0.3})
        for e in r.rec.red_lines:
            if r.compiled.red_lines[e.red_line].id == "seoul_missile_tech" and not e.warning:
                crossed += 1
                answered += e.responded
    if crossed >= 20:  # few crossings at 0.3: check only when there is enough data
        lo, hi = wilson(answered / crossed, crossed)
        assert lo <= 0.3 <= hi


def test_munitions_need_drives_purchases():
    assert (
        mean(runs(munitions_need=2.0), "munitions_shipped")
        > mean(runs(munitions_need=0.25), "munitions_shipped") + 3
    )


def test_kim_holding_out_blocks_the_lesser_treaty():
    def lesser(results):
        return (
            sum(
                any(
                    rec.actor == 0
                    and rec.status == "done"
                    and r.compiled.action_label(rec.action) == "sign_defence_treaty"
                    for rec in r.rec.actions
                )
                for r in results
            )
            / N
        )

    assert lesser(runs(kim_holds_out=True)) < 0.05
    assert lesser(runs()) > 0.3
    assert freq(runs(kim_holds_out=True), "any_defence_treaty") < freq(runs(), "any_defence_treaty")


@pytest.mark.parametrize("seed", [0, 5])
def test_same_inputs_same_result(seed):
    a = summitsim.run("pyongyang-2024", seed=seed, params={"seoul_credibility": 0.3})
    b = summitsim.run("pyongyang-2024", seed=seed, params={"seoul_credibility": 0.3})
    assert a.to_dict()["turns"] == b.to_dict()["turns"] and a.outcomes == b.outcomes
