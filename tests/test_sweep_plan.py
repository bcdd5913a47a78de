"""Sweep definitions: grids, samples, seeds, sweep files and the one-line errors for bad input."""

from __future__ import annotations

import hashlib
import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from summitsim.engine.registry import load_scenario
from summitsim.sweep import spec as sp
from summitsim.sweep.plan import from_unit, load, make_plan, run_seed
from test_sweep_helpers import TOY, cli, sweep


def plan_of(**kw):  # type: ignore[no-untyped-def]
    loaded, text = load(TOY)
    return make_plan(sp.from_dict({"scenario": TOY, **kw}), loaded, text)


def test_seeds_are_reproducible_distinct_and_fit_int64():
    seeds = {(p, r): run_seed(7, p, r) for p in range(50) for r in range(20)}
    assert len(set(seeds.values())) == len(seeds)
    assert all(0 <= s < 2**63 for s in seeds.values())
    assert run_seed(7, 3, 4) == seeds[(3, 4)]
    assert run_seed(8, 3, 4) != seeds[(3, 4)]


def test_grid_is_the_full_factorial_in_option_order():
    plan = plan_of(grid={"a": "0:1:3", "mode": ["calm", "tense"], "flag": ["true", "false"]})
    assert plan.n_points == 12
    expected = list(itertools.product([0.0, 0.5, 1.0], ["calm", "tense"], [True, False]))
    got = [tuple(plan.point(i).values()) for i in range(plan.n_points)]
    assert got == expected
    assert plan.params(5) == {"a": 0.5, "mode": "calm", "flag": False}


def test_grid_values_are_rounded_and_fixed_values_coerced():
    plan = plan_of(grid={"a": "0:1:11"}, set={"b": "0.25"}, replicates=3)
    assert plan.definition()["grid"]["a"][3] == 0.3
    assert plan.fixed == {"b": 0.25}
    assert plan.n_runs == 33


@pytest.mark.parametrize("method,n,points", [("lhs", 40, 40), ("sobol", 32, 32 * 5)])
def test_samples_cover_declared_ranges(method, n, points):
    plan = plan_of(sample={"method": method, "n": n, "vary": ["a", "weight", "flag"]})
    assert plan.n_points == points
    values = [plan.point(i) for i in range(plan.n_points)]
    a = np.array([v["a"] for v in values])
    w = np.array([v["weight"] for v in values])
    assert a.min() >= 0 and a.max() <= 1 and w.min() >= -1 and w.max() <= 1
    assert w.min() < -0.5 and w.max() > 0.5  # spread over the range, not stuck in a corner
    assert {v["flag"] for v in values} == {True, False}
    again = plan_of(sample={"method": method, "n": n, "vary": ["a", "weight", "flag"]})
    assert [again.point(i) for i in range(plan.n_points)] == values


def test_latin_hypercube_puts_one_point_in_each_stratum():
    plan = plan_of(sample={"method": "lhs", "n": 20, "vary": ["a", "b"]})
    a = sorted(plan.point(i)["a"] for i in range(20))
    assert [int(x * 20) for x in a] == list(range(20))


def test_from_unit_maps_every_kind():
    params = load_scenario(TOY).spec.parameters
    assert from_unit(params["a"], 0.25) == 0.25
    assert from_unit(params["weight"], 0.25) == -0.5
    assert from_unit(params["flag"], 0.49) is False and from_unit(params["flag"], 0.5) is True
    assert from_unit(params["mode"], 0.2) == "calm" and from_unit(params["mode"], 0.99) == "tense"


def test_sobol_needs_a_power_of_two():
    with pytest.raises(sp.SweepError, match="power of 2"):
        plan_of(sample={"method": "sobol", "n": 100, "vary": ["a"]})


