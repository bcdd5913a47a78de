"""iran-2015 teaches what it is meant to: how much Tehran values enrichment decides how many
centrifuges a deal removes, a private interest in a hidden hedge drives secret work (which
inspections then find), and a credible Israeli strike threat holds that work back.

As in tests/test_library_cuba.py, each claim is about some actors' reasoning (``reasons_of``),
must hold when the AI plays, and must fail when those actors play at random instead (or it
would test nothing of the AI). Statistics: a one-sided two-mean z-test at z >= 3
(tests/test_behaviour.py's ``z_means_more``).

Measured with the AI over 40 seeds while tuning the scenario: centrifuges removed by the deal
14.0 thousand at khamenei_hardline 0 and 2.0 at 1 (every run signed); secret work 1.1 times a
run at iran_hedging 0 and 6.0 at 4 (found in 8 and 28 runs of 40); 2.6 times a run at
israel_credibility 0 and 1.1 at 1. Re-measure when the AI, the negotiator or the scenario
changes.
"""

from __future__ import annotations

from typing import Any

import pytest

import summitsim
from tests._library import Claim, Plays, Verdict, assert_the_ai_teaches, times
from tests.test_behaviour import mean_interval, z_means_more

pytestmark = pytest.mark.slow

SCENARIO = "iran-2015"
N = 100
Z_MIN = 3.0


AI = Plays("the AI", SCENARIO, N)
RANDOM_IRAN = Plays("Iran at random", SCENARIO, N, ("iran",))


def removed(r: Any) -> float:
    """Thousands of centrifuges the deal removes (0 without a deal)."""
    deals = r.deals()
    return float(deals[0]["terms"]["centrifuges"]) if deals else 0.0


def compare(lo: list[float], hi: list[float], what: str, lo_at: str, hi_at: str) -> Verdict:
    z = z_means_more(hi, lo)
    return Verdict(
        z >= Z_MIN,
        f"{what} {mean_interval(hi)[0]:.2f} ({hi_at}) vs {mean_interval(lo)[0]:.2f} ({lo_at}), "
        f"z={z:.1f}",
    )


def enrichment_sets_the_cut(play: Plays) -> Verdict:
    soft = [removed(r) for r in play(khamenei_hardline=0.0)]
    hard = [removed(r) for r in play(khamenei_hardline=1.0)]
    return compare(hard, soft, "centrifuges removed", "hardline 1", "hardline 0")


def hedge_drives_secret_work(play: Plays) -> Verdict:
    none = [times(r, "iran", "covert_work") for r in play(iran_hedging=0.0)]
    much = [times(r, "iran", "covert_work") for r in play(iran_hedging=4.0)]
    return compare(none, much, "secret work", "hedging 0", "hedging 4")


def strike_threat_holds_work_back(play: Plays) -> Verdict:
    lax = [times(r, "iran", "covert_work") for r in play(israel_credibility=0.0)]
    firm = [times(r, "iran", "covert_work") for r in play(israel_credibility=1.0)]
    return compare(firm, lax, "secret work", "credibility 1", "credibility 0")


CLAIMS = [
    Claim(
        "enrichment_sets_the_cut",
        "how much Tehran values enrichment decides how many centrifuges the deal removes",
        ("iran",),
        enrichment_sets_the_cut,
    ),
    Claim(
        "hedge_drives_secret_work",
        "a private interest in a hidden hedge drives Iran's secret work",
        ("iran",),
        hedge_drives_secret_work,
    ),
    Claim(
        "strike_threat_holds_work_back",
        "a credible Israeli strike threat holds Iran's secret work back",
        ("iran",),
        strike_threat_holds_work_back,
    ),
]


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.name)
def test_the_ai_teaches_the_lesson(claim):
    assert_the_ai_teaches(claim, AI)


def test_random_play_refutes_every_claim_about_reasoning():
    about = [c for c in CLAIMS if set(c.reasons_of) & set(RANDOM_IRAN.random)]
    assert about
    still = {c.name: v.detail for c in about if (v := c.check(RANDOM_IRAN)).holds}
    assert not still, f"these claims hold with {RANDOM_IRAN.name}: {still}"


def test_secret_work_is_found_and_never_before_it_is_done():
    """With a strong hedge the inspectors (whose chance of finding it grows with IAEA access)
    find the secret work in most runs, and a find is never dated before the work."""
    runs = AI(iran_hedging=4.0)
    found = sum(bool(r.outcomes["covert_found"]) for r in runs)
    assert found >= N // 2  # at this hedge, inspectors find it in most runs
    for r in runs[:20]:
        for turn in r.to_dict()["turns"]:
            for act in turn["actions"]:
                seen = act.get("detected_turn")
                if act["move"] == "covert_work" and act.get("covert") and seen:
                    assert seen >= turn["turn"]


def test_the_deal_is_negotiated_with_obligations_and_signals():
    """At the defaults the talks produce a framework, then a signed deal with obligations
    on both sides, and the red-line signals are sent."""
    r = summitsim.run(SCENARIO, seed=0)
    d = r.to_dict()
    (deal,) = d["deals"]
    assert deal["deal"] == "nuclear_deal" and deal["turn"] >= 4
    assert {o["by"] for o in deal["obligations"]} == {"iran", "p5_plus_1"}
    kinds = {s["kind"] for s in d["said_vs_did"]}
    assert {"commitment", "reaffirm", "threaten"} <= kinds
    negotiations = [n for t in d["turns"] for n in t.get("negotiations", [])]
    assert negotiations and negotiations[-1]["outcome"] == "signed"
    # Iran may take two moves a turn (one per channel), and does in some runs
    most = 0
    for seed in range(20):
        for t in summitsim.run(SCENARIO, seed=seed, rationales=False).to_dict()["turns"]:
            mine = [a for a in t["actions"] if a["actor"] == "iran" and a["move"] != "hold"]
            most = max(most, len(mine))
    assert most == 2


def test_the_bundled_record_checks_deals_and_detection():
    from summitsim.backtest.record import load_record

    rec = load_record(None, summitsim.load_scenario(SCENARIO))
    kinds = {e.kind for e in rec.entries}
    assert {"deal", "detected", "move", "never"} <= kinds
    assert len(rec.entries) >= 10
