"""The PettingZoo environment (summitsim.env): PettingZoo's own API and seed tests on every
bundled scenario, and the environment's promises: masks, rewards, determinism, and that it
plays the engine's run exactly, through the public policy boundary only."""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from importlib.util import find_spec

import numpy as np
import pytest

from summitsim.engine.deals import Reply
from summitsim.engine.registry import bundled, get_compiled
from tests.conftest import ROOT, need

HAVE_RL = find_spec("pettingzoo") is not None and find_spec("gymnasium") is not None
if HAVE_RL:
    from pettingzoo.test import (
        api_test,
        parallel_api_test,
        parallel_seed_test,
        seed_test,
        state_test,
    )

    from summitsim.env import IllegalActionError, env, parallel_env

SCENARIOS = list(bundled())

# PettingZoo's tests warn about choices this environment makes on purpose: agents are named by
# actor id ("south_korea", not "player_0"); observations are {"observation", "action_mask"}
# dicts, PettingZoo's own convention for masked actions (its chess and go envs do the same),
# and the masks differ in size because actors have different numbers of options. A scenario
# may also start from an all-zero state (the one-turn matrix games: every variable at its
# lower bound, at turn 0, with no red lines). Any other warning (e.g. "Live agent was not
# given observation") fails the test.
EXPECTED_WARNINGS = [
    "We recommend agents to be named",
    "Observation is not a NumPy array",
    "Observation space for each agent probably should be",
    "Agents have different observation space sizes",
    "Observation numpy array is all zeros",
    "State numpy array is all zeros",
]


@contextlib.contextmanager
def only_expected_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for message in EXPECTED_WARNINGS:
            warnings.filterwarnings("ignore", message=re.escape(message), category=UserWarning)
        yield


@pytest.fixture(autouse=True)
def _rl_extra():
    need(HAVE_RL, "pettingzoo and gymnasium (the rl extra: uv sync --extra rl)")


def whole_run(scenario: str) -> int:
    """Cycles enough to play a whole run (a bundled run is a few dozen turns, ~0.1 s)."""
    return get_compiled(scenario).turns + 1


def utility(actor, x) -> float:
    """An actor's utility, from its interest terms (independently of the environment)."""
    return sum(t.value(x[t.slot]) for t in actor.terms)


def random_actions(e, observations, rng):
    return {a: int(rng.choice(np.flatnonzero(observations[a]["action_mask"]))) for a in e.agents}


# ----- PettingZoo's own tests -------------------------------------------------------------
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_pettingzoo_api_test(scenario):
    with only_expected_warnings():
        api_test(env(scenario), num_cycles=whole_run(scenario))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_pettingzoo_parallel_api_test(scenario):
    with only_expected_warnings():
        parallel_api_test(parallel_env(scenario), num_cycles=whole_run(scenario))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_pettingzoo_seed_test(scenario):
    with only_expected_warnings():
        seed_test(lambda: env(scenario), num_cycles=whole_run(scenario))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_pettingzoo_parallel_seed_test(scenario):
    # PettingZoo's parallel seed test samples actions without the action mask, so it would
    # pick illegal options, which raise by default: here they are played as hold. (It also
    # stops after one turn: `any(terminations)` is true of any non-empty dict of agents. The
    # whole-run determinism test below makes up for that.)
    with only_expected_warnings():
        parallel_seed_test(
            lambda: parallel_env(scenario, illegal="hold"), num_cycles=whole_run(scenario)
        )


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_pettingzoo_state_test(scenario):
    # Also samples without the mask (see above).
    with only_expected_warnings():
        state_test(
            env(scenario, illegal="hold"),
            parallel_env(scenario, illegal="hold"),
            num_cycles=whole_run(scenario),
        )


