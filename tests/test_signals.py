"""Signals: moves that change beliefs rather than the world. A costly signal moves beliefs
more than the same signal made cheaply; a bluff that is called costs the sender credibility
in later turns; promises are kept or broken; the AI sends a signal when it is worth its cost.

Beliefs are Beta distributions (prior: belief_strength 4 at the red line's credibility 0.5,
so 2 and 2). A signal adds strength x reliability x (0.25 + cost + stake) observations on the
"answered" side; reliability starts at (0 + 1) / (0 + 0 + 2) = 0.5.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import summitsim
from summitsim.engine.model import SummitModel
from summitsim.engine.registry import get_compiled
from summitsim.policies import AIPolicy, ScriptedPolicy
from summitsim.scenario import load_text
from tests._stats import z_more

SIGNALS = str(Path(__file__).parent / "data" / "signals.yaml")


def action(move: str, **params: Any) -> int:
    c = get_compiled(SIGNALS, params)
    return next(k for k, a in enumerate(c.actions) if a.move == move)


class FromTurn:
    """Holds until ``turn``, then plays the AI."""

    by = "ai"

    def __init__(self, turn: int):
        self.turn, self.ai = turn, AIPolicy()
        self.info = self.ai.info

    def decide(self, obs):
        if obs.turn < self.turn:
            return ScriptedPolicy({}).decide(obs)
        return self.ai.decide(obs)

    def consent(self, obs, k):
        return self.ai.consent(obs, k)


def model(defender: dict[int, Any], attacker: Any, seed: int = 0, **params: Any) -> SummitModel:
    c = get_compiled(SIGNALS, params)
    policies = {"defender": ScriptedPolicy(defender), "attacker": attacker}
    return SummitModel(c, seed=seed, collect=False, policies=policies)


def test_a_costly_signal_moves_beliefs_more_than_a_cheap_one_by_hand():
    beliefs = {}
    for move in ("reaffirm_cheaply", "reaffirm_at_a_cost"):
        m = model({1: action(move)}, FromTurn(99))
        m.step()
        beliefs[move] = m.belief(0, 0)
    # cheap: 2 + 0.5 x 0.25 = 2.125 of 4.125; costly (cost 1): 2 + 0.5 x 1.25 = 2.625 of 4.625
    assert beliefs["reaffirm_cheaply"] == pytest.approx(2.125 / 4.125)
    assert beliefs["reaffirm_at_a_cost"] == pytest.approx(2.625 / 4.625)


def grab_share(seeds: range, defender: dict[int, Any], turn: int, **params: Any) -> float:
    grabs = 0
    for s in seeds:
        m = model(defender, FromTurn(turn), seed=s, **params)
        for _ in range(turn):
            m.step()
        grabs += m.ctx.did[action("grab")]
    return grabs / len(seeds)


@pytest.mark.slow
def test_a_costly_signal_deters_more_than_a_cheap_one():
    """The attacker, listening from turn 2, grabs less often after a costly reaffirmation (cost
    3: 2 + 0.5 x 3.25 = 3.625 of 5.625, belief 0.64) than after words alone (0.515)."""
    n = 1500
    cheap = grab_share(range(n), {1: action("reaffirm_cheaply")}, 2, signal_cost=3.0)
    costly = grab_share(range(n), {1: action("reaffirm_at_a_cost")}, 2, signal_cost=3.0)
    assert z_more(cheap, costly, n, n) >= 3, (cheap, costly)


@pytest.mark.slow
def test_a_called_bluff_lowers_credibility_in_later_turns():
    """The defender reaffirms at a cost with 2 of reputation staked, the attacker grabs on
    turn 2, and the defender answers half the time. Where the bluff was called, the attacker
    believes less in the red line and grabs more often on turn 3 than where it was answered;
    and the defender's next word counts for less."""
    n = 1500
    grabs = {"kept": 0, "broken": 0}
    runs = {"kept": 0, "broken": 0}
    beliefs: dict[str, list[float]] = {"kept": [], "broken": []}
    for s in range(n):
        m = model({1: action("reaffirm_at_a_cost")}, None, seed=s, stake=2.0)
        m.agents_by_index[0].policy = ScriptedPolicy({2: action("grab")})
        m.step()
        m.step()
        (said,) = m.signals.said
        beliefs[said.status].append(m.belief(0, 0))
        m.agents_by_index[0].policy = AIPolicy()
        m.step()
        runs[said.status] += 1
        grabs[said.status] += m.ctx.did[action("grab")]
    assert runs["kept"] > 500 and runs["broken"] > 500
    assert max(beliefs["broken"]) < min(beliefs["kept"])
    assert max(beliefs["broken"]) < 2.0 / 4.0  # below where it started, despite the signal
    called, kept = grabs["broken"] / runs["broken"], grabs["kept"] / runs["kept"]
    assert z_more(called, kept, runs["broken"], runs["kept"]) >= 3, (called, kept)


def test_a_called_bluff_makes_the_senders_next_word_count_for_less():
    m = model({1: action("reaffirm_cheaply")}, None, seed=0, cred=0.0)
    m.agents_by_index[0].policy = ScriptedPolicy({2: action("grab")})
    before = m.signals.reliability(1)
    m.step()
    m.step()
    assert m.signals.said[0].status == "broken"
    assert before == 0.5
    assert m.signals.reliability(1) == pytest.approx(1 / 3)


def test_promises_are_kept_or_broken_in_the_result():
    kept = summitsim.run(
        SIGNALS, seed=0, turns=4,
        policies={"defender": ScriptedPolicy({1: action("promise_trade"), 2: action("trade")})},
    )  # fmt: skip
    broken = summitsim.run(
        SIGNALS,
        seed=0,
        turns=4,
        policies={"defender": ScriptedPolicy({1: action("promise_trade")})},
    )
    (k,) = kept.to_dict()["said_vs_did"]
    (b,) = broken.to_dict()["said_vs_did"]
    assert (k["status"], k["resolved_turn"], k["about_move"]) == ("kept", 2, "trade")
    assert (b["status"], b["resolved_turn"], b["until_turn"]) == ("broken", 3, 3)


def test_the_ai_sends_a_signal_when_it_is_worth_its_cost():
    """A defender that may trade and reaffirm in the same turn (at infinite rationality)
    adds the free reaffirmation when the attacker may grab, and does not pay 3 for the
    mobilisation; when the attacker cannot grab, words are worth nothing and it only trades."""
    base = (
        Path(SIGNALS)
        .read_text(encoding="utf-8")
        .replace(
            "profile: {rationality: 4, horizon: 2}",
            "profile: {rationality: inf, horizon: 2}\n    moves_per_turn: 2",
        )
    )
    loaded = load_text(base, "signals-2.yaml")
    r = summitsim.run(loaded, seed=0, turns=2, params={"signal_cost": 3.0})
    rat = next(a.rationale.chosen for a in r.rec.actions if a.actor == 1 and a.by == "ai")
    assert {r.compiled.action_label(k) for k in rat} == {"trade", "reaffirm_cheaply"}
    no_grab = load_text(
        base.replace(
            "    by: attacker\n    effects", "    by: attacker\n    when: false\n    effects"
        ),
        "signals-3.yaml",
    )
    r = summitsim.run(no_grab, seed=0, turns=2, params={"signal_cost": 3.0})
    mine = [
        r.compiled.action_label(a.action)
        for a in r.rec.actions
        if a.actor == 1 and a.by == "ai" and a.turn == 1
    ]
    assert mine == ["trade"]
