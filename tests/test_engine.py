"""The turn engine on a tiny scenario whose numbers can be worked out by hand.

Alpha's push raises v by `gain` (utility +gain/100). Beta's red line answers any push with
`punish` (v -30, utility -0.30 to Alpha) with probability `cred`. So Alpha's expected utility
of pushing is gain/100 - 0.30 * cred, and holding is worth 0.
"""

from __future__ import annotations

import functools
import math

import mesa
import pytest

import summitsim
from summitsim.engine.model import SummitModel
from summitsim.policies import HumanPolicy, RandomPolicy, ScriptedPolicy
from summitsim.scenario import load_text
from tests.minimal import MINIMAL


@functools.cache
def tiny(text: str = MINIMAL):
    return load_text(text, "tiny.yaml")


def moves_of(result, actor="a"):
    return [
        (r.turn, result.compiled.action_label(r.action))
        for r in result.rec.actions
        if result.compiled.actors[r.actor].id == actor and r.by != "red_line"
    ]


def test_credible_red_line_deters_and_the_rationale_says_why():
    r = summitsim.run(tiny(), seed=1, params={"cred": 1.0})
    assert [m for _, m in moves_of(r)] == ["hold", "hold", "hold"]
    rat = r.rec.actions[0].rationale
    assert rat.alternatives == [(), (0,)]
    assert rat.eu == pytest.approx([0.0, 0.10 - 0.30])
    assert rat.eu_plain == pytest.approx([0.0, 0.10])
    (ant,) = rat.anticipated
    assert ant.credibility == pytest.approx(1.0) and ant.worth == pytest.approx(-0.30)
    sentence = r.sentence(r.rec.actions[0])
    assert "held back from the move to push" in sentence
    assert "credibility 1.00" in sentence and "-0.30" in sentence


def test_incredible_red_line_is_crossed_and_not_answered():
    r = summitsim.run(tiny(), seed=1, params={"cred": 0.0})
    assert [m for _, m in moves_of(r)] == ["push", "push", "push"]
    assert r.rec.states[-1][0] == pytest.approx(80.0)
    d = r.to_dict()
    (event,) = d["turns"][1]["red_lines"]
    assert event == {
        "owner": "b",
        "red_line": "no_push",
        "status": "crossed",
        "crossed_by": ["a"],
        "responded": False,
    }
    assert r.first_crossed() == {"no_push": 1}
    assert r.outcomes == {"pushed": True, "v_end": 80.0}


def test_threshold_credibility_worked_by_hand():
    # gain 10: pushing pays while 0.10 - 0.30 * cred > 0, i.e. cred < 1/3.
    assert moves_of(summitsim.run(tiny(), seed=0, params={"cred": 0.32}))[0][1] == "push"
    assert moves_of(summitsim.run(tiny(), seed=0, params={"cred": 0.34}))[0][1] == "hold"
    # a bigger gain moves the threshold: gain 20 -> cred < 2/3.
    assert moves_of(summitsim.run(tiny(), seed=0, params={"cred": 0.6, "gain": 20}))[0][1] == "push"


def test_response_follows_credibility_over_many_seeds():
    n, cred = 1500, 0.25
    answered = sum(
        summitsim.run(tiny(), seed=s, params={"cred": cred}).to_dict()["turns"][1]["red_lines"][0][
            "responded"
        ]
        for s in range(n)
    )
    se = math.sqrt(cred * (1 - cred) / n)
    assert abs(answered / n - cred) < 4 * se  # 4 standard errors: a false alarm ~1 in 16,000


def test_response_move_is_applied_and_recorded():
    seed = next(
        s
        for s in range(200)
        if summitsim.run(tiny(), seed=s, params={"cred": 0.25}).to_dict()["turns"][1]["red_lines"][
            0
        ]["responded"]
    )
    r = summitsim.run(tiny(), seed=seed, params={"cred": 0.25})
    t1 = r.to_dict()["turns"][1]
    assert t1["state"]["v"] == pytest.approx(50 + 10 - 30)
    assert {"actor": "b", "move": "punish", "by": "red_line"}.items() <= t1["actions"][-1].items()
    assert t1["escalation"] == {"a": 4.0, "b": 12.0}