# ----- spaces and masks ----------------------------------------------------------------------
@pytest.mark.parametrize("scenario", ["pyongyang-2024", "cuba-1962"])
def test_action_space_enumerates_every_option_once(scenario):
    e = parallel_env(scenario)
    c = e.compiled
    for agent in e.possible_agents:
        actor = c.actors[c.actor_index[agent]]
        options = e.options(agent)
        assert options[0] == ()
        assert len(set(options)) == len(options) == e.action_space(agent).n
        singles = [o for o in options if len(o) == 1]
        assert singles == [(k,) for k in actor.actions]  # hold, then each move in order
        for o in options:
            assert len(o) <= actor.capacity
            channels = [c.actions[k].channel for k in o if c.actions[k].channel is not None]
            assert len(channels) == len(set(channels))
    if scenario == "pyongyang-2024":
        # Russia takes one move a turn: hold, its six moves and the two aid commitments
        # it could break
        assert e.action_space("russia").n == 9
        assert not any("+" in label for label in e.action_labels("russia"))
        return
    # Washington makes two moves a turn, one per channel: 5 military and 3 diplomatic
    # moves, 15 allowed pairs.
    assert e.action_space("united_states").n == 1 + 8 + 15
    labels = e.action_labels("united_states")
    assert "step_up_surveillance+warn_publicly" in labels
    assert "warn_publicly+take_to_un" not in labels  # one channel
    assert "quarantine+air_strike" not in labels  # one channel
    assert e.action_of("united_states", "step_up_surveillance+warn_publicly") == labels.index(
        "step_up_surveillance+warn_publicly"
    )
    assert e.action_space("cuba").n == 3  # one move a turn: hold or one of two


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_masks_are_exactly_the_legal_options_each_turn(scenario):
    e = parallel_env(scenario)
    observations, _ = e.reset(seed=3)
    rng = np.random.default_rng(3)
    while e.agents:
        model = e.model
        for agent in e.agents:
            legal = set(model.observe(e.compiled.actor_index[agent]).options)
            mask = observations[agent]["action_mask"]
            assert mask.dtype == np.int8
            assert [bool(v) for v in mask] == [o in legal for o in e.options(agent)]
            assert mask[0] == 1  # hold is always legal
            assert e.observation_space(agent).contains(observations[agent])
        observations, *_ = e.step(random_actions(e, observations, rng))


def test_observation_vector():
    e = parallel_env("pyongyang-2024", agents=["south_korea", "russia"])
    observations, _ = e.reset(seed=1)
    c = e.compiled
    names = e.observation_names()
    x = e.model.ctx.x  # the start, with the summit's deal signed (talks precede turn 1's moves)
    assert x != c.x0 and e.model.deals.signed
    for agent in e.agents:
        vec = observations[agent]["observation"]
        assert vec.dtype == np.float32 and vec.shape == (len(names),)
        for k, slot in enumerate(c.slots):
            expected = (x[k] - c.lo[k]) / (c.hi[k] - c.lo[k])
            assert vec[names.index(slot)] == pytest.approx(expected, abs=1e-6)
        assert vec[names.index("turn")] == 0.0
    # Seoul's red line is public: everyone knows it; Washington's is private.
    seoul = observations["south_korea"]["observation"]
    russia = observations["russia"]["observation"]
    credibility = c.red_lines[0].credibility
    assert c.red_lines[0].id == "seoul_missile_tech"
    assert seoul[names.index("knows:seoul_missile_tech")] == 1.0
    assert seoul[names.index("belief:seoul_missile_tech")] == pytest.approx(credibility)
    assert russia[names.index("knows:seoul_missile_tech")] == 1.0
    assert russia[names.index("knows:washington_satellites")] == 0.0
    assert russia[names.index("belief:washington_satellites")] == 0.0
    observations, *_ = e.step({"south_korea": 0, "russia": 0})
    assert observations["russia"]["observation"][names.index("turn")] == pytest.approx(1 / 24)


