"""hanoi-2019 teaches what it is meant to: the summit fails because the two sides' public
positions leave no package both prefer to no deal, and it succeeds (or reaches further) as those
positions move: more US flexibility, less trust in the test moratorium, less Kim attachment to
what lies beyond Yongbyon.

As in tests/test_library_iran.py, each claim is about the negotiators' reasoning, must hold
when the AI plays, and must fail when the negotiators play at random instead. The negotiation
is deterministic given the parameters, so a claim compares the share of runs signed (or
signed on broader terms) at two settings over N seeds, with a one-sided two-proportion z-test
at z >= 3 (tests/_stats.py).

Measured with the AI while writing the scenario (60 seeds a setting): signed in no run at
the defaults (North Korea walks away in round 1, after Washington asks for Yongbyon and the
other enrichment sites for civilian relief); in every run at us_flexibility 0.6 and up
(Yongbyon for civilian relief), at moratorium_trust 0.5 and below (exemptions and an
end-of-war declaration), at kim_resolve 0.2 and below (Yongbyon and the other enrichment sites
for civilian relief). Re-measure when the AI, the negotiator or the scenario changes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

import summitsim
from tests._library import Plays, Verdict, assert_the_ai_teaches
from tests._stats import z_more

pytestmark = pytest.mark.slow

SCENARIO = "hanoi-2019"
N = 60
Z_MIN = 3.0


AI = Plays("the AI", SCENARIO, N)
RANDOM_NEGOTIATORS = Plays(
    "both negotiators at random", SCENARIO, N, ("united_states", "north_korea")
)


def summit(r: Any) -> dict[str, Any]:
    """The turn-1 negotiation of a run."""
    (neg,) = r.to_dict()["turns"][1]["negotiations"]
    return neg


def signed(r: Any) -> bool:
    return summit(r)["outcome"] == "signed"


def signed_on(r: Any, issue: str, options: set[str]) -> bool:
    neg = summit(r)
    return neg["outcome"] == "signed" and neg["terms"][issue] in options


def compare(
    play: Plays, test: Callable[[Any], bool], lo: dict[str, Any], hi: dict[str, Any], what: str
) -> Verdict:
    """Is ``test`` true in more runs at ``hi`` than at ``lo`` (z >= Z_MIN)?"""
    p_lo = sum(map(test, play(**lo))) / N
    p_hi = sum(map(test, play(**hi))) / N
    z = z_more(p_hi, p_lo, N)
    return Verdict(z >= Z_MIN, f"{what}: {p_hi:.2f} at {hi} vs {p_lo:.2f} at {lo}, z={z:.1f}")


def flexibility_makes_the_deal(play: Plays) -> Verdict:
    return compare(play, signed, {"us_flexibility": 0.2}, {"us_flexibility": 0.8}, "signed")


def distrust_lowers_the_walk_away(play: Plays) -> Verdict:
    return compare(play, signed, {"moratorium_trust": 0.9}, {"moratorium_trust": 0.3}, "signed")


def resolve_keeps_the_other_sites_out(play: Plays) -> Verdict:
    def broad(r: Any) -> bool:
        return signed_on(r, "dismantle", {"yongbyon_plus", "declaration"})

    return compare(play, broad, {"kim_resolve": 0.6}, {"kim_resolve": 0.0}, "beyond Yongbyon")


def demand_blocks_a_small_deal(play: Plays) -> Verdict:
    def small(r: Any) -> bool:
        return signed_on(r, "relief", {"inter_korean"})

    return compare(play, small, {"relief_demand": 60}, {"relief_demand": 20}, "exemptions only")


@dataclass(frozen=True)
class Claim:
    name: str
    statement: str
    check: Callable[[Plays], Verdict]


CLAIMS = [
    Claim(
        "flexibility_makes_the_deal",
        "a more flexible Washington signs Yongbyon for relief",
        flexibility_makes_the_deal,
    ),
    Claim(
        "distrust_lowers_the_walk_away",
        "the less Washington trusts the test moratorium, the worse no deal is and the likelier "
        "a deal",
        distrust_lowers_the_walk_away,
    ),
    Claim(
        "resolve_keeps_the_other_sites_out",
        "Kim's private attachment to his deterrent keeps the sites beyond Yongbyon out of a deal",
        resolve_keeps_the_other_sites_out,
    ),
    Claim(
        "demand_blocks_a_small_deal",
        "a Pyongyang that asks for less takes exemptions for Yongbyon",
        demand_blocks_a_small_deal,
    ),
]


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.name)
def test_the_ai_teaches_the_lesson(claim):
    assert_the_ai_teaches(claim, AI)


def test_random_play_refutes_every_claim():
    still = {c.name: v.detail for c in CLAIMS if (v := c.check(RANDOM_NEGOTIATORS)).holds}
    assert not still, f"these claims hold with {RANDOM_NEGOTIATORS.name}: {still}"


def test_no_deal_at_the_defaults_and_why():
    """At the defaults nothing is signed at the summit: Washington asks for Yongbyon and the
    other enrichment sites for civilian relief (acceptable to Pyongyang by its public
    interests), and Pyongyang, knowing its private stake, walks away in the first round."""
    for r in AI():
        neg = summit(r)
        assert neg["outcome"] == "walked" and neg["walked_by"] == "north_korea"
        first = neg["steps"][0]
        assert first["actor"] == "united_states" and first["kind"] == "offer"
        assert first["terms"]["dismantle"] == "yongbyon_plus"
        assert first["terms"]["relief"] == "civilian"
        assert r.to_dict()["turns"][1]["state"]["statement_signed"] == 0
    # the empty-handed summit deflates the talks in its week
    d = AI()[0].to_dict()
    assert "empty_handed" in {i["inject"] for i in d["turns"][1]["injects"]}


def test_signing_is_monotone_in_flexibility():
    """Signing never becomes less likely as Washington grows more flexible, and it turns on
    between the defaults and full flexibility (one seed a point: the talks are deterministic)."""
    grid = [0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0]
    deals = [signed(summitsim.run(SCENARIO, seed=0, params={"us_flexibility": f})) for f in grid]
    assert deals == sorted(deals) and not deals[1] and deals[-1], deals


def test_no_deal_across_the_public_positions():
    """Around the sides' public positions (flexibility up to 0.4, trust in the moratorium 0.6
    and up, a demand of 40 and up, the 'new path' credible at 0.3 and up, Kim's resolve 0.3 and
    up) nothing is signed in most settings: the failure follows from the positions, not from
    one knife-edge point."""
    rng = random.Random(7)
    points = 40
    walked = 0
    for i in range(points):
        params = {
            "us_flexibility": rng.uniform(0.0, 0.4),
            "moratorium_trust": rng.uniform(0.6, 1.0),
            "relief_demand": rng.randint(40, 100),
            "walkout_credibility": rng.uniform(0.3, 1.0),
            "kim_resolve": rng.uniform(0.3, 1.0),
        }
        walked += not signed(summitsim.run(SCENARIO, seed=i, params=params, rationales=False))
    assert walked >= 0.8 * points, walked


def test_signals_are_sent_and_the_moratorium_promise_is_kept():
    """The North reaffirms its test moratorium (a reassurance: kept if it does not test) and
    Washington warns against tests, in some runs at the defaults; where sent, the
    reassurance is kept, since the North does not resume testing at the defaults."""
    said = [s for r in AI() for s in r.to_dict()["said_vs_did"]]
    kinds = {s["kind"] for s in said}
    assert {"reassure", "reaffirm"} <= kinds, kinds
    reassured = [s for s in said if s["kind"] == "reassure"]
    assert reassured and all(s["status"] in ("kept", "pending") for s in reassured)
    assert not any(r.outcomes["testing_resumed"] for r in AI())


def test_a_signed_deal_binds_the_north_and_can_be_broken():
    """With full flexibility the deal is signed with the North's obligation to keep
    dismantling Yongbyon and Washington's to keep the relief; breaking either is a move."""
    r = summitsim.run(SCENARIO, seed=0, params={"us_flexibility": 1.0})
    (deal,) = r.to_dict()["deals"]
    assert deal["terms"]["dismantle"] == "yongbyon" and deal["terms"]["relief"] == "civilian"
    assert {o["by"] for o in deal["obligations"]} == {"north_korea", "united_states"}
    assert r.outcomes["deal_reached"] and r.outcomes["relief_granted"]
    assert r.outcomes["yongbyon_dismantled"] >= 20


def test_the_bundled_record_checks_the_summit_as_a_deal():
    from summitsim.backtest.record import load_record

    rec = load_record(None, summitsim.load_scenario(SCENARIO))
    deal_entries = {e.id for e in rec.entries if e.kind == "deal"}
    assert {"walk_out", "no_deal_in_hanoi", "no_relief_by_end"} <= deal_entries