def test_beliefs_update_when_a_red_line_is_tested():
    m = SummitModel(tiny(), seed=3, collect=False, cred=0.25)
    k = m.compiled.belief_strength
    before = m.belief(0, 0)
    m.step()
    responded = m.recorder.red_lines[0].responded
    after = m.belief(0, 0)
    expected = (0.25 * k + responded) / (k + 1)
    assert before == pytest.approx(0.25) and after == pytest.approx(expected)


def test_private_red_line_is_not_anticipated_until_revealed():
    text = MINIMAL.replace(
        "      moves: [punish]\n", "      moves: [punish]\n    public: false\n    once: false\n"
    )
    r = summitsim.run(tiny(text), seed=0, params={"cred": 1.0})
    # turn 1: Alpha does not know the red line, pushes, and is punished; then it knows.
    assert [m for _, m in moves_of(r)] == ["push", "hold", "hold"]
    assert r.rec.actions[0].rationale.anticipated == []
    assert r.rec.actions[-2].rationale.anticipated[0].credibility == pytest.approx(1.0)


def test_quantal_response_probabilities_worked_by_hand():
    text = MINIMAL.replace(
        "profile: {rationality: inf, foresight: 1}\n    interests:\n      - {kind: raise",
        "profile: {rationality: 1, foresight: 1}\n    interests:\n      - {kind: raise",
        1,
    )
    r = summitsim.run(tiny(text), seed=0, params={"cred": 0.0})
    probs = r.rec.actions[0].rationale.probs
    # Scale-free: the gap between the best and the worst option (0.1 here) counts as one unit,
    # so at rationality 1 the better option is e^1 times as likely as the worse.
    p_push = math.exp(1) / (1 + math.exp(1))
    assert probs == pytest.approx([1 - p_push, p_push])
    n = 2000
    pushes = sum(
        moves_of(summitsim.run(tiny(text), seed=s, params={"cred": 0.0}))[0][1] == "push"
        for s in range(n)
    )
    assert abs(pushes / n - p_push) < 4 * math.sqrt(p_push * (1 - p_push) / n)


def test_ties_break_deterministically_toward_holding():
    r = summitsim.run(tiny(), seed=0, params={"cred": 0.0, "gain": 0})
    assert [m for _, m in moves_of(r)] == ["hold", "hold", "hold"]


def test_bounds_hold():
    r = summitsim.run(tiny(), seed=0, params={"cred": 0.0, "gain": 50})
    assert [row[0] for row in r.rec.states] == [50, 100, 100, 100]


def test_consent_refused_when_the_partner_loses():
    text = MINIMAL.replace(
        "    by: a\n    escalation: 4\n", "    by: a\n    consent: b\n    escalation: 4\n"
    )
    r = summitsim.run(tiny(text), seed=0, params={"cred": 0.0})
    # Beta loses from v rising, so it refuses; Alpha foresees that and holds.
    assert [m for _, m in moves_of(r)] == ["hold", "hold", "hold"]
    assert r.rec.actions[0].rationale.expected_refusal == [0]
    forced = summitsim.run(
        tiny(text), seed=0, params={"cred": 0.0}, policies={"a": ScriptedPolicy({1: 0})}
    )
    assert forced.rec.actions[0].status == "refused"
    assert forced.rec.states[1][0] == 50


def test_delayed_effects_land_later():
    text = MINIMAL.replace(
        "      - {variable: v, delta: gain}", "      - {variable: v, delta: gain, delay: 2}"
    )
    r = summitsim.run(
        tiny(text), seed=0, params={"cred": 0.0}, policies={"a": ScriptedPolicy({1: 0})}
    )
    assert [row[0] for row in r.rec.states] == [50, 50, 50, 60]


