"""singapore-2018 teaches what it is meant to: Kim's (private) attachment to his deterrent
decides whether the joint statement says CVID or only "work toward complete
denuclearization"; Washington, which cannot see that attachment, opens by asking for CVID
all the same; and Pyongyang's credible red line on exercises keeps the suspension in force.

As in tests/test_library_cuba.py, each claim is about some actors' reasoning (``reasons_of``),
must hold when the AI plays, and must fail when those actors play at random instead.
Statistics (tests/_stats.py): a one-sided two-proportion z-test at z >= 3, or a Wilson 99.9%
interval for one frequency.

Measured with the AI over 40 seeds while tuning the scenario: CVID agreed in 1.00 of runs at
resolve 0 and 0.00 at resolve 0.6 (the default) and 1; Washington's opening offer asks CVID in
1.00; the suspension broken in 0.10 of runs with Kim's exercise red line at credibility 0 and
0.00 at 1. The negotiation is deterministic (the AI negotiator draws nothing), so the deal
shares are 0 or 1; the breaking is drawn. Re-measure when the AI or the scenario changes.
"""

from __future__ import annotations

from typing import Any

import pytest

import summitsim
from tests._library import (
    Claim,
    Plays,
    Verdict,
    assert_random_play_refutes,
    assert_the_ai_teaches,
    covert_found,
    share,
)
from tests._stats import wilson, z_more

pytestmark = pytest.mark.slow

SCENARIO = "singapore-2018"
N = 150

THRESHOLDS = {
    "z_min": 3.0,
    # Washington opens with CVID in nearly every run (lower bound above 0.8) and the signed
    # statement says CVID in few (upper bound below 0.2); at random it opens with CVID in
    # about half of the runs.
    "opens_cvid_min": 0.8,
    "signed_cvid_max": 0.2,
}


AI = Plays("the AI", SCENARIO, N, as_dict=True)
RANDOM_DPRK = Plays("North Korea at random", SCENARIO, N, ("north_korea",), as_dict=True)
RANDOM_US = Plays("the United States at random", SCENARIO, N, ("united_states",), as_dict=True)


def statement(d: dict[str, Any]) -> dict[str, str] | None:
    signed = [x for x in d["deals"] if x["deal"] == "joint_statement"]
    return signed[0]["terms"] if signed else None


def opening(d: dict[str, Any]) -> dict[str, str] | None:
    for turn in d["turns"]:
        for neg in turn.get("negotiations", []):
            if neg["deal"] == "joint_statement" and neg["steps"][0]["kind"] == "offer":
                return neg["steps"][0]["terms"]
    return None


def took(d: dict[str, Any], actor: str, move: str) -> bool:
    return any(
        a["actor"] == actor and a["move"] == move and a.get("status", "done") == "done"
        for t in d["turns"]
        for a in t["actions"]
    )


def cvid(d: dict[str, Any]) -> bool:
    terms = statement(d)
    return terms is not None and terms["denuclearisation"] == "cvid"


def resolve_decides_cvid(play: Plays) -> Verdict:
    low, high = share(play(kim_resolve=0.0), cvid), share(play(kim_resolve=1.0), cvid)
    z = z_more(low, high, N)
    return Verdict(
        z >= THRESHOLDS["z_min"], f"CVID {low:.2f} (resolve 0) vs {high:.2f} (1), z={z:.1f}"
    )


def us_opens_with_cvid(play: Plays) -> Verdict:
    runs = play()
    asks = share(runs, lambda d: (o := opening(d)) is not None and o["denuclearisation"] == "cvid")
    gets = share(runs, cvid)
    ok = (
        wilson(asks, N)[0] > THRESHOLDS["opens_cvid_min"]
        and wilson(gets, N)[1] < THRESHOLDS["signed_cvid_max"]
    )
    return Verdict(ok, f"opens with CVID {asks:.2f}, signs CVID {gets:.2f}")


def exercise_red_line_keeps_suspension(play: Plays) -> Verdict:
    def broke(d: dict[str, Any]) -> bool:
        return took(d, "united_states", "break_exercise_suspension")

    lax = share(play(kim_exercise_credibility=0.0), broke)
    firm = share(play(kim_exercise_credibility=1.0), broke)
    z = z_more(lax, firm, N)
    detail = f"suspension broken {lax:.2f} (credibility 0) vs {firm:.2f} (1), z={z:.1f}"
    return Verdict(z >= THRESHOLDS["z_min"], detail)


CLAIMS = [
    Claim(
        "resolve_decides_cvid",
        "Kim's attachment to the deterrent decides whether the statement says CVID",
        ("north_korea",),
        resolve_decides_cvid,
    ),
    Claim(
        "us_opens_with_cvid",
        "Washington opens by asking for CVID, though it signs general language",
        ("united_states",),
        us_opens_with_cvid,
    ),
    Claim(
        "exercise_red_line_keeps_suspension",
        "a credible North Korean red line on exercises keeps the suspension in force",
        ("united_states",),
        exercise_red_line_keeps_suspension,
    ),
]


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.name)
def test_the_ai_teaches_the_lesson(claim: Claim) -> None:
    assert_the_ai_teaches(claim, AI)


@pytest.mark.parametrize("play", [RANDOM_DPRK, RANDOM_US], ids=lambda p: p.name)
def test_random_play_refutes_every_claim_about_reasoning(play: Plays) -> None:
    assert_random_play_refutes(CLAIMS, play)


def test_secret_production_is_hidden_until_detected() -> None:
    """A covert move is marked with the turn it was found, never before the turn it was
    taken, and the record's level of detection is reachable."""
    found = covert_found(SCENARIO, "produce_in_secret", 20)
    assert found > 0


def test_obligations_of_the_statement_are_in_force_and_breakable() -> None:
    """The signed statement creates the obligations its terms carry, each with its
    breaking move, and the result records them."""
    d = summitsim.run(SCENARIO, seed=0).to_dict()
    (deal,) = [x for x in d["deals"] if x["deal"] == "joint_statement"]
    ids = {ob["obligation"] for ob in deal["obligations"]}
    assert {"exercise_suspension", "remains_repatriation"} <= ids
    assert d["turns"][1]["state"]["exercises_suspended"] == 1.0
