"""Backtests: scores worked out by hand, a toy record whose probabilities are known, the same
counts on any executor, and the command line (table, scores, skill, --json, --report)."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from typer.testing import CliRunner

import test_sweep_dask
from summitsim.backtest import scores as S
from summitsim.backtest.core import run_backtest
from summitsim.backtest.play import SerialExecutor, executor_for
from summitsim.cli import app
from tests.conftest import ROOT

cluster = test_sweep_dask.cluster  # the real Dask cluster fixture (scheduler + 2 workers)

TOY = ROOT / "tests" / "data" / "toy-events.yaml"
runner = CliRunner()

# A two-turn scenario with two chance events: a spark on turn 1 (probability 0.3) and rain on
# turn 2 (probability 0.8), independent. Its record (below) says the spark happened, the rain
# did not, and (with confidence 0.8) that both happened.
CHANCE = """\
meta:
  id: toy-chance
  title: Two chance events
  summary: A spark and rain with known probabilities.
  turn_length: day
  start_date: "2020-01-01"
  turns: 2
  sources: [{id: toy, title: Constructed for the tests}]
parameters:
  p_spark: {description: chance of a spark, default: 0.3, range: [0, 1]}
  p_rain: {description: chance of rain, default: 0.8, range: [0, 1]}
variables:
  sparks: {description: sparks, initial: 0, bounds: [0, 10]}
  rain: {description: rain, initial: 0, bounds: [0, 10]}
actors:
  idle:
    name: Idle
    description: Does nothing.
    policy: random
    interests: [{kind: raise, variable: sparks, weight: 1, description: sparks}]
    briefing: {public: You are idle.}
moves:
  shrug: {name: Shrug, description: Changes nothing., by: idle, effects: []}
injects:
  spark: {name: Spark, description: a spark, at_turn: 1, probability: p_spark,
          effects: [{variable: sparks, delta: 1}]}
  rain: {name: Rain, description: rain, at_turn: 2, probability: p_rain,
         effects: [{variable: rain, delta: 1}]}
outcomes:
  sparks: {description: sparks, expr: sparks, type: number}
"""
CHANCE_RECORD = """\
scenario: toy-chance
title: What happened to the toy
sources: [{id: s, title: Made up, publisher: The tests, date: "2020-01-03"}]
entries:
  - {id: spark, date: "2020-01-01", summary: a spark, sources: [s], confidence: 1,
     check: {kind: level, variable: sparks, above: 0.5, at_turn: 1}}
  - {id: no_rain, date: "2020-01-02", summary: no rain, sources: [s], confidence: 1,
     observed: false, check: {kind: level, variable: rain, above: 0.5, at_turn: 2}}
  - {id: both, date: "2020-01-02", summary: both, sources: [s], confidence: 0.8,
     check: {kind: expr, expr: "sparks + rain >= 2", at_turn: 2}}
