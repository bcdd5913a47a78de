"""Covert moves: their effects happen, others learn of them only when they are detected, and
red lines can be triggered by the detection rather than the act. No observation, and no
team's view of a classroom game, shows another actor's covert move before it is detected."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import summitsim
from summitsim.classroom.game import redact
from summitsim.engine.model import SummitModel
from summitsim.engine.registry import bundled
from summitsim.policies import RandomPolicy
from tests._stats import wilson

COVERT = str(Path(__file__).parent / "data" / "covert.yaml")


def test_a_credible_red_line_on_the_act_pushes_the_move_underground():
    """Beta answers an open shipment for sure but a secret one only when it is found out:
    Alpha ships in secret, and the rationale says what it expects."""
    r = summitsim.run(COVERT, seed=1)
    moves = {r.compiled.action_label(a.action) for a in r.rec.actions if a.actor == 0}
    assert moves == {"ship_secretly"}
    (ant,) = [a for a in r.rec.actions[0].rationale.anticipated if a.alternative == (0,)]
    assert ant.chance == 1.0 and ant.credibility == pytest.approx(1.0)
    (secret,) = [a for a in r.rec.actions[0].rationale.anticipated if a.alternative == (1,)]
    assert secret.chance == pytest.approx(0.3)  # detected this turn with its detection chance


def test_detection_happens_at_its_stated_rate():
    """Each secret shipment is found out on the turn it is made with probability 0.3 (no
    surveillance): measured over many runs of one turn."""
    n = 1500
    found = sum(
        summitsim.run(COVERT, seed=s, turns=1, rationales=False).outcomes["found"] for s in range(n)
    )
    lo, hi = wilson(found / n, n)
    assert lo <= 0.3 <= hi


def test_surveillance_raises_detection():
    """Watching closely adds 0.5 to the chance: with Beta scripted to watch on turn 1, a
    secret shipment that turn is found out 80% of the time."""
    from summitsim.policies import ScriptedPolicy

    c = summitsim.load_scenario(COVERT)
    watch = next(
        k
        for k, a in enumerate(summitsim.engine.registry.get_compiled(c).actions)
        if a.move == "watch_closely"
    )
    n = 800
    found = sum(
        summitsim.run(
            COVERT, seed=s, turns=1, rationales=False, policies={"beta": ScriptedPolicy({1: watch})}
        ).outcomes["found"]
        for s in range(n)
    )
    lo, hi = wilson(found / n, n)
    assert lo <= 0.8 <= hi


def test_the_result_records_when_each_covert_move_was_detected():
    r = summitsim.run(COVERT, seed=1).to_dict()
    covert = [a for t in r["turns"] for a in t["actions"] if a.get("covert")]
    assert covert and all("detected_turn" in a for a in covert)
    found = [a for a in covert if a["detected_turn"] is not None]
    assert found
    for a in found:
        entry = r["turns"][a["detected_turn"]]["detected"]
        assert {"actor": "alpha", "move": "ship_secretly"}.items() <= entry[0].items()


def _covert_leaks(model: SummitModel) -> list[str]:
    """Covert moves of others, not yet detected, that an observation shows."""
    problems = []
    secret = {
        (model.compiled.actors[r.actor].id, model.compiled.action_label(r.action), r.turn)
        for r in model.recorder.covert
        if r.detected is None
    }
    for i, actor in enumerate(model.compiled.actors):
        obs = model.observe(i)
        for who, move, status in obs.seen:
            if who != actor.id and status != "detected" and (who, move, obs.turn - 1) in secret:
                problems.append(f"{actor.id} sees {who}'s {move} in turn {obs.turn}")
    return problems


@settings(max_examples=25, deadline=None)
@given(
    scenario=st.sampled_from([COVERT, *sorted(bundled())]),
    seed=st.integers(0, 10_000),
    randomise=st.booleans(),
)
def test_no_observation_shows_an_undetected_covert_move(scenario, seed, randomise):
    """Property, over every bundled scenario and the covert test scenario: at every turn, no
    actor's observation contains another actor's covert move that has not been detected."""
    c = summitsim.engine.registry.get_compiled(scenario)
    policies = {a.id: RandomPolicy() for a in c.actors} if randomise else {}
    model = SummitModel(c, seed=seed, turns=min(c.turns, 8), collect=False, policies=policies)
    while model.running:
        model.step()
        assert _covert_leaks(model) == []


def test_a_team_view_hides_covert_moves_until_they_are_detected():
    r = summitsim.run(COVERT, seed=1).to_dict()
    team = redact(r, "beta")
    shown = [a for t in team["turns"] for a in t["actions"] if a.get("covert")]
    assert shown and all(a["detected_turn"] is not None for a in shown)
    hidden = [
        a
        for t in r["turns"]
        for a in t["actions"]
        if a.get("covert") and a["detected_turn"] is None
    ]
    assert hidden
    for t, t2 in zip(r["turns"], team["turns"], strict=True):
        secret = sum(
            a["escalation"] for a in t["actions"] if a.get("covert") and a["detected_turn"] is None
        )
        if "escalation" in t:
            assert t2["escalation"]["alpha"] == pytest.approx(t["escalation"]["alpha"] - secret)
    own = [a for t in redact(r, "alpha")["turns"] for a in t["actions"] if a.get("covert")]
    assert len(own) == len(hidden) + len(shown)  # Alpha sees all its own


def test_the_worked_example_of_the_docs():
    """docs/scenarios.md, "Covert moves": open −1.5, secret +0.15, hold 0; with seed 0 the
    shipment of turn 2 is found out in turn 4 and the relation ends at −0.1."""
    d = summitsim.run(COVERT, seed=0).to_dict()
    why = d["turns"][1]["actions"][0]["rationale"]
    alts = {a["move"]: a["expected_utility"] for a in why["alternatives"]}
    assert alts == pytest.approx({"hold": 0.0, "ship_openly": -1.5, "ship_secretly": 0.15})
    assert d["turns"][4]["detected"] == [
        {"actor": "alpha", "move": "ship_secretly", "turn_taken": 2}
    ]
    assert d["turns"][-1]["state"]["rel:alpha:beta"] == pytest.approx(-0.1)
