"""The notebook API: load_scenario and run, with DataFrames and JSON."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import summitsim
from summitsim.scenario import ScenarioError


def test_load_scenario_by_id_and_path(root):
    by_id = summitsim.load_scenario("pyongyang-2024")
    by_path = summitsim.load_scenario(root / "scenarios" / "pyongyang-2024.yaml")
    assert by_id.sha256 == by_path.sha256
    assert list(by_id.spec.actors) == [
        "russia",
        "north_korea",
        "china",
        "south_korea",
        "united_states",
        "ukraine",
    ]
    with pytest.raises(ScenarioError):
        summitsim.load_scenario("no-such-thing")


def test_run_result_views():
    r = summitsim.run("pyongyang-2024", seed=1, params={"munitions_need": 1.5})
    assert isinstance(r.states, pd.DataFrame) and len(r.states) == 25
    assert "russia_firepower" in r.states.columns and "rel:russia:china" in r.states.columns
    assert isinstance(r.actions, pd.DataFrame)
    assert set(r.actions.columns) >= {"turn", "actor", "move", "by", "rationale"}
    assert r.actions["turn"].between(1, 24).all()
    assert r.params["munitions_need"] == 1.5
    d = json.loads(r.to_json())
    assert d["outcomes"] == json.loads(json.dumps(r.outcomes))


def test_turns_override():
    assert summitsim.run(seed=0, turns=5).n_turns == 5


def test_package_help_import_is_light():
    import subprocess
    import sys

    heavy = "('pandas', 'plotly', 'dash', 'mesa')"
    code = f"import sys, summitsim.cli; print(any(m in sys.modules for m in {heavy}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_finished_runs_do_not_stay_alive():
    import gc

    from summitsim.engine.model import SummitModel

    def alive() -> int:
        gc.collect()
        return sum(isinstance(o, SummitModel) for o in gc.get_objects())

    before = alive()
    results = [summitsim.run("hanoi-2019", seed=s) for s in range(30)]
    assert alive() <= before
    assert all(r.n_turns == 12 for r in results)  # results survive their models


def test_default_scenario_comes_from_the_scenarios_folder(root):
    from summitsim.engine.registry import bundled, default_scenario

    marked = (root / "scenarios" / "DEFAULT").read_text().strip()
    assert default_scenario() == marked and marked in bundled()
    assert summitsim.run(seed=0, turns=1).compiled.spec.meta.id == marked