# ----- rewards ---------------------------------------------------------------------------------
@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("costs", [True, False])
def test_rewards_add_up_to_the_utility_difference(scenario, costs):
    """Over a run, an agent's rewards add up to its utility at the end less its utility at the
    start, less (by default) the costs of its moves."""
    e = parallel_env(scenario, costs=costs)
    c = e.compiled
    observations, _ = e.reset(seed=11)
    start = list(c.x0)  # before the first turn's talks (their deal counts in turn 1's reward)
    rng = np.random.default_rng(11)
    totals = dict.fromkeys(e.possible_agents, 0.0)
    paid = dict.fromkeys(e.possible_agents, 0.0)
    while e.agents:
        observations, rewards, _, _, infos = e.step(random_actions(e, observations, rng))
        for agent, r in rewards.items():
            assert isinstance(r, float)
            totals[agent] += r
            paid[agent] += infos[agent]["cost"]
    end = e.model.ctx.x
    for agent in e.possible_agents:
        actor = c.actors[c.actor_index[agent]]
        expected = utility(actor, end) - utility(actor, start)
        if costs:
            expected -= paid[agent]
        assert totals[agent] == pytest.approx(expected, abs=1e-9)
    if scenario == "pyongyang-2024":  # a long run moves the state and someone pays for moves
        assert start != end and any(v > 0 for v in paid.values())


STAG_HUNT = """
meta:
  id: test-stag-hunt
  title: Stag hunt
  summary: The stag hunt in one turn, shifted so that both hunting hare is 0.
  turn_length: day
  start_date: "2000-01-01"
  turns: 1
  sources:
    - {id: sk2004, title: The Stag Hunt and the Evolution of Social Structure,
       publisher: Brian Skyrms, date: "2004"}
variables:
  stag_hunters: {description: Hunters on the stag., initial: 0, bounds: [0, 2]}
  stag_flushed: {description: Anyone on the stag., initial: 0, bounds: [0, 1]}
actors:
  a: &hunter
    name: Hunter
    description: A hunter.
    briefing: {public: A hare is sure; the stag needs both of you.}
    interests:
      - {kind: raise, variable: stag_hunters, weight: 8, description: a share of the stag}
      - {kind: lower, variable: stag_flushed, weight: 4, description: a stag that escapes}
  b: *hunter
moves:
  hunt_stag:
    name: Hunt the stag
    description: Leave the hare (worth 3) and go after the stag.
    by: [a, b]
    cost: 3
    effects:
      - {variable: stag_hunters, delta: 1}
      - {variable: stag_flushed, delta: 1}
outcomes:
  stag_caught:
    description: Both went after the stag.
    expr: "did(a, hunt_stag) and did(b, hunt_stag)"
    type: bool
"""


def test_a_matrix_game_pays_its_payoff_table(tmp_path):
    """The stag hunt, shifted so that (hare, hare) is 0: a lone stag hunter gets -3, both on
    the stag +1 each. The rewards are that table (costs=False would pay 0 for a lone hunt)."""
    path = tmp_path / "stag.yaml"
    path.write_text(STAG_HUNT)
    table = {(0, 0): (0.0, 0.0), (1, 0): (-3.0, 0.0), (0, 1): (0.0, -3.0), (1, 1): (1.0, 1.0)}
    for (a, b), payoff in table.items():
        e = parallel_env(str(path))
        assert e.action_labels("a") == ["hold", "hunt_stag"]
        e.reset(seed=0)
        _, rewards, terminations, _, _ = e.step({"a": a, "b": b})
        assert (rewards["a"], rewards["b"]) == pytest.approx(payoff)
        assert all(terminations.values())
    plain = parallel_env(str(path), costs=False)
    plain.reset(seed=0)
    assert plain.step({"a": 1, "b": 0})[1] == pytest.approx({"a": 0.0, "b": 0.0})


# ----- determinism ------------------------------------------------------------------------------
def play(e, seed, policy_seed):
    """A whole run with seeded random (masked) actions; everything the env returned."""
    out = []
    observations, infos = e.reset(seed=seed)
    out.append((observations, infos))
    rng = np.random.default_rng(policy_seed)
    while e.agents:
        step = e.step(random_actions(e, observations, rng))
        observations = step[0]
        out.append(step)
    return out


