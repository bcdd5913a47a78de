"""The record of deals as people read it: the CLI narrative, the HTML report, the result
reader and the display names (viz/negotiation.py is the one renderer; the dashboard's panel
is tested with the other dashboard callbacks in test_dashboard.py).

The numbers are those worked out by hand in tests/test_deals.py: the split ends at 5 of 10
with a gain of 0.5 each; the trade at two ports for full fishing, 0.4 each; B's supply of
goods is signed at turn 3 and broken at turn 4.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import summitsim
from summitsim.cli import app
from summitsim.engine.registry import get_compiled
from summitsim.scenario import load_text
from summitsim.viz import negotiation as N
from summitsim.viz.labels import Labels
from summitsim.viz.report import build_report
from summitsim.viz.resultdoc import ResultFormatError, check_result, read_result

DATA = Path(__file__).parent / "data" / "deal-split.yaml"
runner = CliRunner()


def turn_block(out: str, turn: int) -> str:
    """The narrative of one turn: from its heading to the next one (or the outcomes)."""
    start = out.index(f"Turn {turn} ·")
    nxt = out.find(f"Turn {turn + 1} ·", start)
    return out[start : nxt if nxt >= 0 else out.index("Outcomes")]


def narrate(*args: str) -> str:
    res = runner.invoke(app, ["run", str(DATA), *args], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


# ----- the CLI narrative -----------------------------------------------------------------------
def test_the_narrative_shows_each_negotiation_at_its_turn() -> None:
    out = narrate()
    one = turn_block(out, 1)
    assert "Negotiation: The split (Party A, Party B)" in one
    assert "Round 1: Party A opens with A's part of the pot: 9" in one
    assert "Round 2: Party B counters with A's part of the pot: 1" in one
    assert "Round 6: Party A accepts" in one
    assert (
        "Signed: A's part of the pot: 5. Gain over walking away: Party A +0.5, Party B +0.5." in one
    )
    # the negotiation comes before the turn's moves, as it happens before them
    assert one.index("Negotiation:") < one.index("Party A         holds")
    two = turn_block(out, 2)
    assert "Ports for fish" not in one and "Negotiation: Ports for fish" in two
    assert "Signed: Ports opened to A: two ports; Fishing rights for B: full fishing." in two
    assert "Party A +0.4, Party B +0.4" in two
    three = turn_block(out, 3)
    assert "Party B commits: B sends ten goods a turn." in three
    four = turn_block(out, 4)
    assert "Negotiation" not in four
    assert "Party B broke its commitment in Supply for payment: B sends ten goods a turn." in four
    assert "promise" not in out  # a broken commitment is not a promise "not to hold"


def test_the_narrative_shows_who_walked_away() -> None:
    # walk_a 1.5: A needs more than 15 of a pot of 10, so no package beats walking away
    out = narrate("--set", "walk_a=1.5")
    one = turn_block(out, 1)
    assert "Negotiation: The split (Party A, Party B)" in one
    assert "Round 1: Party A walks away — no package is better than no deal" in one
    assert "No deal: Party A walked away." in one
    assert "Signed: A's part" not in out
    assert "Signed: Ports opened to A" in turn_block(out, 2)  # the other deals still happen


def test_validate_counts_the_deals() -> None:
    res = runner.invoke(app, ["validate", str(DATA)], catch_exceptions=False)
    assert res.exit_code == 0
    assert "3 deals (1 obligation)" in res.output


# ----- the words -------------------------------------------------------------------------------
def test_names_come_from_the_scenario_and_ids_are_made_into_words_without_it() -> None:
    spec = get_compiled(DATA, {}).spec
    labels = Labels.from_spec(spec)
    assert labels.deal("trade") == "Ports for fish"
    assert labels.issue("trade", "fish") == "Fishing rights for B"
    assert labels.term("trade", "fish", "all") == "full fishing"
    assert labels.term("split", "pot", "5") == "5"  # a range issue with no unit
    assert labels.name("obligation", "supply_goods") == "B sends ten goods a turn"
    bare = Labels()
    assert bare.deal("trade", "Ports for fish") == "Ports for fish"  # the name a result carries
    assert bare.term("trade", "fish", "all") == "All"
    assert N.terms_text("trade", {"ports": "two", "fish": "all"}, bare) == "Ports: Two; Fish: All"


def test_a_range_issue_shows_its_unit() -> None:
    text = DATA.read_text().replace("        steps: 11\n", "        steps: 11\n        unit: kg\n")
    labels = Labels.from_spec(load_text(text, "deal-split.yaml").spec)
    assert labels.term("split", "pot", "5") == "5 kg"


def test_the_breaking_move_is_named_as_the_engine_names_it() -> None:
    c = get_compiled(DATA, {})
    labels = Labels.from_spec(c.spec)
    for ob in c.obligations:
        action = c.actions[ob.action]
        assert labels.move(action.move) == action.name


def test_a_negotiation_whose_rounds_ran_out() -> None:
    neg = {
        "deal": "split",
        "parties": ["a", "b"],
        "outcome": "expired",
        "steps": [
            {"round": 0, "actor": "a", "kind": "offer", "terms": {"pot": "9"}, "reason": ""},
            {"round": 0, "actor": "b", "kind": "reject", "terms": None, "reason": "too little"},
        ],
    }
    labels = Labels(names={"actor": {"a": "Alpha", "b": "Beta"}})
    assert N.negotiation_lines(neg, labels) == [
        "Negotiation: Split (Alpha, Beta)",
        "Round 1: Alpha opens with Pot: 9",
        "Round 1: Beta rejects the last offer — too little",
        "No deal: the rounds ran out with no agreement.",
    ]
    rows = N.negotiation_rows(neg, labels, turn=2)
    assert [r["step"] for r in rows] == ["opens with", "rejects the last offer", "expired"]
    assert {r["turn"] for r in rows} == {2}


# ----- the report ------------------------------------------------------------------------------
def section(html_text: str, sid: str) -> str:
    start = html_text.index(f'<section id="{sid}">')
    return html_text[start : html_text.index("</section>", start)]


def test_the_report_has_the_negotiations_and_a_deals_section() -> None:
    result = summitsim.run(DATA, seed=0)
    text = build_report(result.to_dict(), scenario=result.compiled.spec)
    deals = section(text, "deals")
    assert "<td>1</td><td>The split</td><td>Party A, Party B</td>" in deals
    assert "<td>A&#x27;s part of the pot: 5</td><td>Party A +0.5, Party B +0.5</td>" in deals
    assert (
        "<td>Supply for payment</td><td>B sends ten goods a turn</td><td>Party B</td>"
        "<td>3</td><td>broken at turn 4</td>" in deals
    )
    said = section(text, "said-vs-did")
    assert "<td>committed, in a deal</td>" in said and "<td>broken</td><td>4</td>" in said
    story = section(text, "narrative")
    turn1 = story[story.index("Turn 1") : story.index("Turn 2")]
    assert "<b>Negotiation: The split (Party A, Party B)</b><ol class='talks'>" in turn1
    assert "<li>Round 1: Party A opens with A&#x27;s part of the pot: 9" in turn1
    turn4 = story[story.index("Turn 4") :]
    assert "Party B broke its commitment in Supply for payment" in turn4
    assert 'href="#deals"' in text


def test_the_report_lists_a_walk_out_and_escapes_names() -> None:
    evil = "<img src=x onerror=alert(1)>"
    text = DATA.read_text().replace("name: The split", f"name: '{evil} & co'")
    text = text.replace("name: full fishing", f"name: '{evil}'")
    scen = load_text(text, "deal-split.yaml")
    walked = summitsim.run(scen, seed=0, params={"walk_a": 1.5})
    page = build_report(walked.to_dict(), scenario=scen.spec)
    assert evil not in page
    deals = section(page, "deals")
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; co — No deal: Party A walked away." in deals
    assert "full fishing" not in page
    assert "Fishing rights for B: &lt;img src=x onerror=alert(1)&gt;</td>" in deals


def test_a_result_from_an_older_version_has_no_deals_section() -> None:
    d = summitsim.run(DATA, seed=0).to_dict()
    for key in ("deals", "said_vs_did"):
        del d[key]
    for t in d["turns"]:
        t.pop("negotiations", None)
    assert check_result(d) is d
    text = build_report(d)
    assert 'id="deals"' not in text and 'id="said-vs-did"' not in text
    assert "Negotiation" not in text


def test_a_result_file_is_read_and_reported_without_its_scenario(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text(summitsim.run(DATA, seed=0).to_json(), encoding="utf-8")
    d = read_result(path)
    text = build_report(d)  # not a bundled scenario: names from the result, ids in words
    deals = section(text, "deals")
    assert "<td>Ports for fish</td>" in deals  # the deal's name travels in the result
    assert "Ports: Two; Fish: All" in deals


@pytest.mark.parametrize(
    ("where", "bad", "says"),
    [
        ("turn", "not a list", "turns.1.negotiations"),
        ("turn", [{"deal": "split"}], "turns.1.negotiations.0.outcome"),
        ("deals", [{"deal": "split", "turn": "first"}], "deals.0.turn"),
        ("said_vs_did", [{"turn": 1}], "said_vs_did.0.actor"),
    ],
)
def test_malformed_deal_entries_are_refused_in_one_line(where: str, bad: Any, says: str) -> None:
    d = json.loads(summitsim.run(DATA, seed=0).to_json())
    if where == "turn":
        d["turns"][1]["negotiations"] = bad
    else:
        d[where] = bad
    with pytest.raises(ResultFormatError, match=says.replace(".", r"\.")) as err:
        check_result(d)
    assert "\n" not in str(err.value)


def test_promises_and_reassurances_read_as_what_was_promised() -> None:
    labels = Labels(names={"actor": {"us": "United States"}, "move": {"invade": "Invade Cuba"}})
    rows = N.said_vs_did_rows(
        [
            {"turn": 2, "actor": "us", "move": "pledge", "kind": "reassure", "status": "kept",
             "resolved_turn": 12, "about_move": "invade", "until_turn": 12},
            {"turn": 3, "actor": "us", "move": "pledge", "kind": "promise", "status": "pending",
             "resolved_turn": None, "about_move": "invade", "until_turn": 5},
        ],
        labels,
    )  # fmt: skip
    assert rows == [
        [2, "United States", "promised not to", "Invade Cuba (until turn 12)", "kept", 12],
        [3, "United States", "promised to", "Invade Cuba (by turn 5)", "pending", None],
    ]


def test_the_offers_of_the_docs_worked_example() -> None:
    """docs/scenarios.md, "Deals": the split's offers 9, 1, 8, 3, 6, 5, then A accepts; the
    trade's: A's (2, 1) three times, B's (1, 2) twice, then B offers (2, 2)."""
    d = summitsim.run(DATA, seed=0).to_dict()
    split, trade, supply = (n for _, n in N.negotiations(d))
    assert [(s["actor"], s["kind"], (s["terms"] or {}).get("pot")) for s in split["steps"]] == [
        ("a", "offer", "9"), ("b", "offer", "1"), ("a", "offer", "8"),
        ("b", "offer", "3"), ("a", "offer", "6"), ("b", "offer", "5"), ("a", "accept", "5"),
    ]  # fmt: skip
    offers = [tuple(s["terms"].values()) for s in trade["steps"] if s["kind"] == "offer"]
    assert offers == [("two", "some"), ("one", "all")] * 2 + [("two", "some"), ("two", "all")]
    assert supply["surplus"] == pytest.approx({"b": 0.11, "a": 0.08})
    assert supply["steps"][1]["reason"] == "worth +0.08, waiting +0.072"


def test_the_narrative_prints_scenario_text_with_brackets_as_written(tmp_path: Path) -> None:
    """Scenario text is printed as text, not read as console markup ("[rs2024]" stays)."""
    text = (Path(__file__).parent / "data" / "deal-split.yaml").read_text()
    text = text.replace("title: Splitting a pot", "title: Splitting a pot [toy]")
    text = text.replace("    name: The split\n", "    name: The split [bold]\n")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    out = CliRunner().invoke(app, ["run", str(path), "--seed", "0"])
    assert out.exit_code == 0, out.output
    assert "Splitting a pot [toy]" in out.output
    assert "The split [bold]" in out.output
