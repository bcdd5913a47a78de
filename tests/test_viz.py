"""The pure figure functions: they are checked on their data (traces, values, axes, markers)."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

import summitsim
from _vizdata import tiny_result
from summitsim.viz import figures as F
from summitsim.viz.labels import Labels


def trace(fig, name):
    found = [t for t in fig.data if t.name == name]
    assert found, f"no trace {name!r} in {[t.name for t in fig.data]}"
    return found[0]


def by_meta(fig, meta):
    found = [t for t in fig.data if t.meta == meta]
    assert found, f"no trace with meta {meta!r} in {[t.meta for t in fig.data]}"
    return found[0]


@pytest.fixture(scope="module")
def labels() -> Labels:
    return Labels.from_spec(summitsim.load_scenario("pyongyang-2024").spec)


@pytest.fixture(scope="module")
def real() -> dict[str, Any]:
    return summitsim.run("pyongyang-2024", seed=3).to_dict()


# ----- one run ---------------------------------------------------------------------------------
def test_timeline_lines_hold_the_state_values():
    r = tiny_result()
    fig = F.timeline_figure(r)
    assert list(by_meta(fig, "x").x) == [0, 1, 2, 3]
    assert list(by_meta(fig, "x").y) == [10.0, 12.0, 15.0, 11.0]
    assert list(by_meta(fig, "y").y) == [0.0, 5.0, 4.0, 9.0]
    assert by_meta(fig, "x").name == "X"  # no scenario at hand: a name made from the id
    # relations are not plotted unless asked for
    assert not any(t.meta == "rel:a:b" for t in fig.data)
    # each variable in its own small chart, with the turn axis titled under the last row
    axes = {by_meta(fig, v).yaxis for v in ("x", "y")}
    assert len(axes) == 2
    titles = [fig.layout[k].title.text for k in fig.layout if k.startswith("xaxis")]
    assert "turn (months)" in titles


def test_timeline_small_multiples_have_names_and_units(labels):
    r = summitsim.run("pyongyang-2024", seed=1, turns=4).to_dict()
    fig = F.timeline_figure(r, labels=labels)
    munitions = by_meta(fig, "dprk_munitions_shipped")
    assert munitions.name == "North Korean munitions shipped"
    yaxis = fig.layout["yaxis" + munitions.yaxis[1:]]
    assert yaxis.title.text == "thousand containers"
    firepower = by_meta(fig, "russia_firepower")
    assert fig.layout["yaxis" + firepower.yaxis[1:]].title.text == "index"
    titles = [a.text for a in fig.layout.annotations]
    assert "<b>Russia's artillery edge</b>" in titles
    # one chart per variable, in two columns, tall enough to read
    n = len(F.variables_of(r))
    assert n == len(summitsim.load_scenario("pyongyang-2024").spec.variables) >= 10
    assert len({t.yaxis for t in fig.data if t.meta in F.variables_of(r)}) == n
    assert fig.layout.height >= (n + 1) // 2 * 120


def test_actor_colours_tell_actors_apart_by_hue():
    for sid in ("pyongyang-2024", "hanoi-2019"):
        r = summitsim.run(sid, seed=1, turns=1).to_dict()
        colours = F.actor_colors(r)
        assert len(set(colours.values())) == len(colours)
        actors = list(colours)
        for i, a in enumerate(actors):
            for b in actors[i + 1 :]:
                assert F.hue_distance(colours[a], colours[b]) >= 25, (sid, a, b, colours)
    r = summitsim.run("pyongyang-2024", seed=1, turns=1).to_dict()
    esc = F.escalation_figure(r)
    bars = {t.meta: t.marker.color for t in esc.data if t.type == "bar"}
    assert bars == F.actor_colors(r)


def test_timeline_marks_crossings_approaches_and_injects():
    fig = F.timeline_figure(tiny_result())
    crossed = trace(fig, "red lines crossed")
    assert list(crossed.x) == [2]
    assert list(crossed.customdata) == ["no_strike"]
    assert "crossed by Alpha" in crossed.hovertext[0] and "answered" in crossed.hovertext[0]
    assert "Beta's red line" in crossed.hovertext[0] and "No strike" in crossed.hovertext[0]
    assert crossed.y[0] == "red line crossed"  # in the strip above the charts
    # a dashed vertical line per crossing through the strip and every chart
    assert [s.x0 for s in fig.layout.shapes] == [2, 2, 2]
    approached = trace(fig, "red lines approached")
    assert list(approached.x) == [3]
    injects = trace(fig, "events")
    assert list(injects.x) == [1]
    assert "Storm" in injects.hovertext[0]
    assert injects.y[0] == "event"


def test_timeline_selected_variables_and_unknown_variable():
    r = tiny_result()
    fig = F.timeline_figure(r, ["rel:a:b"], labels={"rel:a:b": "A–B"})
    lines = [t for t in fig.data if t.mode == "lines"]
    assert [t.name for t in lines] == ["A–B"]
    assert fig.layout["yaxis" + lines[0].yaxis[1:]].range == (-1.05, 1.05)
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
    # moves are grouped (and coloured) by escalation level
    low = by_meta(fig, "level:low")
    assert (list(low.x), list(low.y)) == ([1], ["Alpha"])
    assert [list(c) for c in low.customdata] == [["push", "1:0"]]
    assert low.name == "low (up to 4)"
    assert (
        fig.data[0].meta == "level:calming" and fig.data[0].legendgrouptitle.text == "Escalation:"
    )
    assert list(by_meta(fig, "level:medium").customdata[0]) == ["strike", "2:0"]
    assert list(by_meta(fig, "level:calming").customdata[0]) == ["calm", "3:1"]
    assert by_meta(fig, "level:low").marker.color[0] != by_meta(fig, "level:medium").marker.color[0]
    # the move's name and the rationale sentence are in the hover text, escaped
    assert "Push hard" in low.hovertext[0] and "AI choice" in low.hovertext[0]
    assert "A pushed &lt;hard&gt; for x." in low.hovertext[0]
    assert list(trace(fig, "event").y) == ["events"]
    assert trace(fig, "red-line response").customdata[0][0] == "retaliate"
    assert trace(fig, "red-line response").marker.symbol[0] == "x"
    assert trace(fig, "refused").customdata[0][0] == "deal"
    assert list(trace(fig, "held").y) == ["Beta"]
    assert list(fig.layout.yaxis.categoryarray) == ["events", "Beta", "Alpha"]
    no_holds = F.action_timeline_figure(tiny_result(), show_holds=False)
    assert "held" not in [t.name for t in no_holds.data]


def test_action_timeline_marks_moves_by_channel_and_spreads_two_moves(labels):
    r = summitsim.run("pyongyang-2024", seed=3).to_dict()
    fig = F.action_timeline_figure(r, labels=labels)
    points = [
        (x, y, c[0], s)
        for t in fig.data
        if str(t.meta).startswith("level:")
        for x, y, c, s in zip(t.x, t.y, t.customdata, t.marker.symbol, strict=True)
    ]
    assert points
    for _, _, move, symbol in points:
        expected = {"diplomatic": "circle", "military": "diamond", "economic": "square"}
        assert symbol == expected.get(labels.channels[move], "triangle-up")
    # two moves of one actor in one turn do not sit on top of each other
    assert len({(x, y) for x, y, _, _ in points}) == len(points)
    keys = [t.name for t in fig.data if t.meta == "key"]
    assert "military" in keys and "diplomatic" in keys


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
    assert labels.marker.symbol == "square"  # a box under the score, over the edge
    nodes = fig.data[2]
    assert list(nodes.text) == ["<b>Alpha</b>", "<b>Beta</b>"]
    # a legend for edge colour and width, and a Play button
    keys = [t for t in fig.data if t.meta == "key"]
    assert [t.name for t in keys] == ["friendly, +1", "neutral, 0", "hostile, −1"]
    assert keys[0].line.width > keys[1].line.width
    assert fig.layout.updatemenus[0].buttons[0].label == "▶ Play"
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
        "id": "done",
        "outcome": "Done",
        "description": "It is done.",
        "value": "yes",
        "first_turn": 2,
    }
    assert rows[1]["value"] == "11" and rows[1]["first_turn"] is None
    fig = F.outcomes_figure(tiny_result())
    assert list(fig.data[0].cells.values[0]) == ["Done", "Level"]


def test_turn_log_rows_in_order_with_rationales():
    rows = F.turn_log_rows(tiny_result())
    assert [(r["turn"], r["actor"], r["move"], r["by"]) for r in rows] == [
        (1, "Alpha", "Push", "AI choice"),
        (1, "Beta", "Hold", "AI choice"),
        (1, "events", "Storm", "event"),
        (2, "Alpha", "Strike", "AI choice"),
        (2, "Beta", "Deal", "AI choice"),
        (3, "Beta", "Retaliate", "red-line response"),
        (3, "Alpha", "Calm", "AI choice"),
    ]
    assert rows[4]["status"] == "refused"
    assert rows[3]["rationale"] == "A struck."


def test_figures_from_a_real_run(real):
    n = real["n_turns"]
    fig = F.timeline_figure(real)
    russia = by_meta(fig, "russia_firepower")
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
    assert sum(len(t.x) for t in acts.data if t.meta != "key") == n_actions
    rel = F.relations_figure(real)
    assert len(rel.frames) == n + 1
    n_rel = len(F.relations_of(real))
    assert n_rel == 6
    last = real["turns"][-1]["state"]
    assert list(rel.data[n_rel].customdata) == [last[s] for s, _, _ in F.relations_of(real)]


@pytest.mark.parametrize("name", ["timeline", "escalation", "action_timeline", "relations"])
def test_figure_dicts_are_valid_and_the_figures_json(real, labels, name):
    """The dashboard draws the ``*_spec`` dicts: Plotly accepts them as they are (validated)
    and they are what the ``*_figure`` functions return."""
    spec = getattr(F, f"{name}_spec")(real, labels=labels)
    fig = getattr(F, f"{name}_figure")(real, labels=labels)
    validated = go.Figure(copy.deepcopy(spec))  # raises on a property Plotly does not know
    assert validated.to_plotly_json() == go.Figure(fig.to_plotly_json()).to_plotly_json()
    assert json.loads(json.dumps(spec)) == json.loads(pio.to_json(fig, validate=False))


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
    # the band is explained: in the legend and under the title
    assert lower.name == "A: middle 50% of runs" and lower.showlegend is not False
    assert "middle 50% of runs (25th to 75th percentile)" in fig.layout.title.text
    assert median.name == "A: median (n=5)"
    assert fig.data[5].name == "B: median (n=2)"
    assert list(fig.data[5].y) == pytest.approx([10.5, 12.5, 15.5, 11.5])


def test_outcome_frequency_bars_with_wilson_intervals():
    a = [_shifted(0, None, True)] * 3 + [_shifted(0, None, False)]
    b = [_shifted(0, None, False)] * 4
    fig = F.outcome_frequency_figure({"A": a, "B": b})
    bar_a, bar_b = fig.data
    assert list(bar_a.x) == ["Done"]  # numeric outcomes are not frequencies
    assert list(bar_a.y) == [0.75]
    assert list(bar_b.y) == [0.0]
    lo, hi = F.wilson(3, 4)
    assert bar_a.error_y.arrayminus[0] == pytest.approx(0.75 - lo)
    assert bar_a.error_y.array[0] == pytest.approx(hi - 0.75)
    assert list(bar_a.customdata[0]) == [3, 4, "done"]


def test_wilson_interval_known_values():
    from summitsim import stats
    from summitsim.sweep import summary

    assert F.wilson is stats.wilson and summary.wilson is stats.wilson  # one implementation
    lo, hi = F.wilson(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-4)
    assert hi == pytest.approx(0.5962, abs=1e-4)
    assert all(math.isnan(v) for v in F.wilson(0, 0))
    lo0, hi0 = F.wilson(0, 20)
    assert lo0 == 0.0 and 0.1 < hi0 < 0.2


def test_difference_view_against_the_first_setting():
    a = [_shifted(0, None, True)] * 10 + [_shifted(0, None, False)] * 10
    b = [_shifted(k, None, True) for k in range(18)] + [_shifted(0, None, False)] * 2
    rows = F.difference_rows({"A": a, "B": b})
    done = next(r for r in rows if r["outcome"] == "done")
    assert done["difference"] == pytest.approx(0.9 - 0.5)
    assert done["low"] < 0.4 < done["high"] and done["low"] > 0  # clearly more often
    level = next(r for r in rows if r["outcome"] == "level")
    ys = [11.0 + k for k in range(18)] + [11.0, 11.0]
    assert level["difference"] == pytest.approx(np.mean(ys) - 11.0)
    assert level["low"] < level["difference"] < level["high"]
    fig = F.difference_figure({"A": a, "B": b})
    dot = fig.data[0]
    assert dot.name == "B − A" and list(dot.y) == ["Done"]
    assert dot.x[0] == pytest.approx(40.0)
    assert dot.error_x.arrayminus[0] == pytest.approx(100 * (0.4 - done["low"]))


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
    assert [a.text for a in fig.layout.annotations] == ["<b>No strike</b>", "<b>Watch</b>"]
    assert fig.layout.yaxis.range[1] == pytest.approx(0.75 * 1.15)  # fitted to the curves
    rare = F.first_crossed_figure({"A": [_shifted(0, 3, True)] + [_shifted(0, None, True)] * 49})
    assert rare.layout.yaxis.range[1] == pytest.approx(0.05)  # 2% is still visible
    # derived from the turns when the summary is missing
    r = tiny_result()
    del r["summary"]
    assert F.first_crossed_turns([r]) == {"no_strike": [2], "watch": [None]}


def test_compare_real_runs_differ_between_settings():
    lo = [summitsim.run(seed=s, params={"seoul_credibility": 0.0}).to_dict() for s in range(8)]
    hi = [summitsim.run(seed=s, params={"seoul_credibility": 1.0}).to_dict() for s in range(8)]
    fig = F.outcome_frequency_figure({"low": lo, "high": hi})
    freq = {t.name: {c[2]: y for c, y in zip(t.customdata, t.y, strict=True)} for t in fig.data}
    expect_lo = sum(r["outcomes"]["missile_tech_transferred"] for r in lo) / 8
    assert freq["low (n=8)"]["missile_tech_transferred"] == pytest.approx(expect_lo)
    bands = F.compare_bands_figure({"low": lo, "high": hi}, "rok_lethal_aid")
    assert all(not math.isnan(v) for v in bands.data[2].y)
    dist = F.outcome_distribution_figure({"low": lo})
    shown = {t.meta["outcome"] for t in dist.data}
    assert "munitions_shipped" in shown and "missile_tech_transferred" not in shown
    box = next(t for t in dist.data if t.meta["outcome"] == "munitions_shipped")
    assert list(box.y) == [r["outcomes"]["munitions_shipped"] for r in lo]


def test_figure_functions_do_not_modify_the_result(real):
    before = copy.deepcopy(real)
    F.timeline_figure(real)
    F.escalation_figure(real)
    F.action_timeline_figure(real)
    F.relations_figure(real)
    F.turn_log_rows(real)
    F.first_crossed_figure({"a": [real]})
    assert real == before