def same(a, b) -> bool:
    from gymnasium.utils.env_checker import data_equivalence

    return data_equivalence(a, b, exact=True)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_same_seed_same_run(scenario):
    one = play(parallel_env(scenario), seed=5, policy_seed=1)
    two = play(parallel_env(scenario), seed=5, policy_seed=1)
    assert len(one) == get_compiled(scenario).turns + 1
    assert same(one, two)
    # The same environment, reset with the same seed, plays the same run again.
    e = parallel_env(scenario)
    play(e, seed=99, policy_seed=0)
    assert same(play(e, seed=5, policy_seed=1), one)
    # Another seed is another run: the AI and the random effects draw from it (driving every
    # actor of a one-turn game with fixed effects leaves nothing to draw).
    if scenario == "pyongyang-2024":
        assert not same(play(parallel_env(scenario), seed=6, policy_seed=1), one)
        driven = parallel_env(scenario, agents=["south_korea"])
        assert not same(play(driven, seed=5, policy_seed=1), play(driven, seed=6, policy_seed=1))


def test_unseeded_resets_follow_from_the_last_seed():
    a, b = parallel_env("hanoi-2019"), parallel_env("hanoi-2019")
    for e in (a, b):
        e.reset(seed=4)
    a.reset()
    b.reset()
    assert a.run_seed == b.run_seed != 4
    assert same(play_on(a), play_on(b))


def play_on(e):
    """Hold every turn from the current reset."""
    out = []
    while e.agents:
        out.append(e.step(dict.fromkeys(e.agents, 0)))
    return out


# ----- the boundary: a driven actor among AI actors ----------------------------------------------
def test_driven_actor_plays_the_engines_run_exactly():
    """Seoul driven by the environment with a script, everyone else the scenario's AI: the
    very run the engine plays with the same script as Seoul's policy."""
    import summitsim
    from summitsim.policies import ScriptedPolicy

    e = parallel_env("pyongyang-2024", agents=["south_korea"], consent="always", rationales=True)
    c = e.compiled
    labels = {2: "ask_us_reassurance", 3: "joint_drills", 5: "arm_ukraine", 6: "arm_ukraine"}
    labels.update({9: "arm_ukraine", 12: "nonlethal_aid", 13: "nonlethal_aid"})
    move = {m.move: m.index for m in c.actions if c.actors[m.actor].id == "south_korea"}
    script = {t: move[m] for t, m in labels.items()}

    observations, _ = e.reset(seed=7)
    refused_by_mask = 0
    while e.agents:
        turn = e.model.ctx.turn + 1
        k = e.action_of("south_korea", labels.get(turn, "hold"))
        if not observations["south_korea"]["action_mask"][k]:
            k, refused_by_mask = 0, refused_by_mask + 1  # what the script does: hold
        observations, *_ = e.step({"south_korea": k})
    assert refused_by_mask >= 1  # nonlethal_aid's cooldown and arm_ukraine's limit of 2

    ours = e.result()
    theirs = summitsim.run(
        "pyongyang-2024", seed=7, policies={"south_korea": ScriptedPolicy(script)}
    )
    assert ours.rec.states == theirs.rec.states
    assert ours.outcomes == theirs.outcomes
    a, b = ours.actions, theirs.actions
    assert list(a["move"]) == list(b["move"]) and list(a["status"]) == list(b["status"])
    seoul = a["actor"] == "south_korea"
    assert set(a.loc[seoul, "by"]) == {"agent"}
    assert set(a.loc[~seoul & (a["by"] != "red_line"), "by"]) == {"ai"}
    assert a.loc[~seoul, "rationale"].str.len().gt(0).any()  # rationales=True keeps them
    assert (a.loc[seoul, "move"] == "arm_ukraine").sum() == 2