"""
# By hand: forecasts 0.3, 0.8 and 0.3 x 0.8 = 0.24; outcomes 1, 0 and 0.8 (soft).
#   Brier: (1 - 0.3)^2 = 0.49; (0.8 - 0)^2 = 0.64; 0.8 (1 - 0.24)^2 + 0.2 (0.24)^2 = 0.4736
#   mean = (0.49 + 0.64 + 0.4736) / 3 = 0.534533...
#   log:   -ln 0.3 = 1.20397; -ln 0.2 = 1.60944; -(0.8 ln 0.24 + 0.2 ln 0.76) = 1.19658
BRIER_BY_HAND = (0.49 + 0.64 + 0.4736) / 3
LOG_BY_HAND = (-math.log(0.3) - math.log(0.2) - (0.8 * math.log(0.24) + 0.2 * math.log(0.76))) / 3


@pytest.fixture(scope="module")
def chance(tmp_path_factory):
    d = tmp_path_factory.mktemp("chance")
    (d / "toy-chance.yaml").write_text(CHANCE, encoding="utf-8")
    (d / "record.yaml").write_text(CHANCE_RECORD, encoding="utf-8")
    return d


def test_scores_by_hand():
    p = np.array([0.3, 0.8, 0.24])
    y = np.array([1.0, 0.0, 0.8])
    assert np.allclose(S.brier(p, y), [0.49, 0.64, 0.4736])
    assert S.brier(p, y).mean() == pytest.approx(BRIER_BY_HAND, abs=1e-12)
    assert S.log_score(p, y).mean() == pytest.approx(LOG_BY_HAND, abs=1e-12)
    assert S.brier([0.5], [1.0])[0] == 0.25 and S.log_score([0.5], [0.0])[0] == pytest.approx(
        math.log(2)
    )
    # forecasts from counts, kept off 0 and 1 so the log score stays finite
    assert np.allclose(S.forecast([0, 3, 10], [10, 10, 10]), [S.FLOOR, 0.3, 1 - S.FLOOR])
    assert S.skill(0.1, 0.2) == 0.5 and S.skill(0.3, 0.2) == pytest.approx(-0.5)
    assert math.isnan(S.skill(0.1, 0.0))


def test_skill_interval_and_reliability():
    m, r = [0.1, 0.2, 0.1, 0.3], [0.2, 0.2, 0.3, 0.3]
    lo, hi = S.skill_interval(m, r)
    assert lo <= S.skill(float(np.mean(m)), float(np.mean(r))) <= hi
    assert S.reliability([0.5] * 9, [1] * 9, list("abcdefghi")) is None  # too short
    p = [0.05, 0.1, 0.15, 0.3, 0.35, 0.5, 0.7, 0.9, 0.95, 0.99]
    y = [0, 0, 1, 0, 1, 0.8, 1, 1, 1, 1]
    bins = S.reliability(p, y, [str(i) for i in range(10)])
    assert bins is not None and [b.n for b in bins] == [3, 2, 1, 1, 3]
    assert bins[0].mean_forecast == pytest.approx(0.1) and bins[0].observed == pytest.approx(1 / 3)
    assert bins[-1].ids == ("7", "8", "9")


def test_toy_record_gives_the_brier_score_worked_out_by_hand(chance):
    """2,000 runs: each share is within 4 standard errors of its probability (SE <= 0.0103),
    and the mean Brier score within 0.03 (4 SE of the mean score, about 0.0076) of 0.5345."""
    bt = run_backtest(str(chance / "toy-chance.yaml"), str(chance / "record.yaml"), seeds=2000,
                      executor=SerialExecutor(), ensembles=("scenario",))  # fmt: skip
    d = bt.to_dict()
    shares = [e["scenario"]["share"] for e in d["entries"]]
    for share, p in zip(shares, (0.3, 0.8, 0.24), strict=True):
        assert abs(share - p) < 4 * math.sqrt(p * (1 - p) / 2000), (share, p)
    assert d["scores"]["scenario"]["brier"] == pytest.approx(BRIER_BY_HAND, abs=0.03)
    assert d["scores"]["scenario"]["log"] == pytest.approx(LOG_BY_HAND, abs=0.06)
    # the score is the mean of the per-entry scores of the ensemble's own shares, exactly
    p = np.array(shares)
    assert d["scores"]["scenario"]["brier"] == pytest.approx(
        float(S.brier(p, [1.0, 0.0, 0.8]).mean()), abs=1e-12
    )
    assert d["reliability"] is None  # three entries are too few


def test_baselines_and_skill(chance):
    """The toy's one move changes nothing, so every ensemble plays the same chance events: the
    baselines' shares agree with the scenario's within sampling error, and the skill is near 0."""
    bt = run_backtest(str(chance / "toy-chance.yaml"), str(chance / "record.yaml"), seeds=400,
                      executor=SerialExecutor())  # fmt: skip
    d = bt.to_dict()
    for e in d["entries"]:
        for ens in ("random", "hold"):
            assert abs(e[ens]["share"] - e["scenario"]["share"]) < 0.12
    for ref in ("random", "hold"):
        v = d["skill"][ref]["brier"]
        assert abs(v["value"]) < 0.2 and v["ci95"][0] <= v["value"] <= v["ci95"][1]
    assert d["failed"] == {"scenario": 0, "random": 0, "hold": 0}


def test_same_counts_on_any_executor():
    """Seeds come from the run's id alone: one process or two workers, the same counts."""
    rec = str(ROOT / "records" / "hanoi-2019.yaml")
    serial = run_backtest("hanoi-2019", rec, seeds=12, executor=SerialExecutor()).to_dict()
    ex = executor_for(workers=2)
    try:
        local = run_backtest("hanoi-2019", rec, seeds=12, executor=ex).to_dict()
    finally:
        ex.close()
    for a, b in zip(serial["entries"], local["entries"], strict=True):
        for ens in ("scenario", "random", "hold"):
            assert a[ens]["k"] == b[ens]["k"] and a[ens]["n"] == b[ens]["n"] == 12


