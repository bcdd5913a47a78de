"""The record check kinds ``deal`` and ``detected``: evaluated on small scenarios whose
outcomes are known (tests/data/deal-split.yaml: the split of 5, the trade of two ports for
full fishing, the supply taken on at turn 3 and broken at turn 4, all worked out by hand in
tests/test_deals.py; tests/data/covert.yaml: secret shipments found at random, checked
against each run's own record), and bad records reported at FILE:LINE:COL."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import summitsim
from summitsim.backtest import checks as ck
from summitsim.backtest.record import load_record_text
from summitsim.cli import app
from summitsim.engine.registry import get_compiled
from summitsim.scenario import ScenarioError, load_text

DATA = Path(__file__).parent / "data"
DEALS = DATA / "deal-split.yaml"
COVERT = DATA / "covert.yaml"
runner = CliRunner()


def evaluate(scenario: Any, check: dict[str, Any], seed: int = 0, **params: Any) -> bool:
    model = ck.KINDS[check["kind"]].model.model_validate(check)
    kind = ck.kind_of(model)
    compiled = get_compiled(scenario, params)
    f = kind.compile(model, ck.Env.of(compiled), kind.window(model, compiled.spec.meta.turns))
    return f(ck.Trace(summitsim.run(compiled, seed=seed, rationales=False)))


@pytest.fixture(scope="module")
def deals() -> Any:
    return summitsim.load_scenario(DEALS)


@pytest.fixture(scope="module")
def covert() -> Any:
    return summitsim.load_scenario(COVERT)


# ----- deal: on runs whose negotiations are solved by hand ---------------------------------
SPLIT = {"kind": "deal", "deal": "split"}
TRADE = {"kind": "deal", "deal": "trade"}
SUPPLY = {"kind": "deal", "deal": "supply", "obligation": "supply_goods"}


@pytest.mark.parametrize(
    ("check", "holds"),
    [
        ({**SPLIT}, True),
        ({**SPLIT, "by_turn": 1}, True),
        ({**SPLIT, "within": [2, 4]}, False),  # signed at turn 1, not later
        ({**SPLIT, "signed": False, "within": [2, 4]}, True),
        ({**SPLIT, "terms": {"pot": 5}}, True),
        ({**SPLIT, "terms": {"pot": "5"}}, True),
        ({**SPLIT, "terms": {"pot": 6}}, False),
        ({**SPLIT, "terms": {"pot": [4, 6]}}, False),
        ({**SPLIT, "terms": {"pot": [4, 5]}}, True),
        ({**SPLIT, "terms": {"pot": {"at_least": 4, "at_most": 6}}}, True),
        ({**SPLIT, "terms": {"pot": {"at_least": 6}}}, False),
        ({**SPLIT, "terms": {"pot": 6}, "signed": False}, True),  # not on those terms
        ({**TRADE, "at_turn": 2, "terms": {"ports": "two", "fish": "all"}}, True),
        ({**TRADE, "terms": {"ports": ["none", "one"]}}, False),
        ({**TRADE, "terms": {"fish": "all"}}, True),  # issues left out are not checked
        ({**TRADE, "by_turn": 1}, False),
        ({**SUPPLY, "broken": True}, True),
        ({**SUPPLY, "broken": True, "at_turn": 4}, True),
        ({**SUPPLY, "broken": True, "by_turn": 3}, False),
        ({**SUPPLY, "broken": False, "by_turn": 3}, True),  # taken on at 3, broken at 4
        ({**SUPPLY, "broken": False, "by_turn": 2}, False),  # not yet taken on
        ({**SUPPLY, "broken": False}, False),
    ],
)
def test_deal_checks_on_the_hand_solved_negotiations(deals, check, holds):
    assert evaluate(deals, check) is holds


def test_a_kept_obligation_and_no_deal(deals):
    text = "                description: B sends ten goods a turn\n"
    costly = load_text(DEALS.read_text().replace(text, text + "                break_cost: 1\n"))
    assert evaluate(costly, {**SUPPLY, "broken": False}) is True
    assert evaluate(costly, {**SUPPLY, "broken": True}) is False
    # with A's walk-away worth more than the whole pot, no split is better for both
    assert evaluate(deals, SPLIT, walk_a=1.5) is False
    assert evaluate(deals, {**SPLIT, "signed": False}, walk_a=1.5) is True


# ----- detected: against each run's own record ----------------------------------------------
def test_detected_checks_follow_the_run(covert):
    seen = {True: 0, False: 0}
    for seed in range(12):
        d = summitsim.run(covert, seed=seed, rationales=False).to_dict()
        found = [t["turn"] for t in d["turns"] for _ in t.get("detected", [])]
        for k in (1, 3, 6):
            early = any(t <= k for t in found)
            seen[early] += 1
            check = {"kind": "detected", "actor": "alpha", "move": "ship_secretly", "by_turn": k}
            assert evaluate(covert, check, seed) is early
            assert evaluate(covert, {**check, "detected": False}, seed) is not early
            anything = {"kind": "detected", "actor": "alpha", "by_turn": k}
            assert evaluate(covert, anything, seed) is early
        late = any(3 <= t <= 5 for t in found)
        check = {"kind": "detected", "actor": "alpha", "within": [3, 5]}
        assert evaluate(covert, check, seed) is late
    assert seen[True] and seen[False]  # both outcomes occur: the check is tested both ways


def test_nothing_is_detected_when_nothing_is_done_covertly(covert):
    from summitsim.policies import ScriptedPolicy

    compiled = get_compiled(covert, {})
    result = summitsim.run(compiled, seed=0, policies={"alpha": ScriptedPolicy({})})
    for detected in (True, False):
        check = {"kind": "detected", "actor": "alpha", "detected": detected}
        model = ck.DetectedCheck.model_validate(check)
        f = ck.kind_of(model).compile(model, ck.Env.of(compiled), (1, 6))
        assert f(ck.Trace(result)) is not detected


# ----- records: good and bad --------------------------------------------------------------------
GOOD = """\
scenario: deal-split-test
title: What the parties did
sources:
  - {id: s1, title: A report, publisher: The tests, date: "2024-06-01"}