def test_random_effects_are_drawn_from_the_model_generator():
    text = MINIMAL.replace(
        "      - {variable: v, delta: gain}",
        "      - {variable: v, dist: bernoulli, p: 0.5, amount: 10}",
    )
    n = 1000
    hits = sum(
        summitsim.run(
            tiny(text),
            seed=s,
            params={"cred": 0.0},
            turns=1,
            policies={"a": ScriptedPolicy({1: 0})},
        ).rec.states[1][0]
        == 60
        for s in range(n)
    )
    assert abs(hits / n - 0.5) < 4 * math.sqrt(0.25 / n)


def test_scripted_human_and_random_policies():
    scripted = summitsim.run(
        tiny(), seed=0, params={"cred": 1.0}, policies={"a": ScriptedPolicy({2: 0})}
    )
    assert [m for _, m in moves_of(scripted)] == ["hold", "push", "hold"]
    assert scripted.rec.actions[2].by == "script"
    human = summitsim.run(
        tiny(),
        seed=0,
        params={"cred": 1.0},
        policies={"a": HumanPolicy(moves={1: (0, "testing their resolve")})},
    )
    assert human.rec.actions[0].by == "human"
    assert human.action_dict(human.rec.actions[0])["rationale"]["justification"] == (
        "testing their resolve"
    )
    with pytest.raises(ValueError, match="not allowed"):
        summitsim.run(tiny(), seed=0, policies={"a": HumanPolicy(moves={1: (1, "")})})
    rnd = summitsim.run(tiny(), seed=0, policies={"a": RandomPolicy()})
    assert all(r.by == "random" for r in rnd.rec.actions if r.actor == 0)


def test_instructor_events():
    r = summitsim.run(
        tiny(), seed=0, params={"cred": 1.0}, events=[{"turn": 2, "variable": "w", "delta": 7}]
    )
    assert [row[1] for row in r.rec.states] == [0, 0, 7, 7]
    with pytest.raises(ValueError, match="unknown variable"):
        summitsim.run(tiny(), events=[{"turn": 1, "variable": "zz", "delta": 1}])


def test_model_builds_like_batch_run_does(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(MINIMAL)
    rows = mesa.batch_run(
        SummitModel,
        {"scenario": str(path), "seed": [1, 2], "cred": [0.0, 1.0]},
        number_processes=1,
        display_progress=False,
    )
    # mesa 3.3 labels the last row Step 2 (steps - 1), mesa 3.5 labels it by model time (3.0);
    # either way it must hold the final state.
    assert len(rows) == 4
    for row in rows:
        final = summitsim.run(tiny(), seed=row["seed"], params={"cred": row["cred"]})
        assert row["pushed"] == final.outcomes["pushed"] == (row["cred"] == 0.0)
        assert row["v_end"] == final.outcomes["v_end"]


def test_unknown_or_out_of_range_parameters_are_refused():
    from summitsim.engine.compiled import ParamError

    with pytest.raises(ParamError, match="unknown parameter 'nope'"):
        summitsim.run(tiny(), params={"nope": 1})
    with pytest.raises(ParamError, match="outside range"):
        summitsim.run(tiny(), params={"cred": 2})
    with pytest.raises(ParamError, match="not a valid float"):
        summitsim.run(tiny(), params={"cred": "high"})


def test_a_policy_choosing_an_illegal_option_leaves_the_model_as_it_was():
    from summitsim.engine.model import SummitModel
    from summitsim.policies import RandomPolicy

    class Bad(RandomPolicy):
        def decide(self, obs):
            d = super().decide(obs)
            d.option = (10_000,)
            return d

    m = SummitModel("hanoi-2019", seed=3, collect=False)
    m.step()
    before = (m.ctx.turn, tuple(m.ctx.x), list(m.ctx.did), m.random.getstate())
    m.agents_by_index[1].policy = Bad()
    with pytest.raises(ValueError, match="not one of its legal options"):
        m.step()
    assert (m.ctx.turn, tuple(m.ctx.x), list(m.ctx.did), m.random.getstate()) == before
    assert m.view is None
