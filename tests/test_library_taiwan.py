"""taiwan-1996 teaches what it is meant to: Beijing's declared red line on independence keeps
Taipei from declaring it, Beijing coerces with missiles and exercises but stops short of
force, and Washington backs its warnings with carriers (the costly signal) without sailing
into the strait.

As in tests/test_library_cuba.py, each claim is about some actors' reasoning (``reasons_of``),
must hold when the AI plays, and must fail when those actors play at random instead.
Statistics (tests/_stats.py): a one-sided two-proportion z-test at z >= 3, or a Wilson 99.9%
interval for one frequency.

Measured with the AI over 40 seeds while tuning the scenario: Taipei declares independence
in 1.00 of runs with Beijing's resolve at 0 and 0.00 at 0.8 (the default) and 1; Beijing
fires missiles on two days or more in 0.95 and closes the ports in 0.00; Washington sends a
carrier in 0.97 of runs and sails through the strait in 0.00 (0.85 at random). Re-measure
when the AI or the scenario changes.
"""

from __future__ import annotations

from typing import Any

import pytest

import summitsim
from summitsim.policies.simple import RandomPolicy
from tests._library import (
    Claim,
    Plays,
    Verdict,
    assert_random_play_refutes,
    assert_the_ai_teaches,
    covert_found,
    share,
    times,
)
from tests._stats import wilson, z_more

pytestmark = pytest.mark.slow

SCENARIO = "taiwan-1996"
N = 150

THRESHOLDS = {
    "z_min": 3.0,
    # Beijing fires on two days or more in most runs (lower bound above 0.7) and closes the
    # ports in almost none (upper bound below 0.1); at random it closes them in most runs.
    "missiles_min": 0.7,
    "ports_max": 0.1,
    # Washington sends a carrier in most runs (lower bound above 0.8) and sails through the
    # strait in few (upper bound below 0.3); at random it sails through in most.
    "carrier_min": 0.8,
    "transit_max": 0.3,
}


AI = Plays("the AI", SCENARIO, N)
RANDOM_TAIWAN = Plays("Taiwan at random", SCENARIO, N, ("taiwan",))
RANDOM_PRC = Plays("the PRC at random", SCENARIO, N, ("prc",))
RANDOM_US = Plays("the United States at random", SCENARIO, N, ("united_states",))


def red_line_deters_declaration(play: Plays) -> Verdict:
    def declared(r: Any) -> bool:
        return times(r, "taiwan", "declare_independence") > 0

    lax, firm = share(play(prc_resolve=0.0), declared), share(play(prc_resolve=0.8), declared)
    z = z_more(lax, firm, N)
    detail = f"declared {lax:.2f} (Beijing's resolve 0) vs {firm:.2f} (0.8), z={z:.1f}"
    return Verdict(z >= THRESHOLDS["z_min"], detail)


def coercion_short_of_force(play: Plays) -> Verdict:
    runs = play()
    fired = share(runs, lambda r: times(r, "prc", "fire_missiles") >= 2)
    force = share(runs, lambda r: r.outcomes["ports_closed"])
    ok = (
        wilson(fired, N)[0] > THRESHOLDS["missiles_min"]
        and wilson(force, N)[1] < THRESHOLDS["ports_max"]
    )
    return Verdict(ok, f"missiles on 2+ days {fired:.2f}, ports closed {force:.2f}")


def carriers_not_the_strait(play: Plays) -> Verdict:
    runs = play()
    sent = share(runs, lambda r: r.outcomes["carriers_sent"] >= 1)
    transit = share(runs, lambda r: r.outcomes["strait_transit"])
    ok = (
        wilson(sent, N)[0] > THRESHOLDS["carrier_min"]
        and wilson(transit, N)[1] < THRESHOLDS["transit_max"]
    )
    return Verdict(ok, f"carrier sent {sent:.2f}, through the strait {transit:.2f}")


CLAIMS = [
    Claim(
        "red_line_deters_declaration",
        "Beijing's credible red line keeps Taipei from declaring independence",
        ("taiwan",),
        red_line_deters_declaration,
    ),
    Claim(
        "coercion_short_of_force",
        "Beijing presses with missiles but does not use force",
        ("prc",),
        coercion_short_of_force,
    ),
    Claim(
        "carriers_not_the_strait",
        "Washington sends carriers but does not sail through the strait",
        ("united_states",),
        carriers_not_the_strait,
    ),
]


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.name)
def test_the_ai_teaches_the_lesson(claim: Claim) -> None:
    assert_the_ai_teaches(claim, AI)


@pytest.mark.parametrize("play", [RANDOM_TAIWAN, RANDOM_PRC, RANDOM_US], ids=lambda p: p.name)
def test_random_play_refutes_every_claim_about_reasoning(play: Plays) -> None:
    assert_random_play_refutes(CLAIMS, play)


def test_the_build_up_is_hidden_until_detected() -> None:
    """The covert build-up is marked with the turn it was found, never before the turn it
    was taken; surveillance finds it in some runs."""
    found = covert_found(SCENARIO, "build_up_secretly", 20)
    assert found > 0


def test_the_private_red_line_is_revealed_by_its_crossing() -> None:
    """Beijing's red line on US warships in the strait is private: Washington does not
    anticipate it (the AI rarely sails through), and a transit (here by a Washington played
    at random) crosses it and makes it known."""
    us = {"united_states": RandomPolicy()}
    for seed in range(60):
        d = summitsim.run(SCENARIO, seed=seed, policies=us).to_dict()
        crossed = [
            rl
            for t in d["turns"]
            for rl in t["red_lines"]
            if rl["red_line"] == "prc_no_warships_in_strait" and rl.get("crossed_by")
        ]
        if crossed:
            assert crossed[0]["crossed_by"] == ["united_states"]
            return
    pytest.fail("no transit crossed Beijing's private red line in 60 runs")
