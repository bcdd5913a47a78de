"""The pure figure functions: they are checked on their data (traces, values, axes, markers)."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import plotly.graph_objects as go
import pytest

import summitsim
from _vizdata import tiny_result
from summitsim.viz import figures as F


def trace(fig, name):
    found = [t for t in fig.data if t.name == name]
    assert found, f"no trace {name!r} in {[t.name for t in fig.data]}"
    return found[0]


@pytest.fixture(scope="module")
def real() -> dict[str, Any]:
    return summitsim.run("pyongyang-2024", seed=3).to_dict()


# ----- one run ---------------------------------------------------------------------------------
def test_timeline_lines_hold_the_state_values():
    r = tiny_result()
    fig = F.timeline_figure(r)
    assert list(trace(fig, "x").x) == [0, 1, 2, 3]
    assert list(trace(fig, "x").y) == [10.0, 12.0, 15.0, 11.0]
    assert list(trace(fig, "y").y) == [0.0, 5.0, 4.0, 9.0]
    # relations are not plotted unless asked for
    assert not any(t.name == "rel:a:b" for t in fig.data)
    assert fig.layout.xaxis.title.text == "turn (months)"


def test_timeline_marks_crossings_approaches_and_injects():
    fig = F.timeline_figure(tiny_result())
    crossed = trace(fig, "red lines crossed")
    assert list(crossed.x) == [2]
    assert list(crossed.customdata) == ["no_strike"]
    assert "crossed by a" in crossed.hovertext[0] and "answered" in crossed.hovertext[0]
    assert crossed.y[0] > 15.0  # drawn above the highest line
    assert [s.x0 for s in fig.layout.shapes] == [2]  # one dashed vertical line per crossing
    approached = trace(fig, "red lines approached")
    assert list(approached.x) == [3]
    injects = trace(fig, "injects")
    assert list(injects.x) == [1]
    assert "Storm" in injects.hovertext[0]
    assert injects.y[0] < 0.0  # below the lowest line


def test_timeline_selected_variables_and_unknown_variable():
    r = tiny_result()
    fig = F.timeline_figure(r, ["rel:a:b"], labels={"rel:a:b": "A–B"})
    lines = [t for t in fig.data if t.mode == "lines"]
    assert [t.name for t in lines] == ["A–B"]
    assert list(lines[0].y) == [0.5, 0.25, -0.5, -1.0]
    with pytest.raises(KeyError, match="nope"):
        F.timeline_figure(r, ["nope"])


def test_timeline_without_crossings_hides_empty_marker_traces():
    r = tiny_result()
    for t in r["turns"]:
        t["red_lines"] = []
    fig = F.timeline_figure(r)
    assert trace(fig, "red lines crossed").visible == "legendonly"
    assert len(trace(fig, "red lines crossed").x) == 0
    assert not fig.layout.shapes


def test_escalation_bars_per_actor_and_total():
    fig = F.escalation_figure(tiny_result())
    assert list(trace(fig, "Alpha").y) == [4.0, 12.0, -2.0]
    assert list(trace(fig, "Beta").y) == [0.0, 0.0, 8.0]
    assert list(trace(fig, "total").y) == [4.0, 12.0, 6.0]
    assert list(trace(fig, "total").x) == [1, 2, 3]
    assert fig.layout.barmode == "relative"


def test_action_timeline_positions_kinds_and_hover_rationale():
    fig = F.action_timeline_figure(tiny_result(), move_names={"push": "Push hard"})
    ai = trace(fig, "ai")
    assert list(zip(ai.x, ai.y, ai.customdata, strict=True)) == [
        (1, "Alpha", "push"),
        (2, "Alpha", "strike"),
        (3, "Alpha", "calm"),
    ]
    assert ai.text[0] == "Push hard"
    # the rationale sentence is in the hover text, escaped
    assert "A pushed &lt;hard&gt; for x." in ai.hovertext[0]
    assert list(trace(fig, "inject").y) == ["events"]
    assert list(trace(fig, "red_line").customdata) == ["retaliate"]
    assert list(trace(fig, "refused").customdata) == ["deal"]
    assert list(trace(fig, "held").y) == ["Beta"]
    assert list(fig.layout.yaxis.categoryarray) == ["events", "Beta", "Alpha"]
    no_holds = F.action_timeline_figure(tiny_result(), show_holds=False)
    assert "held" not in [t.name for t in no_holds.data]


def test_relations_network_edges_follow_the_turn_and_frames():
    r = tiny_result()
    fig = F.relations_figure(r)
    edge = fig.data[0]
    assert edge.meta == "rel:a:b"
    # opens at the last turn: -1.0 is full red and thick
    assert edge.line.color == "rgb(213,94,0)"
    assert edge.line.width == pytest.approx(7.5)
    labels = fig.data[1]
    assert list(labels.customdata) == [-1.0]
    assert list(labels.text) == ["-1.00"]
    nodes = fig.data[2]
    assert list(nodes.text) == ["Alpha", "Beta"]
    assert len(fig.frames) == 4
    assert [f.name for f in fig.frames] == ["0", "1", "2", "3"]
    assert list(fig.frames[0].data[1].customdata) == [0.5]
    assert fig.frames[1].data[0].line.width == pytest.approx(1.5 + 6 * 0.25)
    assert len(fig.layout.sliders[0].steps) == 4
    assert fig.layout.sliders[0].active == 3
    assert list(F.relations_figure(r, turn=1).data[1].customdata) == [0.25]
    # built without validation for speed: check that Plotly accepts it as valid
    go.Figure(fig.to_plotly_json())


def test_outcome_rows_and_first_turn():
    rows = F.outcome_rows(tiny_result(), {"done": "It is done."})
    assert rows[0] == {
        "outcome": "done",
        "description": "It is done.",
        "value": "yes",
        "first_turn": 2,
    }
    assert rows[1]["value"] == "11" and rows[1]["first_turn"] is None
    fig = F.outcomes_figure(tiny_result())
    assert list(fig.data[0].cells.values[0]) == ["done", "level"]


def test_turn_log_rows_in_order_with_rationales():
    rows = F.turn_log_rows(tiny_result())
    assert [(r["turn"], r["actor"], r["move"]) for r in rows] == [
        (1, "Alpha", "push"),
        (1, "Beta", "hold"),
        (1, "events", "storm"),
        (2, "Alpha", "strike"),
        (2, "Beta", "deal"),
        (3, "Beta", "retaliate"),
        (3, "Alpha", "calm"),
    ]
    assert rows[4]["status"] == "refused"
    assert rows[3]["rationale"] == "A struck."


def test_figures_from_a_real_run(real):
    n = real["n_turns"]
    fig = F.timeline_figure(real)
    russia = trace(fig, "russia_firepower")
    assert list(russia.y) == [t["state"]["russia_firepower"] for t in real["turns"]]
    crossed = [
        (t["turn"], rl["red_line"])
        for t in real["turns"]
        for rl in t["red_lines"]
        if rl["status"] == "crossed"
    ]
    assert list(trace(fig, "red lines crossed").x) == [c[0] for c in crossed]
    esc = F.escalation_figure(real)
    assert list(trace(esc, "total").y) == pytest.approx(
        [sum(t["escalation"].values()) for t in real["turns"][1:]]
    )
    acts = F.action_timeline_figure(real)
    n_actions = sum(len(t["actions"]) for t in real["turns"])
    assert sum(len(t.x) for t in acts.data) == n_actions
    rel = F.relations_figure(real)
    assert len(rel.frames) == n + 1
    n_rel = len(F.relations_of(real))
    assert n_rel == 6
    last = real["turns"][-1]["state"]
    assert list(rel.data[n_rel].customdata) == [last[s] for s, _, _ in F.relations_of(real)]


# ----- many runs -------------------------------------------------------------------------------
def _shifted(k: float, crossed_at: int | None, done: bool) -> dict[str, Any]:
    r = tiny_result()
    for t in r["turns"]:
        t["state"]["x"] += k
    r["outcomes"] = {"done": done, "level": 11.0 + k}
    r["summary"]["first_crossed"] = {"no_strike": crossed_at, "watch": None}
    return r


def test_compare_bands_are_median_and_quartiles():
    runs = [_shifted(k, None, True) for k in (0.0, 1.0, 2.0, 3.0, 10.0)]
    fig = F.compare_bands_figure({"A": runs, "B": runs[:2]}, "x")
    assert len(fig.data) == 6
    upper, lower, median = fig.data[:3]
    arr = np.array([[t["state"]["x"] for t in r["turns"]] for r in runs])
    assert list(median.y) == pytest.approx(np.median(arr, axis=0).tolist())
    assert list(upper.y) == pytest.approx(np.quantile(arr, 0.75, axis=0).tolist())
    assert list(lower.y) == pytest.approx(np.quantile(arr, 0.25, axis=0).tolist())
    assert lower.fill == "tonexty"
    assert median.name == "A (median, n=5)"
    assert fig.data[5].name == "B (median, n=2)"
    assert list(fig.data[5].y) == pytest.approx([10.5, 12.5, 15.5, 11.5])


def test_outcome_frequency_bars_with_wilson_intervals():
    a = [_shifted(0, None, True)] * 3 + [_shifted(0, None, False)]
    b = [_shifted(0, None, False)] * 4
    fig = F.outcome_frequency_figure({"A": a, "B": b})
    bar_a, bar_b = fig.data
    assert list(bar_a.x) == ["done"]  # numeric outcomes are not frequencies
    assert list(bar_a.y) == [0.75]
    assert list(bar_b.y) == [0.0]
    lo, hi = F.wilson(3, 4)
    assert bar_a.error_y.arrayminus[0] == pytest.approx(0.75 - lo)
    assert bar_a.error_y.array[0] == pytest.approx(hi - 0.75)
    assert list(bar_a.customdata[0]) == [3, 4]


def test_wilson_interval_known_values():
    lo, hi = F.wilson(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-4)
    assert hi == pytest.approx(0.5962, abs=1e-4)
    assert F.wilson(0, 0) == (0.0, 1.0)
    lo0, hi0 = F.wilson(0, 20)
    assert lo0 == 0.0 and 0.1 < hi0 < 0.2


def test_first_crossed_is_a_cumulative_share_per_red_line():
    runs = [
        _shifted(0, 1, True),
        _shifted(0, 2, True),
        _shifted(0, None, True),
        _shifted(0, 2, True),
    ]
    fig = F.first_crossed_figure({"A": runs})
    by_rl = {t.meta["red_line"]: t for t in fig.data}
    assert set(by_rl) == {"no_strike", "watch"}
    assert list(by_rl["no_strike"].y) == [0.0, 0.25, 0.75, 0.75]
    assert by_rl["no_strike"].meta["ever"] == 3
    assert list(by_rl["watch"].y) == [0.0] * 4
    # derived from the turns when the summary is missing
    r = tiny_result()
    del r["summary"]
    assert F.first_crossed_turns([r]) == {"no_strike": [2], "watch": [None]}


def test_compare_real_runs_differ_between_settings():
    lo = [summitsim.run(seed=s, params={"seoul_credibility": 0.0}).to_dict() for s in range(8)]
    hi = [summitsim.run(seed=s, params={"seoul_credibility": 1.0}).to_dict() for s in range(8)]
    fig = F.outcome_frequency_figure({"low": lo, "high": hi})
    freq = {t.name: dict(zip(t.x, t.y, strict=True)) for t in fig.data}
    expect_lo = sum(r["outcomes"]["missile_tech_transferred"] for r in lo) / 8
    assert freq["low (n=8)"]["missile_tech_transferred"] == pytest.approx(expect_lo)
    bands = F.compare_bands_figure({"low": lo, "high": hi}, "rok_lethal_aid")
    assert all(not math.isnan(v) for v in bands.data[2].y)
    dist = F.outcome_distribution_figure({"low": lo})
    assert "munitions_shipped" in set(dist.data[0].x)
    assert "missile_tech_transferred" not in set(dist.data[0].x)


def test_figure_functions_do_not_modify_the_result(real):
    before = copy.deepcopy(real)
    F.timeline_figure(real)
    F.escalation_figure(real)
    F.action_timeline_figure(real)
    F.relations_figure(real)
    F.turn_log_rows(real)
    F.first_crossed_figure({"a": [real]})
    assert real == before
