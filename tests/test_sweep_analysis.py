"""Sweep analysis: summaries against frequencies worked out by hand, sensitivity on a toy
scenario whose ranking is known by construction, and scenario discovery."""

from __future__ import annotations

import io
import json
import math

import pandas as pd
import pytest

from summitsim.sweep import spec as sp
from summitsim.sweep.plan import load, make_plan
from summitsim.sweep.store import Store, to_table
from summitsim.sweep.summary import summarize, wilson
from test_sweep_helpers import TOY, cli, read, sweep


def test_wilson_interval_worked_by_hand():
    # 7 of 10, z = 1.959964: centre (0.7 + z²/20) / (1 + z²/10) = 0.64450, half 0.24772
    lo, hi = wilson(7, 10)
    assert lo == pytest.approx(0.396778, abs=2e-6) and hi == pytest.approx(0.892209, abs=2e-6)
    assert wilson(0, 20) == (0.0, pytest.approx(0.16113, abs=1e-5))
    assert wilson(20, 20) == (pytest.approx(0.83887, abs=1e-5), 1.0)
    lo90, hi90 = wilson(7, 10, 0.90)
    assert lo < lo90 < 0.7 < hi90 < hi
    assert all(math.isnan(v) for v in wilson(0, 0))


@pytest.fixture
def handmade(tmp_path):
    """A sweep folder whose rows are written by hand: grid a = 0, 1 with 10 replicates.
    Point 0: high in runs 0-6 (7 of 10), level 1..10. Point 1: run 10 failed; high in 3 of
    the other 9, level 2, 4, ..., 18. Red line crossed at turn 3 in runs 0 and 1 only."""
    loaded, text = load(TOY)
    spec = sp.from_dict({"scenario": TOY, "grid": {"a": [0, 1]}, "replicates": 10})
    plan = make_plan(spec, loaded, text)
    store = Store(tmp_path / "hand", plan)
    store.open()
    n = 20
    cols = {
        "run_id": list(range(n)),
        "point_id": [i // 10 for i in range(n)],
        "replicate": [i % 10 for i in range(n)],
        "seed": list(range(100, 100 + n)),
        "a": [0.0] * 10 + [1.0] * 10,
        "b": [0.5] * n, "c": [0.5] * n, "weight": [1.0] * n, "mode": ["calm"] * n,
        "flag": [False] * n,
        "high": [True] * 7 + [False] * 3 + [None] + [True] * 3 + [False] * 6,
        "level": [float(i) for i in range(1, 11)] + [None] + [2.0 * i for i in range(1, 10)],
        "peak_escalation": [2.0] * 10 + [None] + [0.0] * 9,
        "first_crossed_level_high": [3, 3] + [None] * 18,
        "error": [None] * 10 + ["ParamError: boom"] + [None] * 9,
    }  # fmt: skip
    store.write_part(0, n, to_table(cols, store.runs_schema), None)
    store.merge()
    store.write_manifest("complete", {"counts": {"runs": n, "done": n, "failed": 1}})
    return store.folder


def test_summary_matches_hand_counts(handmade):
    _, df = summarize(handmade)
    high = df[df["outcome"] == "high"].set_index("point_id")
    assert list(high["n"]) == [10, 9] and list(high["failed"]) == [0, 1]
    assert list(high["runs"]) == [10, 10] and list(high["true"]) == [7, 3]
    assert high.loc[0, "p"] == 0.7 and high.loc[1, "p"] == pytest.approx(1 / 3)
    assert (high.loc[0, "ci_low"], high.loc[0, "ci_high"]) == wilson(7, 10)
    assert (high.loc[1, "ci_low"], high.loc[1, "ci_high"]) == wilson(3, 9)
    level = df[df["outcome"] == "level"].set_index("point_id")
    assert level.loc[0, "mean"] == 5.5 and level.loc[0, "median"] == 5.5
    assert level.loc[0, "q05"] == pytest.approx(1.45)  # 1 + 0.05 * 9
    assert level.loc[0, "q95"] == pytest.approx(9.55)
    assert level.loc[0, "sd"] == pytest.approx(3.0276503, abs=1e-6)
    assert level.loc[1, "mean"] == 10.0 and level.loc[1, "n"] == 9
    crossed = df[df["outcome"] == "crossed_level_high"].set_index("point_id")
    assert list(crossed["true"]) == [2, 0]
    esc = df[df["outcome"] == "peak_escalation"].set_index("point_id")
    assert list(esc["mean"]) == [2.0, 0.0]


def test_summary_by_parameter_pools_points(handmade):
    _, df = summarize(handmade, by=["mode"])
    high = df[df["outcome"] == "high"].iloc[0]
    assert (high["true"], high["n"], high["failed"]) == (10, 19, 1)
    assert (high["ci_low"], high["ci_high"]) == wilson(10, 19)


def test_summary_formats(handmade):
    code, out, _ = cli("sweep", "summary", str(handmade), "--format", "csv")
    assert code == 0
    df = pd.read_csv(io.StringIO(out))
    row = df[(df["outcome"] == "high") & (df["point_id"] == 0)].iloc[0]
    assert row["p"] == 0.7 and row["ci_low"] == pytest.approx(0.396778, abs=2e-6)
    code, out, _ = cli("sweep", "summary", str(handmade), "--format", "json", "--by", "a")
    rows = json.loads(out)
    assert {r["outcome"] for r in rows} >= {"high", "level"}
    assert next(r for r in rows if r["outcome"] == "high" and r["a"] == 1.0)["true"] == 3
    code, out, _ = cli("sweep", "summary", str(handmade))
    assert code == 0 and "0.700" in out and "0.397" in out and "0.892" in out
    code, _, err = cli("sweep", "summary", str(handmade), "--by", "nope")
    assert code == 2 and "not a parameter" in err


def test_summary_of_chosen_outcomes_long_and_wide(handmade):
    _, df = summarize(handmade, outcomes=["high", "level"])
    assert set(df["outcome"]) == {"high", "level"}
    code, out, _ = cli("sweep", "summary", str(handmade), "--outcome", "high", "--format", "csv")
    assert code == 0 and set(pd.read_csv(io.StringIO(out))["outcome"]) == {"high"}
    # wide: one row per point, a column per outcome (a frequency or a mean) and its interval
    code, out, _ = cli(
        "sweep", "summary", str(handmade), "--wide", "--outcome", "high", "--outcome", "level",
        "--format", "csv",
    )  # fmt: skip
    assert code == 0
    wide = pd.read_csv(io.StringIO(out)).set_index("point_id")
    assert list(wide.index) == [0, 1]
    assert wide.loc[0, "high"] == 0.7 and wide.loc[1, "high"] == pytest.approx(1 / 3)
    assert (wide.loc[0, "high_low"], wide.loc[0, "high_high"]) == pytest.approx(wilson(7, 10))
    assert wide.loc[0, "level"] == 5.5 and wide.loc[1, "level"] == 10.0
    assert wide.loc[0, "level_low"] == pytest.approx(1.45)  # the 5% quantile
    assert list(wide.loc[:, "runs"]) == [10, 10] and list(wide.loc[:, "failed"]) == [0, 1]
    # the table keeps frequencies and means apart
    code, out, _ = cli("sweep", "summary", str(handmade))
    assert "yes/no outcomes" in out and "numeric outcomes" in out
    code, out, _ = cli("sweep", "summary", str(handmade), "--wide", "--outcome", "high")
    assert code == 0 and "0.70 (0.40-0.89)" in out
    code, _, err = cli("sweep", "summary", str(handmade), "--outcome", "nope")
    assert code == 2 and "this sweep has: high (yes/no), level (number)" in err


def test_summary_of_a_non_sweep_folder_is_one_line(tmp_path):
    code, _, err = cli("sweep", "summary", str(tmp_path))
    assert code == 2 and "not a sweep folder" in err and "Traceback" not in err


# ----- sensitivity ---------------------------------------------------------------------------
# level = sum over 10 turns of 4a + b (+ small noise): a matters most, b a little, c not at all.


def _indices(folder, *extra):  # type: ignore[no-untyped-def]
    code, out, err = cli("sweep", "sensitivity", str(folder), "--format", "json", *extra)
    assert code == 0, err
    rows = json.loads(out)
    saved = json.loads((folder / "sensitivity.json").read_text())
    assert saved == rows and (folder / "sensitivity.csv").is_file()
    return {(r["outcome"], r["parameter"]): r for r in rows}


def test_sobol_indices_rank_the_toy_parameters(tmp_path):
    out = sweep(tmp_path / "s", "--sample", "sobol", "--n", "256", "--vary", "a", "--vary", "b",
                "--vary", "c", "-r", "2")  # fmt: skip
    ix = _indices(out)
    lv = {p: ix[("level", p)] for p in "abc"}
    assert {r["method"] for r in lv.values()} == {"sobol"}
    assert lv["a"]["ST"] > lv["b"]["ST"] > lv["c"]["ST"]
    assert lv["a"]["S1"] == pytest.approx(16 / 17, abs=0.1)
    assert lv["b"]["S1"] == pytest.approx(1 / 17, abs=0.05)
    assert abs(lv["c"]["ST"]) < 0.02
    hi = {p: ix[("high", p)] for p in "abc"}
    assert hi["a"]["ST"] > hi["b"]["ST"] > hi["c"]["ST"]


def test_rbd_fast_ranks_the_toy_parameters_on_lhs(tmp_path):
    out = sweep(tmp_path / "l", "--sample", "lhs", "--n", "300", "--vary", "a", "--vary", "b",
                "--vary", "c", "--vary", "flag")  # fmt: skip
    ix = _indices(out, "--outcome", "level", "--outcome", "high")
    lv = {p: ix[("level", p)] for p in ("a", "b", "c", "flag")}
    assert {r["method"] for r in lv.values()} == {"rbd_fast"}
    assert lv["a"]["S1"] == pytest.approx(16 / 17, abs=0.1)
    assert lv["a"]["S1"] > lv["b"]["S1"] > max(lv["c"]["S1"], lv["flag"]["S1"])
    assert abs(lv["c"]["S1"]) < 0.1 and abs(lv["flag"]["S1"]) < 0.1
    assert ix[("high", "a")]["S1"] > max(ix[("high", p)]["S1"] for p in ("b", "c", "flag"))
    assert {o for o, _ in ix} == {"level", "high"}


def test_grid_decomposition_matches_the_hand_calculation(tmp_path):
    # level ≈ 10 (4a + b): Var(40a) over a in {0, .25, .5, .75, 1} is 200, Var(10b) over
    # b in {0, .5, 1} is 100/6, c has no effect, no interaction: S1 = ST = 0.923, 0.077, 0.
    out = sweep(tmp_path / "g", "--grid", "a=0:1:5", "--grid", "b=0:1:3", "--grid", "c=0,1")
    ix = _indices(out)
    s1 = {p: ix[("level", p)]["S1"] for p in "abc"}
    st = {p: ix[("level", p)]["ST"] for p in "abc"}
    assert s1["a"] == pytest.approx(200 / (200 + 100 / 6), abs=0.005)
    assert s1["b"] == pytest.approx((100 / 6) / (200 + 100 / 6), abs=0.005)
    assert s1["c"] == pytest.approx(0, abs=0.002)
    assert st["a"] == pytest.approx(s1["a"], abs=0.005) and st["c"] < 0.002
    assert ix[("level", "a")]["method"] == "factorial"


def test_one_parameter_sensitivity_says_it_is_trivial_and_splits_the_variance(tmp_path):
    # with one parameter every outcome that moves gets S1 = ST = 1; `between` tells the
    # outcome a drives (level: almost all of its variance is between points) from one it
    # barely moves (noise rises by the same amount in every run, so its spread is replicate
    # noise or nothing)
    out = sweep(tmp_path / "one", "--grid", "a=0:1:3", "-r", "6")
    code, text, err = cli("sweep", "sensitivity", str(out), "--outcome", "level")
    assert code == 0
    assert "varies one parameter" in err and "S1 = ST = 1" in err
    assert "between points" in text and "sensitivity.csv" in text
    ix = _indices(out)
    level = ix[("level", "a")]
    assert level["S1"] == 1.0 and "1 by construction" in level["note"]
    assert level["between"] > 0.99
    code, _, err = cli("sweep", "sensitivity", str(out), "--format", "csv")
    assert code == 0 and f"wrote {out / 'sensitivity.csv'}" in err
    # one run per point: no replicate variance to compare with
    single = sweep(tmp_path / "single", "--grid", "a=0:1:3")
    assert _indices(single)[("level", "a")]["between"] is None


def test_sensitivity_refuses_a_sweep_that_varies_nothing(tmp_path):
    out = sweep(tmp_path / "n", "-r", "3")
    code, _, err = cli("sweep", "sensitivity", str(out))
    assert code == 2 and "varies no parameter" in err


# ----- discovery -----------------------------------------------------------------------------
def test_discover_finds_the_box_where_high_is_likely(tmp_path):
    # high <=> 4a + b > 3 (level > 30): likely when a is above about 0.62.
    out = sweep(tmp_path / "d", "--sample", "lhs", "--n", "400", "--vary", "a", "--vary", "b",
                "--vary", "mode", "--seed", "2")  # fmt: skip
    code, text, err = cli("sweep", "discover", str(out), "--outcome", "high", "--format", "json")
    assert code == 0, err
    rep = json.loads(text)
    box = rep["box"]
    assert 0.5 <= box["restricts"]["a"]["min"] <= 0.8
    assert "mode" not in box["restricts"]
    assert box["density"] > 0.9 and box["coverage"] >= 0.5
    assert box["density"] > 2 * rep["base_density"]
    df = read(out)
    inside = df["a"] >= box["restricts"]["a"]["min"]
    for name, lim in box["restricts"].items():
        if "min" in lim:
            inside &= (df[name] >= lim["min"]) & (df[name] <= lim["max"])
    assert df.loc[inside, "high"].astype(bool).mean() == pytest.approx(box["density"])
    assert inside.mean() == pytest.approx(box["mass"])
    # without an outcome (or with an unknown one) the error lists the names it accepts
    code, _, err = cli("sweep", "discover", str(out))
    assert code == 2 and "give --outcome NAME" in err and "high (yes/no)" in err
    assert "crossed_level_high (yes/no)" in err and "level (number)" in err
    code, _, err = cli("sweep", "discover", str(out), "--outcome", "nope")
    assert code == 2 and "this sweep has: high (yes/no)" in err
    # a numeric outcome needs a threshold; the low end of `level` is where a is small
    code, _, err = cli("sweep", "discover", str(out), "--outcome", "level")
    assert code == 2 and "--above X or --below X" in err
    code, text, _ = cli("sweep", "discover", str(out), "--outcome", "level", "--below", "10",
                        "--format", "json")  # fmt: skip
    assert json.loads(text)["box"]["restricts"]["a"]["max"] <= 0.3


def test_summary_table_keeps_long_names_whole_when_piped(tmp_path, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    out = sweep(tmp_path / "o", "--grid", "seoul_credibility=0,1", "-r", "2", "--turns", "2",
                scenario="pyongyang-2024")  # fmt: skip
    code, text, _ = cli("sweep", "summary", str(out))
    assert code == 0
    assert "seoul_credibility" in text and "automatic_intervention_treaty" in text
    assert "…" not in text