def test_sweep_file_says_the_same_as_options(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(
        f"scenario: {TOY}\nseed: 3\nreplicates: 2\ngrid:\n  a: '0:1:3'\n  flag: [false, true]\n"
    )
    by_file = sweep(tmp_path / "f", "-f", str(f), scenario="run")
    by_opts = sweep(tmp_path / "o", "--seed", "3", "-r", "2", "--grid", "a=0:1:3",
                    "--grid", "flag=false,true")  # fmt: skip
    assert (by_file / "runs.parquet").read_bytes() != b""
    from test_sweep_helpers import read

    assert read(by_file).equals(read(by_opts))


def test_sweep_file_relative_scenario_path(tmp_path):
    f = tmp_path / "s.yaml"
    (tmp_path / "toy.yaml").write_text(Path(TOY).read_text())
    f.write_text("scenario: toy.yaml\nreplicates: 2\n")
    out = sweep(tmp_path / "out", "--file", str(f), scenario="run")
    assert len(__import__("test_sweep_helpers").read(out)) == 2


def _tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize(
    "args,message",
    [
        (["--grid", "nope=0:1:3"], "unknown parameter 'nope'"),
        (["--grid", "a=0:2:3"], "outside range"),
        (["--grid", "a=0:1"], "LO:HI:STEPS"),
        (["--grid", "flag=0:1:2"], "takes a list"),
        (["--grid", "mode=calm,furious"], "not a valid choice"),
        (["--sample", "lhs", "--n", "10", "--vary", "zzz"], "unknown parameter 'zzz'"),
        (["--sample", "lhs", "--vary", "a"], "--sample needs --n"),
        (["--set", "a=5"], "outside range"),
        (["--set", "q=1"], "unknown parameter 'q'"),
        (["--grid", "a=0,1", "--set", "a=0.5"], "both varied and fixed"),
        (["--grid", "a=0,1", "--sample", "lhs", "--n", "4", "--vary", "b"], "not both"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, args, message):
    out = tmp_path / "out"
    code, _, err = cli("sweep", TOY, "--out", str(out), "-q", *args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def test_unknown_scenario_is_one_line(tmp_path):
    code, _, err = cli("sweep", "no-such-scenario", "--out", str(tmp_path / "x"))
    assert code == 2 and "no such scenario" in err and "Traceback" not in err


def test_bad_sweep_file_names_file_and_key(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(f"scenario: {TOY}\nreplicats: 3\n")
    code, _, err = cli("sweep", "--file", str(f), "--out", str(tmp_path / "o"))
    assert code == 2 and f"{f}:2:" in err and "replicats: unknown key" in err
    f.write_text("scenario: [unclosed\n")
    code, _, err = cli("sweep", "--file", str(f), "--out", str(tmp_path / "o"))
    assert code == 2 and re.search(rf"{re.escape(str(f))}:\d+:\d+: YAML syntax error", err)
    code, _, err = cli("sweep", "--file", str(f), "--seed", "2", "--out", str(tmp_path / "o"))
    assert code == 2 and "--file defines the sweep" in err


def test_folder_with_a_different_sweep_is_not_touched(tmp_path):
    out = sweep(tmp_path / "out", "--grid", "a=0,1", "-r", "3")
    before = _tree_digest(out)
    code, _, err = cli("sweep", TOY, "--out", str(out), "-q", "--grid", "a=0,1", "-r", "4")
    assert code == 2 and "holds a different sweep" in err and "replicates" in err
    assert _tree_digest(out) == before


def test_folder_with_other_files_is_not_touched(tmp_path):
    out = tmp_path / "notes"
    out.mkdir()
    (out / "thesis.txt").write_text("precious")
    code, _, err = cli("sweep", TOY, "--out", str(out), "-q")
    assert code == 2 and "holds no sweep" in err
    assert [p.name for p in out.iterdir()] == ["thesis.txt"]


def test_rerunning_a_complete_sweep_changes_nothing(tmp_path):
    out = sweep(tmp_path / "out", "--grid", "a=0,1", "-r", "3")
    before = _tree_digest(out)
    code, _, err = cli("sweep", TOY, "--out", str(out), "--grid", "a=0,1", "-r", "3")
    assert code == 0 and "already complete" in err
    assert _tree_digest(out) == before