def test_hold_baseline_holds_and_random_baseline_moves():
    """hanoi-2019: with every actor holding no move is taken (the US never demands a big deal)
    and the summit is never signed (a negotiator that holds walks away), while random
    negotiators sign it in some runs and not in others."""
    bt = run_backtest("hanoi-2019", seeds=60, executor=SerialExecutor())
    entries = {e["id"]: e for e in bt.to_dict()["entries"]}
    assert entries["big_deal"]["hold"]["share"] == 0.0
    walk = entries["walk_out"]  # the summit not signed in turn 1
    assert walk["hold"]["share"] == 1.0
    assert 0.3 < walk["random"]["share"] < 0.95


def test_cli_backtest_prints_table_scores_and_skill(tmp_path):
    out_json, out_html = tmp_path / "bt.json", tmp_path / "bt.html"
    args = ["backtest", "hanoi-2019", "--seeds", "16", "--workers", "0", "-q"]
    res = runner.invoke(app, [*args, "--json", str(out_json), "--report", str(out_html)])
    assert res.exit_code == 0, res.output
    text = res.output
    assert "Backtest of hanoi-2019 against records/hanoi-2019.yaml: 14 entries, 16 runs" in text
    for needle in ("walk_out", "no_relief_by_end", "Scores", "Brier", "log",
                   "every actor random", "every actor holds", "Skill of the scenario"):  # fmt: skip
        assert needle in text, needle
    assert re.search(r"every actor (random|holds)\s+│\s+[+-]\d\.\d{3} \[", text)
    data = json.loads(out_json.read_text())
    assert data["seeds"] == 16 and len(data["entries"]) == 14
    assert set(data["skill"]) == {"random", "hold"}
    assert data["reliability"] is not None  # 14 entries: long enough
    for e in data["entries"]:
        lo, hi = e["scenario"]["ci95"]
        assert lo <= e["scenario"]["share"] <= hi
    html = out_html.read_text()
    assert html.startswith("<!DOCTYPE html>") and "Plotly.newPlot" in html
    assert "walk_out" in html and "The Washington Post" in html
    assert "<script src=" not in html  # plotly.js embedded: works offline


def test_cli_errors_exit_2(tmp_path):
    res = runner.invoke(app, ["backtest", "hanoi-2019", "--set", "us_flexibility=7", "-q"])
    assert res.exit_code == 2 and "outside range" in res.output
    res = runner.invoke(app, ["backtest", "hanoi-2019", "--workers", "1", "--dask", "tcp://x:1"])
    assert res.exit_code == 2 and "--workers is for local runs" in res.output
    res = runner.invoke(app, ["backtest", "no-such-scenario"])
    assert res.exit_code == 2 and "no such scenario" in res.output


@pytest.mark.dask
def test_backtest_on_dask_gives_the_same_counts(cluster, tmp_path):
    rec = str(ROOT / "records" / "hanoi-2019.yaml")
    serial = run_backtest("hanoi-2019", rec, seeds=10, executor=SerialExecutor()).to_dict()
    out = tmp_path / "bt.json"
    args = ["backtest", "hanoi-2019", "--seeds", "10", "-q", "--json", str(out)]
    res = runner.invoke(app, [*args, "--dask", cluster])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["executor"]["kind"] == "dask"
    for a, b in zip(serial["entries"], data["entries"], strict=True):
        assert a["scenario"]["k"] == b["scenario"]["k"]


def test_dashboard_backtest_page():
    """The Backtest page is registered, refuses what it cannot do with a message, and shows
    the scores, the skill, the charts and the entries."""
    from dash import html

    from summitsim.dashboard import page_backtest as P
    from summitsim.dashboard.app import create_app
    from summitsim.dashboard.pages import registered_pages
    from summitsim.errors import UserError

    app = create_app("hanoi-2019", warm=False)
    assert "backtest" in [p.key for p in registered_pages()]
    ctx = app.summitsim_ctx
    with pytest.raises(UserError, match="no record ships for pyongyang-2024"):
        P.compute(ctx, "pyongyang-2024", "", 20)
    with pytest.raises(UserError, match="too much work"):
        P.compute(ctx, "hanoi-2019", "", P.MAX_SEEDS)
    data = P.compute(ctx, "hanoi-2019", "", 12)
    assert data["seeds"] == 12 and len(data["entries"]) == 14
    parts = P.results(data)
    text = str(parts)
    assert "Skill of the scenario" in text and "The Hanoi summit not signed" in text
    assert sum(isinstance(p, html.Div) for p in parts) == 3  # three charts