def test_consent_of_a_driven_partner():
    """North Korea driven: Russia's moves that need its consent get its answers."""

    def asked(consent):
        e = parallel_env("pyongyang-2024", agents=["north_korea"], consent=consent)
        e.reset(seed=2)
        answers, statuses = [], []
        while e.agents:
            _, _, _, _, infos = e.step({"north_korea": 0})
            answers += infos["north_korea"]["consents"]
            statuses += [s for actor, m, s in infos["north_korea"]["moves"] if actor == "russia"]
        return answers, statuses

    never, statuses = asked("never")
    assert never and not any(ok for _, _, ok in never)
    assert {who for who, _, _ in never} == {"russia"}
    assert statuses.count("refused") == len(never)
    always, statuses = asked("always")
    assert always and all(ok for _, _, ok in always) and "refused" not in statuses
    seen = []
    asked(lambda obs, action: seen.append((obs.actor.id, obs.compiled.actions[action].move)))
    assert seen and {who for who, _ in seen} == {"north_korea"}


def test_a_driven_party_negotiates_by_its_bargain_rule():
    """tests/data/deal-split.yaml: A driven. With the AI negotiator answering for it the
    split lands at the Nash point (5 of 10), and the reward of turn 1 includes it; walking
    away leaves the pot where it was; a function is asked with the talks."""
    path = str(ROOT / "tests" / "data" / "deal-split.yaml")

    def first_turn(bargain):
        e = parallel_env(path, agents=["a"], bargain=bargain)
        e.reset(seed=0)
        _, rewards, _, _, _ = e.step({"a": 0})
        return e.result().to_dict()["turns"][1], rewards["a"]

    turn, reward = first_turn("ai")
    assert turn["negotiations"][0]["terms"] == {"pot": "5"}
    assert reward == pytest.approx(0.5)
    turn, reward = first_turn("walk")
    assert turn["negotiations"][0]["walked_by"] == "a" and reward == 0.0
    asked = []

    def rule(obs, talks):
        asked.append((obs.actor.id, talks.deal.id))
        return Reply("walk")

    first_turn(rule)
    assert asked == [("a", "split"), ("a", "trade")]  # turn 2's talks precede its observations
    with pytest.raises(ValueError, match="bargain must be"):
        parallel_env(path, bargain="haggle")


def test_masks_show_the_moves_a_deal_signed_at_the_start_of_the_turn_makes_legal(tmp_path):
    """A move legal only once A holds part of the pot: the split is signed before turn 1's
    observations, so the mask already offers it and taking it is not an illegal action."""
    text = (ROOT / "tests" / "data" / "deal-split.yaml").read_text()
    spend = "  spend:\n    name: Spend\n    description: spend\n    by: a\n    when: a_share > 2\n"
    path = tmp_path / "s.yaml"
    path.write_text(text.replace("deals:\n", spend + "deals:\n", 1))
    e = parallel_env(str(path), agents=["a"])
    observations, _ = e.reset(seed=0)
    k = e.action_of("a", "spend")
    assert observations["a"]["action_mask"][k] == 1
    e.step({"a": k})
    assert [
        a["move"] for a in e.result().to_dict()["turns"][1]["actions"] if a["actor"] == "a"
    ] == ["spend"]


# ----- errors ----------------------------------------------------------------------------------
def test_illegal_actions_raise_before_the_turn_or_hold():
    e = parallel_env("pyongyang-2024", agents=["south_korea"])
    arm = e.action_of("south_korea", "arm_ukraine")
    observations, _ = e.reset(seed=1)
    for _ in range(2):  # arm_ukraine may be used twice
        assert observations["south_korea"]["action_mask"][arm]
        observations, *_ = e.step({"south_korea": arm})
    assert not observations["south_korea"]["action_mask"][arm]
    turn, state = e.model.ctx.turn, list(e.model.ctx.x)
    with pytest.raises(IllegalActionError, match=r"south_korea cannot 'arm_ukraine' at turn 3"):
        e.step({"south_korea": arm})
    assert (e.model.ctx.turn, list(e.model.ctx.x)) == (turn, state)  # nothing was played

    # illegal="hold": the same run as holding, flagged in the infos.
    runs = []
    for illegal_action in (arm, 0):
        h = parallel_env("pyongyang-2024", agents=["south_korea"], illegal="hold")
        h.reset(seed=1)
        h.step({"south_korea": arm})
        h.step({"south_korea": arm})
        runs.append(h.step({"south_korea": illegal_action}))
    (obs_a, rew_a, _, _, info_a), (obs_b, rew_b, _, _, info_b) = runs
    assert same((obs_a, rew_a), (obs_b, rew_b))
    assert info_a["south_korea"]["illegal_action"] and not info_b["south_korea"]["illegal_action"]
    assert ("south_korea", "hold", "done") in info_a["south_korea"]["moves"]


