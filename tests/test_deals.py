"""Deals: the bounded alternating-offers protocol, the AI's bargaining against values
worked out by hand, standing flows and obligations, and the record.

tests/data/deal-split.yaml, by hand (interest weights are divided by the variable's range):

* ``split`` (turn 1): A gets x of a pot of 10 (x = 0, 1, ..., 10). A's utility is x/10, B's
  is -x/10. With walk-away values ``walk_a`` and ``walk_b`` the surpluses are
  x/10 - walk_a and -x/10 - walk_b. The Nash bargaining solution maximises their product:
  with (0, -1), x(10 - x) peaks at x = 5; with (0.2, -1), (x/10 - 0.2)(1 - x/10) peaks at
  x = 6 (0.16, against 0.15 at 5 and 7).
* ``trade`` (turn 2): each port is worth 0.3 to A and costs B 0.1; each unit of fishing is
  worth 0.3 to B and costs A 0.1. Surpluses (0.3p - 0.1f, 0.3f - 0.1p) over p, f in
  {0, 1, 2}: the product peaks at p = f = 2 (0.4 x 0.4 = 0.16; next (2,1) and (1,2) at 0.05).
* ``supply`` (turn 3): B sends 10 goods a turn (worth 0.2 a turn to A, costing B 0.1) for
  3 of A's pot (0.3). With flows valued over turns 3 and 4 (discount 0.9): A gains
  -0.3 + 0.2 x 1.9 = 0.08, B gains 0.3 - 0.1 x 1.9 = 0.11. Both prefer it to no deal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import summitsim
from summitsim.engine.deals import Reply, package_from_terms
from summitsim.engine.model import SummitModel
from summitsim.engine.registry import get_compiled
from summitsim.policies import RandomPolicy
from summitsim.scenario import load_text
from summitsim.scenario.yamlsafe import ScenarioError

DATA = Path(__file__).parent / "data" / "deal-split.yaml"
TEXT = DATA.read_text()


def scenario(**swap: str) -> Any:
    """The test scenario with text replaced (``old=new`` pairs given as a dict)."""
    text = TEXT
    for old, new in swap.items():
        assert old in text, old
        text = text.replace(old, new)
    return load_text(text, "deal-split.yaml")


def negotiations(result: Any, deal: str) -> list[dict[str, Any]]:
    d = result.to_dict()
    return [n for t in d["turns"] for n in t.get("negotiations", []) if n["deal"] == deal]


def split_of(result: Any) -> float | None:
    (neg,) = negotiations(result, "split")
    return float(neg["terms"]["pot"]) if neg["outcome"] == "signed" else None


@pytest.mark.parametrize(("walk_a", "nash"), [(0.0, 5.0), (0.2, 6.0), (-0.4, 3.0)])
def test_the_split_ends_at_the_nash_bargaining_solution(walk_a: float, nash: float) -> None:
    # (-0.4): surpluses x/10 + 0.4 and 1 - x/10; the product peaks at x = 3 (0.49).
    for seed in range(5):
        got = split_of(summitsim.run(DATA, seed=seed, params={"walk_a": walk_a}))
        assert got is not None
        assert abs(got - nash) <= 1.0  # the stated tolerance: one level of the issue
        assert got == nash  # and here, exactly


def test_the_trade_of_two_issues_is_the_nash_point() -> None:
    (neg,) = negotiations(summitsim.run(DATA, seed=0), "trade")
    assert neg["outcome"] == "signed"
    assert neg["terms"] == {"ports": "two", "fish": "all"}
    assert neg["surplus"]["a"] == pytest.approx(0.4)
    assert neg["surplus"]["b"] == pytest.approx(0.4)


@pytest.mark.parametrize(("walk_a", "walk_b"), [(1.5, -1.0), (0.7, -0.2), (0.0, 0.0)])
def test_with_no_package_better_than_walking_away_for_both_no_deal(
    walk_a: float, walk_b: float
) -> None:
    # (1.5, -1): A needs x > 15; (0.7, -0.2): A needs x > 7, B needs x < 2;
    # (0, 0): B needs x < 0 and A x > 0.
    result = summitsim.run(DATA, seed=0, params={"walk_a": walk_a, "walk_b": walk_b})
    (neg,) = negotiations(result, "split")
    assert neg["outcome"] == "walked"
    assert neg["terms"] is None
    assert result.to_dict()["turns"][1]["state"]["a_share"] == 0.0
    assert "split" not in [d["deal"] for d in result.to_dict()["deals"]]


def test_impatience_settles_earlier_and_stays_near_the_nash_point() -> None:
    patient = negotiations(summitsim.run(scenario(**{"discount: 0.9": "discount: 1.0"})), "split")
    hasty = negotiations(summitsim.run(scenario(**{"discount: 0.9": "discount: 0.5"})), "split")
    offers = [len([s for s in n[0]["steps"] if s["kind"] == "offer"]) for n in (patient, hasty)]
    assert offers[1] < offers[0]
    for n in (patient, hasty):
        x = float(n[0]["terms"]["pot"])
        product = (x / 10) * (1 - x / 10)
        assert product >= 0.8 * 0.25  # at least 80% of the Nash product (0.25 at x = 5)


def test_the_offers_concede_monotonically_toward_the_nash_point() -> None:
    (neg,) = negotiations(summitsim.run(DATA, seed=0), "split")
    a_asks = [
        float(s["terms"]["pot"]) for s in neg["steps"] if s["kind"] == "offer" and s["actor"] == "a"
    ]
    b_asks = [
        float(s["terms"]["pot"]) for s in neg["steps"] if s["kind"] == "offer" and s["actor"] == "b"
    ]
    assert a_asks == sorted(a_asks, reverse=True) and a_asks[0] > 5
    assert b_asks == sorted(b_asks) and b_asks[0] < 5
    assert len([s for s in neg["steps"] if s["kind"] == "offer"]) <= 6  # rounds: 6


def test_a_signed_obligation_flows_each_turn_until_it_is_broken() -> None:
    result = summitsim.run(DATA, seed=0)
    d = result.to_dict()
    supply = [t["state"]["supply"] for t in d["turns"]]
    assert supply == [0.0, 0.0, 0.0, 10.0, 10.0]  # flowed at turn 3; broken at turn 4
    assert [a["move"] for a in d["turns"][4]["actions"] if a["actor"] == "b"] == [
        "break_supply_goods"
    ]
    (deal,) = [x for x in d["deals"] if x["deal"] == "supply"]
    assert deal["obligations"][0]["broken_turn"] == 4
    (said,) = d["said_vs_did"]
    assert (said["kind"], said["status"], said["deal"]) == ("commitment", "broken", "supply")


def test_a_costly_break_is_not_taken_and_the_goods_keep_flowing() -> None:
    text = "                description: B sends ten goods a turn\n"
    costly = scenario(**{text: text + "                break_cost: 1\n"})
    d = summitsim.run(costly, seed=0).to_dict()
    assert [t["state"]["supply"] for t in d["turns"]] == [0.0, 0.0, 0.0, 10.0, 20.0]
    assert d["said_vs_did"][0]["status"] == "in_force"


BROKE = (
    "outcomes:\n"
    '  broke: {description: B broke its word, expr: "did_ever(b, break_supply_goods)", '
    "type: bool}\n"
    '  breaks: {description: times broken, expr: "times(b, break_supply_goods)", '
    "type: number}\n"
)


@pytest.mark.parametrize("break_cost", [None, 1])
def test_outcomes_can_name_the_moves_that_break_a_commitment(break_cost) -> None:
    swap = {"outcomes:\n": BROKE}
    if break_cost is not None:
        text = "                description: B sends ten goods a turn\n"
        swap[text] = text + f"                break_cost: {break_cost}\n"
    outcomes = summitsim.run(scenario(**swap), seed=0).outcomes
    assert outcomes["broke"] is (break_cost is None)  # broken at turn 4 unless it costs
    assert outcomes["breaks"] == (1 if break_cost is None else 0)


def test_only_the_keeper_of_a_commitment_has_its_break_move() -> None:
    wrong = BROKE.replace("did_ever(b, break_supply_goods)", "did_ever(a, break_supply_goods)")
    with pytest.raises(ScenarioError, match="actor 'a' has no move 'break_supply_goods'"):
        scenario(**{"outcomes:\n": wrong})


def test_breaking_a_commitment_lowers_the_breakers_reliability() -> None:
    m = SummitModel(DATA, seed=0)
    b = m.compiled.actor_index["b"]
    m.step(), m.step(), m.step()
    before = m.signals.reliability(b)
    m.step()
    assert m.signals.reliability(b) < before


def test_breaking_is_only_possible_while_the_obligation_is_in_force() -> None:
    m = SummitModel(DATA, seed=0)
    b = m.compiled.actor_index["b"]
    brk = next(a.index for a in m.compiled.actions if a.move == "break_supply_goods")
    for turn in range(1, 5):
        assert (brk in m.observe(b).moves) == (turn == 4)  # signed at 3, breakable after
        m.step()


class _Bad:
    def __init__(self, reply: Any) -> None:
        self.reply = reply

    def decide(self, obs: Any) -> Any:
        return RandomPolicy().decide(obs)

    def consent(self, obs: Any, action: int) -> bool:
        return True

    def bargain(self, obs: Any, talks: Any) -> Any:
        return self.reply


@pytest.mark.parametrize(
    ("reply", "says"),
    [
        (Reply("offer", (99,)), "not a package"),
        (Reply("accept"), "no offer is on the table"),
        ("yes", "not a Reply"),
    ],
)
def test_a_bad_reply_is_an_error_that_names_the_party(reply: Any, says: str) -> None:
    m = SummitModel(DATA, seed=0, policies={"a": _Bad(reply)})
    with pytest.raises(ValueError, match=says) as err:
        m.step()
    assert "Party A" in str(err.value)


def test_a_policy_that_does_not_negotiate_walks_away() -> None:
    class Mute(_Bad):
        bargain = None  # type: ignore[assignment]

    d = summitsim.run(DATA, seed=0, policies={"b": Mute(None)}).to_dict()
    (neg,) = [n for n in d["turns"][1]["negotiations"]]
    assert (neg["outcome"], neg["walked_by"]) == ("walked", "b")


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_random_bargainers_end_within_the_rounds_with_a_valid_package(seed: int) -> None:
    m = SummitModel(DATA, seed=seed, policies={"a": RandomPolicy(), "b": RandomPolicy()})
    while m.running:
        m.step()
    c = m.compiled
    for neg in m.deals.record:
        deal = c.deals[neg.deal]
        assert len([s for s in neg.steps if s.kind == "offer"]) <= deal.rounds
        assert neg.outcome in ("signed", "walked", "expired")
        if neg.outcome == "signed":
            assert neg.package is not None
            assert package_from_terms(deal, deal.describe(neg.package)) == neg.package
    for x, lo, hi in zip(m.ctx.x, c.lo, c.hi, strict=True):
        assert lo <= x <= hi


def test_runs_with_deals_are_deterministic() -> None:
    a = summitsim.run(DATA, seed=7, params={"walk_a": 0.2}).to_json()
    b = summitsim.run(DATA, seed=7, params={"walk_a": 0.2}).to_json()
    assert a == b


BOTH = "        steps: 11\n        options: [{id: x, name: x}, {id: y, name: y}]"


@pytest.mark.parametrize(
    ("swap", "says"),
    [
        ({"parties: [a, b]\n    at_turn: 1": "parties: [a, z]\n    at_turn: 1"}, "unknown party"),
        ({"        steps: 11": BOTH},
         "either options or a range"),
        ({"{variable: supply, delta: 10}": "{variable: supply, dist: normal, mean: 1, sd: 1}"},
         "a flow is a fixed delta"),
        ({"                by: b\n": "                by: c\n"}, "not a party"),
        ({"    at_turn: 3": "    at_turn: 9"}, "after the last turn"),
    ],
)  # fmt: skip
def test_deal_mistakes_are_reported_with_their_place(swap: dict[str, str], says: str) -> None:
    with pytest.raises(ScenarioError, match=says) as err:
        scenario(**swap)
    assert "deal-split.yaml:" in str(err.value)


def test_the_compiled_deal_has_its_packages_and_breaking_move() -> None:
    c = get_compiled(DATA, {})
    split, trade, _ = c.deals
    assert len(split.packages()) == 11 and len(trade.packages()) == 9
    assert [lv.value for lv in split.issues[0].levels] == [float(k) for k in range(11)]
    (ob,) = c.obligations
    assert c.actions[ob.action].move == "break_supply_goods"
    assert c.actions[ob.action].actor == c.actor_index["b"] == ob.by


def test_three_parties_meet_at_the_nash_point_of_equal_shares() -> None:
    # tests/data/deal-three.yaml: A takes x, B takes y, C keeps 9 - x - y (walk-away -0.9,
    # so its surplus is (9 - x - y)/10). The product x y (9 - x - y) peaks at x = y = 3.
    d = summitsim.run(Path(__file__).parent / "data" / "deal-three.yaml", seed=0).to_dict()
    (neg,) = d["turns"][1]["negotiations"]
    assert neg["outcome"] == "signed"
    assert {k: float(v) for k, v in neg["terms"].items()} == {"a": 3.0, "b": 3.0}
    assert {s["actor"] for s in neg["steps"] if s["kind"] == "accept"} == {"a", "b"}
    assert sorted({s["actor"] for s in neg["steps"] if s["kind"] == "offer"}) == ["a", "b", "c"]


RED_LINE = """red_lines:
  greed:
    owner: b
    description: A taking more than 7 of the pot
    trigger: a_share > 7
    credibility: 1.0
    response:
      description: B takes 5 back
      effects: [{variable: a_share, delta: -5}]
