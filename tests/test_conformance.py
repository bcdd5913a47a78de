"""Every file in scenarios/ passes the same checks: schema, determinism, invariants, result
format, pickling; plus properties over random parameter points (hypothesis)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import summitsim
from summitsim.conformance import (
    builtin_policies,
    check_invariants,
    check_observation_is_read_only,
    check_policy,
    check_scenario,
)
from summitsim.engine.registry import bundled
from tests.conftest import SCENARIO_FILES

IDS = [p.stem for p in SCENARIO_FILES]


def test_there_are_scenarios_to_check():
    assert {"pyongyang-2024", "hanoi-2019"} <= set(IDS)


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=IDS)
def test_scenario_conforms(path):
    assert check_scenario(path) == []


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=IDS)
def test_file_name_matches_id(path):
    assert summitsim.load_scenario(path).id == path.stem


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=IDS)
def test_different_seeds_give_different_runs(path):
    runs = {summitsim.run(path, seed=s).to_json() for s in range(5)}
    assert len(runs) > 1


@pytest.mark.parametrize("scenario_id", IDS)
def test_deterministic_across_processes_and_hash_seeds(scenario_id):
    code = (
        "import summitsim, hashlib;"
        f"r = summitsim.run({scenario_id!r}, seed=11);"
        "print(hashlib.sha256(r.to_json().encode()).hexdigest())"
    )
    digests = set()
    for hash_seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        digests.add(out.stdout.strip())
    local = summitsim.run(scenario_id, seed=11).to_json()
    import hashlib

    digests.add(hashlib.sha256(local.encode()).hexdigest())
    assert len(digests) == 1


def _points(scenario_id: str):
    spec = summitsim.load_scenario(scenario_id).spec
    parts = {}
    for name, p in spec.parameters.items():
        if p.kind == "bool":
            parts[name] = st.booleans()
        elif p.kind == "choice":
            parts[name] = st.sampled_from(p.choices)
        elif p.kind == "int":
            parts[name] = st.integers(int(p.range[0]), int(p.range[1]))
        else:
            parts[name] = st.floats(p.range[0], p.range[1], allow_nan=False)
    return st.fixed_dictionaries(parts)


@pytest.mark.parametrize("scenario_id", IDS)
def test_properties_hold_at_any_parameter_point(scenario_id):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(params=_points(scenario_id), seed=st.integers(0, 2**31 - 1))
    def check(params, seed):
        r = summitsim.run(scenario_id, seed=seed, params=params)
        assert check_invariants(r) == []
        d = json.loads(r.to_json())  # allow_nan=False inside: no NaN or inf anywhere
        for turn in d["turns"]:
            for action in turn["actions"]:
                for alt in action["rationale"].get("alternatives", []):
                    assert math.isfinite(alt["expected_utility"])
                    assert 0.0 <= alt["probability"] <= 1.0
        assert r.to_json() == summitsim.run(scenario_id, seed=seed, params=params).to_json()

    check()


def test_the_checker_catches_a_lean_run_that_plays_differently(monkeypatch):
    """The rationale-free path sweeps use must play the same moves; a policy that lets the
    flag change its choice is reported."""
    from summitsim.policies import ai
    from summitsim.policies.base import Decision

    full = ai.AIPolicy.decide

    def lazy_when_lean(self, obs):  # type: ignore[no-untyped-def]
        d = full(self, obs)
        return d if self.rationales else Decision(option=(), by="ai")

    monkeypatch.setattr(ai.AIPolicy, "decide", lazy_when_lean)
    problems = check_scenario("pyongyang-2024", seeds=(0,), turns=6)
    assert "seed 0: a run without rationales plays differently" in problems


def test_a_lean_run_keeps_no_rationales_and_the_same_play():
    from summitsim.conformance import same_play

    full = summitsim.run("pyongyang-2024", seed=4)
    lean = summitsim.run("pyongyang-2024", seed=4, rationales=False)
    assert same_play(full, lean) and lean.outcomes == full.outcomes
    assert all(a.rationale is None for a in lean.rec.actions)
    assert any(a.rationale is not None for a in full.rec.actions)


# ----- policies ----------------------------------------------------------------------------
@pytest.mark.parametrize("policy", sorted(builtin_policies()))
@pytest.mark.parametrize("scenario_id", sorted(bundled()))
def test_every_policy_conforms_on_every_scenario(scenario_id, policy):
    assert check_policy(scenario_id, builtin_policies()[policy], seeds=(0,), turns=4) == []


@pytest.mark.parametrize("scenario_id", sorted(bundled()))
def test_observations_are_read_only(scenario_id):
    assert check_observation_is_read_only(scenario_id) == []


def test_the_policy_checker_catches_bad_policies():
    import random

    from summitsim.policies import PolicyInfo, RandomPolicy

    class Illegal(RandomPolicy):
        def decide(self, obs):
            d = super().decide(obs)
            d.option = (10_000,)
            return d

    class SecretlyRandom(RandomPolicy):
        info = PolicyInfo(stochastic=False, uses_private_information=False)

        def decide(self, obs):
            import dataclasses

            return super().decide(dataclasses.replace(obs, rng=random.Random()))

    illegal = check_policy("hanoi-2019", Illegal, seeds=(0,), turns=2)
    assert any("not a legal option" in p for p in illegal)
    secret = check_policy("hanoi-2019", SecretlyRandom, seeds=(0,), turns=4)
    assert any("says it is not stochastic" in p for p in secret)
    assert any("two runs with the same seed differ" in p for p in secret)
