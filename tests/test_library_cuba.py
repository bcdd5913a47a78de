"""cuba-1962 teaches what it is meant to: Moscow's resolve decides whether it bargains, a
credible US strike threat slows the covert work on the sites, Washington blockades rather than
bombs, and, when the settlement is negotiated (the scenario's `settlement` deal), Moscow gets
the Jupiters into the price rather than withdrawing its missiles for a pledge alone.

As in tests/test_behaviour.py, each claim is about some actors' reasoning (``reasons_of``),
must hold when the AI plays, and must fail when those actors play at random instead (or it
would test nothing of the AI). Statistics: a one-sided two-proportion (or two-mean) z-test at
z >= 3, or a Wilson 99.9% interval for one frequency.

Measured with the AI over 150 seeds after the settlement became a negotiated deal: the deal
in 0.99 of runs at resolve 0 and 0.00 at resolve 1; the secret work 5.65 times a run at
strike credibility 0 and 2.57 at 1; quarantine 0.99 and air strike 0.00 at the defaults; the
Jupiters in the settlement 0.99 and a settlement without them 0.00 (the AI negotiator is
deterministic, so the terms do not vary between runs of one state). With N = 150 all four
claims hold for the AI and fail when the actors whose reasoning they are about play at
random (the refutation tests below); re-measure the THRESHOLDS when the AI or the scenario
changes.
"""

from __future__ import annotations

from typing import Any

import pytest

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
from tests.test_behaviour import mean_interval, wilson, z_means_more, z_more

pytestmark = pytest.mark.slow

SCENARIO = "cuba-1962"
N = 150

THRESHOLDS = {
    "z_min": 3.0,
    # Washington quarantines in nearly every run (lower bound above 0.8) and almost never
    # bombs (upper bound below 0.1; 0 of 150 gives 0.07): at random it bombs in most runs.
    "quarantine_min": 0.8,
    "air_strike_max": 0.1,
}


AI = Plays("the AI", SCENARIO, N)
RANDOM_SOVIET = Plays("the Soviet Union at random", SCENARIO, N, ("soviet_union",))
RANDOM_US = Plays("the United States at random", SCENARIO, N, ("united_states",))


def resolve_blocks_deal(play: Plays) -> Verdict:
    low = share(play(khrushchev_resolve=0.0), lambda r: r.outcomes["missiles_withdrawn"])
    high = share(play(khrushchev_resolve=1.0), lambda r: r.outcomes["missiles_withdrawn"])
    z = z_more(low, high, N)
    detail = f"deal {low:.2f} (resolve 0) vs {high:.2f} (1), z={z:.1f}"
    return Verdict(z >= THRESHOLDS["z_min"], detail)


def credibility_slows_covert_work(play: Plays) -> Verdict:
    def work(results):
        return [times(r, "soviet_union", "continue_construction") for r in results]

    lax, firm = work(play(us_strike_credibility=0.0)), work(play(us_strike_credibility=1.0))
    z = z_means_more(lax, firm)
    return Verdict(
        z >= THRESHOLDS["z_min"],
        f"covert work {mean_interval(lax)[0]:.2f} (credibility 0) vs "
        f"{mean_interval(firm)[0]:.2f} (1), z={z:.1f}",
    )


def blockade_not_bombs(play: Plays) -> Verdict:
    runs = play()
    q = share(runs, lambda r: r.outcomes["quarantine_imposed"])
    s = share(runs, lambda r: r.outcomes["air_strike"])
    ok = (
        wilson(q, N)[0] > THRESHOLDS["quarantine_min"]
        and wilson(s, N)[1] < THRESHOLDS["air_strike_max"]
    )
    return Verdict(ok, f"quarantine {q:.2f}, air strike {s:.2f}")


def settlement(r: Any) -> dict[str, str] | None:
    """The terms of the negotiated settlement, if one was signed."""
    deals = [d for d in r.to_dict()["deals"] if d["deal"] == "settlement"]
    return deals[0]["terms"] if deals else None


def trade_over_pledge_alone(play: Plays) -> Verdict:
    runs = [settlement(r) for r in play()]
    withdrawn = [t for t in runs if t is not None and t["missiles"] == "withdraw"]
    trade = sum(t["jupiters"] == "remove" for t in withdrawn) / N
    alone = sum(t["jupiters"] == "keep" for t in withdrawn) / N
    z = z_more(trade, alone, N)
    detail = f"trade {trade:.2f} vs pledge alone {alone:.2f}, z={z:.1f}"
    return Verdict(z >= THRESHOLDS["z_min"], detail)


CLAIMS = [
    Claim(
        "resolve_blocks_deal",
        "Khrushchev's resolve decides whether Moscow bargains",
        ("soviet_union",),
        resolve_blocks_deal,
    ),
    Claim(
        "credibility_slows_covert_work",
        "a credible US strike threat slows the secret work on the sites",
        ("soviet_union",),
        credibility_slows_covert_work,
    ),
    Claim(
        "blockade_not_bombs",
        "Washington blockades rather than bombs",
        ("united_states",),
        blockade_not_bombs,
    ),
    Claim(
        "trade_over_pledge_alone",
        "Moscow prefers the Jupiter trade to withdrawing for a pledge alone",
        ("soviet_union",),
        trade_over_pledge_alone,
    ),
]


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.name)
def test_the_ai_teaches_the_lesson(claim):
    assert_the_ai_teaches(claim, AI)


@pytest.mark.parametrize("play", [RANDOM_SOVIET, RANDOM_US], ids=lambda p: p.name)
def test_random_play_refutes_every_claim_about_reasoning(play):
    assert_random_play_refutes(CLAIMS, play)


def test_covert_work_is_hidden_until_detected():
    """The engine's covert-move machinery as the scenario uses it: a detected construction
    is marked with the turn it was found, never before the turn it was taken."""
    assert covert_found(SCENARIO, "continue_construction", 20) > 0