outcomes:"""


def test_a_package_that_crosses_a_known_red_line_is_worth_less_by_the_response() -> None:
    from summitsim.engine.deals import package_value

    m = SummitModel(scenario(**{"outcomes:": RED_LINE}), seed=0)
    view = m.turn_view(m._next_ctx())
    c = m.compiled
    split, a = c.deals[0], c.actors[c.actor_index["a"]]
    worth = {x: package_value(view, split, a, (x,)) for x in (7, 8)}
    assert worth[7] == pytest.approx(0.7)
    assert worth[8] == pytest.approx(0.8 - 0.5)  # believed at 1: the response takes 5 back
    (neg,) = [n for n in summitsim.run(m.compiled, seed=0).to_dict()["turns"][1]["negotiations"]]
    assert all(float(s["terms"]["pot"]) <= 7 for s in neg["steps"] if s["terms"])


def test_the_hold_baseline_walks_away_from_every_negotiation() -> None:
    """The backtest's "every actor holds" ensemble: nothing is done, nothing is signed."""
    from summitsim.backtest.play import _policies
    from summitsim.policies import ScriptedPolicy

    c = get_compiled(DATA, {})
    d = summitsim.run(c, seed=0, policies=_policies("hold", c)).to_dict()
    outcomes = [n["outcome"] for t in d["turns"] for n in t.get("negotiations", [])]
    assert outcomes == ["walked"] * 3 and d["deals"] == []
    signed = summitsim.run(c, seed=0, policies={"a": ScriptedPolicy({}), "b": ScriptedPolicy({})})
    assert len(signed.to_dict()["deals"]) == 3  # a script negotiates as the AI does by default
