"""Background drift (``injects: {kind: drift}``) changes the state like an inject, but is
recorded apart from events: per turn under ``drift``, once per run in the result's ``drift``
summary, and said once (not each turn) in the narrative."""

from __future__ import annotations

import summitsim
from summitsim.cli.narrate import drift_lines
from summitsim.scenario import load_text
from tests.minimal import MINIMAL

DRIFT = MINIMAL.replace(
    "outcomes:",
    """injects:
  erosion:
    name: v erodes
    description: v falls by 2 every turn
    kind: drift
    when: "True"
    once: false
    effects: [{variable: w, delta: 2}]
  late:
    name: v jumps late
    description: a one-off event
    kind: drift
    when: "turn >= 3"
    once: false
    effects: [{variable: w, delta: 10}]
  news:
    name: News
    description: an event
    at_turn: 2
    effects: [{variable: w, delta: 1}]
outcomes:""",
)


def test_drift_changes_the_state_but_is_not_an_event():
    r = summitsim.run(load_text(DRIFT, "tiny.yaml"), seed=1)
    assert r.states["w"].tolist() == [0, 2, 5, 17]  # 2 a turn, +1 at turn 2, +10 at turn 3
    d = r.to_dict()
    assert [t.get("drift", []) for t in d["turns"]] == [
        [],
        ["erosion"],
        ["erosion"],
        ["erosion", "late"],
    ]
    assert [[i["inject"] for i in t["injects"]] for t in d["turns"]] == [[], [], ["news"], []]
    assert all(a["by"] != "inject" or a["move"] == "news" for t in d["turns"] for a in t["actions"])
    assert [(x["drift"], x["turns"], x["first_turn"], x["last_turn"]) for x in d["drift"]] == [
        ("erosion", 3, 1, 3),
        ("late", 1, 3, 3),
    ]


def test_the_narrative_says_drift_once():
    r = summitsim.run(load_text(DRIFT, "tiny.yaml"), seed=1)
    lines = drift_lines(r)
    assert lines[0].startswith("Background drift")
    assert "v erodes (every turn)" in lines[1] and "v jumps late (on 1 of 3 turns)" in lines[2]
    assert drift_lines(summitsim.run(load_text(MINIMAL, "tiny.yaml"), seed=1)) == []
