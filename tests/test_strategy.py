"""The strategic core on the reference scenario: the AI's noise is what its rationality says,
the summit signs the partnership with a defence clause, and Russia's need for shells no longer
crowds out the treaty or its diplomacy.

Margins: Wilson 99.9% intervals (z = 3.29) for single frequencies, and a one-sided
two-proportion z-test at z >= 3 for comparisons. Each "no longer" claim is checked with
enough runs that the old effect (measured before the change, quoted beside each test) would
have been detected at z >= 3.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import pytest

import summitsim
from tests._stats import wilson, z_more

pytestmark = pytest.mark.slow

SCENARIO = "pyongyang-2024"
N = 300


@cache
def runs(**params: Any) -> tuple[Any, ...]:
    return tuple(summitsim.run(SCENARIO, seed=s, params=params, rationales=False) for s in range(N))


def test_at_most_15_percent_of_ai_decisions_are_not_the_best_option():
    """Scale-free rationality: at the scenario's rationality (6), few choices are not the
    actor's best (42% were before rationality was made scale-free)."""
    decisions = not_best = 0
    for r in runs():
        for n, k in r.choice_stats().values():
            decisions, not_best = decisions + n, not_best + k
    share = not_best / decisions
    assert wilson(share, decisions)[1] <= 0.15, share


def test_the_summit_opens_with_the_partnership():
    """Turn 1 is the summit: Russia and North Korea sign its deal there, the partnership with
    a defence clause among its terms (Russia signed the partnership on turn 1 in 37% of runs
    before the strategic core was reworked; the summit is now one negotiated package)."""

    def signed_with_defence(d: dict[str, Any]) -> bool:
        talks = [n for n in d["turns"][1]["negotiations"] if n["deal"] == "summit"]
        deals = [x for x in d["deals"] if x["deal"] == "summit"]
        return (
            len(talks) == 1
            and talks[0]["outcome"] == "signed"
            and talks[0]["parties"] == ["north_korea", "russia"]
            and talks[0]["terms"]["defence"] in ("consultation", "automatic")
            and len(deals) == 1
            and deals[0]["turn"] == 1
            and deals[0]["terms"] == talks[0]["terms"]
        )

    first = [signed_with_defence(r.to_dict()) for r in runs()]
    assert wilson(sum(first) / N, N)[0] > 0.8


def mean(results: tuple[Any, ...], outcome: str) -> float:
    return sum(float(r.outcomes[outcome]) for r in results) / len(results)


def freq(results: tuple[Any, ...], outcome: str) -> float:
    return sum(bool(r.outcomes[outcome]) for r in results) / len(results)


def test_needing_shells_no_longer_crowds_out_the_treaty():
    """Before: the automatic-intervention treaty fell from 0.71 to 0.44 as munitions_need went
    from 0.25 to 2 (z about 6.8 over 300 runs), because buying shells took Russia's one move a
    month. Now the treaty is a term of the summit's deal, bargained with the shells: it is not
    less likely when Russia needs more shells. With Kim holding out (where the automatic
    clause is in reach; at the defaults it is agreed in no run at either need, which would
    make the comparison empty) the greater need draws Russia into the automatic clause."""
    low = runs(munitions_need=0.25, kim_holds_out=True)
    high = runs(munitions_need=2.0, kim_holds_out=True)
    p_low, p_high = (
        freq(low, "automatic_intervention_treaty"),
        freq(high, "automatic_intervention_treaty"),
    )
    assert z_more(p_low, p_high, N) < 3, (p_low, p_high)
    assert wilson(p_high, N)[0] > 0.5, p_high  # not an empty comparison


def test_needing_shells_no_longer_raises_beijings_influence():
    """Before: Beijing's influence rose from 72.9 to 82.3 as munitions_need went from 0.25 to
    2, because a Russia busy buying shells had no month left to court Pyongyang. Now it does
    not rise significantly (a z-test on the means at 3)."""
    low, high = runs(munitions_need=0.25), runs(munitions_need=2.0)
    a = [float(r.outcomes["china_influence"]) for r in low]
    b = [float(r.outcomes["china_influence"]) for r in high]
    ma, mb = sum(a) / N, sum(b) / N
    va = sum((x - ma) ** 2 for x in a) / (N - 1)
    vb = sum((x - mb) ** 2 for x in b) / (N - 1)
    z = (mb - ma) / math.sqrt(va / N + vb / N)
    assert z < 3, (ma, mb, z)