entries:
  - id: split
    date: "2024-01-15"
    summary: The pot was split evenly.
    sources: [s1]
    confidence: high
    check: {kind: deal, deal: split, by_turn: 1, terms: {pot: 5}}
  - id: supply_broken
    date: "2024-04-10"
    summary: B stopped the supply.
    sources: [s1]
    confidence: 0.8
    check: {kind: deal, deal: supply, obligation: supply_goods, broken: true, within: [4, 4]}
"""

COVERT_GOOD = """\
scenario: covert-test
title: What was found
sources:
  - {id: s1, title: A report, publisher: The tests, date: "2024-06-01"}
entries:
  - id: found
    date: "2024-03-10"
    summary: A secret shipment was found.
    sources: [s1]
    confidence: 0.8
    check: {kind: detected, actor: alpha, move: ship_secretly, by_turn: 3}
"""


def problems(text: str, scenario: Any) -> list[str]:
    with pytest.raises(ScenarioError) as exc:
        load_record_text(text, scenario, "rec.yaml", dt.date(2025, 1, 1))
    return exc.value.problems


def test_good_records_load_and_read(deals, covert):
    from summitsim.viz.labels import Labels

    rec = load_record_text(GOOD, deals, "rec.yaml", dt.date(2025, 1, 1))
    words = [e.describe(Labels.from_spec(deals.spec)) for e in rec.entries]
    assert words == [
        "The split signed on pot 5 (turn 1)",
        "Supply for payment: obligation supply_goods broken (turn 4)",
    ]
    rec = load_record_text(COVERT_GOOD, covert, "rec.yaml", dt.date(2025, 1, 1))
    (entry,) = rec.entries
    assert entry.describe(Labels.from_spec(covert.spec)) == (
        "Alpha: Ship parts in secret detected (by turn 3)"
    )


DEAL_CHECK = "{kind: deal, deal: split, by_turn: 1, terms: {pot: 5}}"
OB_CHECK = "{kind: deal, deal: supply, obligation: supply_goods, broken: true, within: [4, 4]}"
BAD_DEALS = [
    ("unknown deal", DEAL_CHECK, "{kind: deal, deal: spilt, by_turn: 1}",
     "unknown deal 'spilt' (deals: split, trade, supply)"),
    ("unknown issue", DEAL_CHECK, "{kind: deal, deal: split, by_turn: 1, terms: {pie: 5}}",
     "deal 'split' has no issue 'pie' (issues: pot)"),
    ("not a level of a range", DEAL_CHECK,
     "{kind: deal, deal: split, by_turn: 1, terms: {pot: 5.5}}", "5.5 is not one of its levels"),
    ("unknown option", DEAL_CHECK,
     "{kind: deal, deal: trade, within: [1, 2], terms: {ports: three}}",
     "'three' is not one of its options (none, one, two)"),
    ("a range on an option issue", DEAL_CHECK,
     "{kind: deal, deal: trade, within: [1, 2], terms: {ports: {at_least: 1}}}",
     "at_least/at_most need a range issue"),
    ("a range with no level", DEAL_CHECK,
     "{kind: deal, deal: split, by_turn: 1, terms: {pot: {at_least: 10.5}}}",
     "no level lies in that range"),
    ("an upside-down range", DEAL_CHECK,
     "{kind: deal, deal: split, by_turn: 1, terms: {pot: {at_least: 6, at_most: 4}}}",
     "at_least 6 is above at_most 4"),
    ("unknown obligation", OB_CHECK, OB_CHECK.replace("supply_goods", "supply_food"),
     "deal 'supply' creates no obligation 'supply_food' (its obligations: supply_goods)"),
    ("another deal's obligation", OB_CHECK, OB_CHECK.replace("deal: supply", "deal: trade"),
     "deal 'trade' creates no obligation 'supply_goods' (its obligations: (none))"),
    ("obligation without broken", OB_CHECK, OB_CHECK.replace(", broken: true", ""),
     "say broken: true (broken) or false (kept)"),
    ("broken without obligation", DEAL_CHECK,
     DEAL_CHECK.replace("by_turn", "broken: true, by_turn"), "broken goes with obligation"),
    ("terms and obligation", OB_CHECK, OB_CHECK.replace("within", "terms: {supply: none}, within"),
     "give terms or obligation, not both"),
    ("unsigned with an obligation", OB_CHECK, OB_CHECK.replace("within", "signed: false, within"),
     "can be neither kept nor broken"),
    ("unknown key", DEAL_CHECK, DEAL_CHECK.replace("by_turn", "colour: red, by_turn"),
     "colour: unknown key"),
]  # fmt: skip


def line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


@pytest.mark.parametrize(("what", "old", "new", "words"), BAD_DEALS, ids=[b[0] for b in BAD_DEALS])
def test_bad_deal_checks_point_at_the_problem(deals, what, old, new, words):
    assert old in GOOD
    text = GOOD.replace(old, new)
    found = problems(text, deals)
    assert any(words in p for p in found), found
    line = line_of(text, new)
    assert any(re.match(rf"rec\.yaml:{line}:\d+: ", p) for p in found), (line, found)


COVERT_CHECK = "{kind: detected, actor: alpha, move: ship_secretly, by_turn: 3}"
BAD_DETECTED = [
    ("unknown actor", COVERT_CHECK.replace("alpha", "gamma"), "unknown actor 'gamma'"),
    ("unknown actor, any move", "{kind: detected, actor: gamma}", "unknown actor 'gamma'"),
    ("unknown move", COVERT_CHECK.replace("ship_secretly", "ship_quietly"),
     "unknown move 'ship_quietly'"),
    ("another actor's move", COVERT_CHECK.replace("alpha", "beta"),
     "'beta' cannot take move 'ship_secretly'"),
    ("a move that is not covert", COVERT_CHECK.replace("ship_secretly", "ship_openly"),
     "move 'ship_openly' is not covert"),
    ("an actor with no covert move", "{kind: detected, actor: beta, by_turn: 3}",
     "'beta' has no covert move"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "new", "words"), BAD_DETECTED, ids=[b[0] for b in BAD_DETECTED])
def test_bad_detected_checks_point_at_the_problem(covert, what, new, words):
    text = COVERT_GOOD.replace(COVERT_CHECK, new)
    found = problems(text, covert)
    assert any(words in p for p in found), found
    line = line_of(text, new)
    assert any(re.match(rf"rec\.yaml:{line}:\d+: ", p) for p in found), (line, found)


def test_a_bad_deal_check_exits_2_on_the_command_line(tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(GOOD.replace("deal: split", "deal: spilt"), encoding="utf-8")
    res = runner.invoke(app, ["backtest", str(DEALS), "--record", str(good), "--check"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["backtest", str(DEALS), "--record", str(bad), "--check"])
    assert res.exit_code == 2
    line = line_of(bad.read_text(), "deal: spilt")
    assert re.search(rf"{re.escape(str(bad))}:{line}:\d+: .*unknown deal 'spilt'", res.output)
    assert "Traceback" not in res.output