def test_bad_arguments_and_actions_are_clear_errors():
    with pytest.raises(ValueError, match=r"unknown actors \['seoul'\]"):
        parallel_env("pyongyang-2024", agents=["seoul"])
    with pytest.raises(ValueError, match="at least one"):
        parallel_env("pyongyang-2024", agents=[])
    with pytest.raises(ValueError, match="illegal must be"):
        parallel_env("pyongyang-2024", illegal="ignore")
    with pytest.raises(ValueError, match="consent must be"):
        parallel_env("pyongyang-2024", consent="maybe")
    with pytest.raises(ValueError, match="both driven and given a policy"):
        parallel_env("pyongyang-2024", agents=["russia"], policies={"russia": object()})
    e = parallel_env("hanoi-2019", agents=["china"], turns=2)
    with pytest.raises(RuntimeError, match="reset"):
        e.step({"china": 0})
    e.reset(seed=0)
    with pytest.raises(ValueError, match=r"missing \['china'\]"):
        e.step({})
    with pytest.raises(ValueError, match=r"not playing \['russia'\]"):
        e.step({"china": 0, "russia": 0})
    with pytest.raises(ValueError, match=r"integer in 0\.\.1"):
        e.step({"china": 2})
    with pytest.raises(ValueError, match="integer"):
        e.step({"china": 0.5})
    e.step({"china": np.int64(0)})
    _, _, terminations, truncations, _ = e.step({"china": 1})
    assert terminations == {"china": True} and truncations == {"china": False}
    assert e.agents == []
    with pytest.raises(RuntimeError, match="over"):
        e.step({"china": 0})


def test_params_turns_and_other_policies():
    from summitsim.policies import RandomPolicy

    e = parallel_env(
        "pyongyang-2024",
        agents=["south_korea"],
        params={"seoul_credibility": 0.1},
        turns=3,
        policies={"russia": RandomPolicy()},
    )
    observations, _ = e.reset(seed=0)
    names = e.observation_names()
    belief = observations["south_korea"]["observation"][names.index("belief:seoul_missile_tech")]
    assert belief == pytest.approx(0.1)
    steps = 0
    while e.agents:
        e.step({"south_korea": 0})
        steps += 1
    assert steps == 3
    by = e.result().actions.set_index("actor")["by"]
    assert set(by.loc[["russia"]]) == {"random"}


def test_render_ansi_narrates_the_turn():
    e = parallel_env("pyongyang-2024", agents=["south_korea"], render_mode="ansi")
    e.reset(seed=1)
    assert "seed 1" in e.render()
    e.step({"south_korea": 0})
    text = e.render()
    assert "Turn 1" in text and "South Korea" in text and "holds" in text
    e.close()


# ----- the docs ---------------------------------------------------------------------------------
def test_docs_snippets_run():
    """Every Python snippet in docs/env.md runs as written."""
    snippets = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "env.md").read_text(), re.S)
    assert len(snippets) == 3
    printed = io.StringIO()
    for k, code in enumerate(snippets):
        with contextlib.redirect_stdout(printed):
            exec(compile(code, f"docs/env.md snippet {k + 1}", "exec"), {})
    text = printed.getvalue()
    assert re.search(r"random Seoul: utility [+-]\d", text)
    assert re.search(r"scripted Seoul: utility [+-]\d", text)
