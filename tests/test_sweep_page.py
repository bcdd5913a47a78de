"""The dashboard's Sweep page: figures checked against the folder's runs, in-process, and the
page as a user meets it (a real server on 127.0.0.1 and headless Chromium; a failure, not a
skip, when CI=true and no browser is installed)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from summitsim.dashboard import page_sweep as sp
from summitsim.sweep.summary import wilson
from test_sweep_helpers import TOY, read, sweep


@pytest.fixture(scope="module")
def folder(tmp_path_factory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("page") / "grid"
    return sweep(out, "--grid", "a=0:1:5", "--grid", "b=0,1", "--grid", "mode=calm,tense",
                 "-r", "8")  # fmt: skip


def test_heatmap_and_curve_match_the_runs(folder):
    data = sp.open_folder(folder)
    df = read(folder)
    table = sp.heatmap_table(data, "high", "a", "b")
    for a in (0.0, 0.75, 1.0):
        for b in (0.0, 1.0):
            cell = df[(df["a"] == a) & (df["b"] == b)]["high"].astype(float).mean()
            assert table.loc[b, a] == pytest.approx(cell)
    curve = sp.curve_table(data, "high", "a")
    for a, row in curve.iterrows():
        k = int(df[df["a"] == a]["high"].sum())
        assert row["n"] == 32 and row["mean"] == pytest.approx(k / 32)
        assert (row["low"], row["high"]) == pytest.approx(wilson(k, 32))
    level = sp.curve_table(data, "level", "a")
    assert list(level["mean"]) == sorted(level["mean"])  # level grows with a
    assert (level["low"] < level["mean"]).all() and (level["mean"] < level["high"]).all()


def test_sampled_parameters_are_binned(tmp_path):
    out = sweep(tmp_path / "lhs", "--sample", "lhs", "--n", "120", "--vary", "a", "--vary", "b")
    data = sp.open_folder(out)
    series, levels = sp.axis_values(data, "a")
    assert 2 < len(levels) <= sp.MAX_BINS
    counts = series.value_counts()
    assert counts.max() - counts.min() <= 2  # equal-count bins
    z = sp.heatmap_figure(data, "high", "a", "b").data[0].z
    assert len(z) == len(sp.axis_values(data, "b")[1]) and len(z[0]) == len(levels)


def test_figures_and_refusals(folder):
    data = sp.open_folder(folder)
    assert sp.parcoords_figure(data, "high").to_plotly_json()["data"][0]["type"] == "parcoords"
    hist = sp.distribution_figure(data, "level").data[0]
    assert len(hist.x) == len(data.runs)
    from summitsim.dashboard.app import InputError

    with pytest.raises(InputError):
        sp.check_choice(data, "high", "c", "a")  # c was not swept
    with pytest.raises(InputError):
        sp.check_choice(data, "nope", "a", "b")
    with pytest.raises(InputError):
        sp.get("../../etc")
    from summitsim.sweep.spec import SweepError

    with pytest.raises(SweepError, match="not a sweep folder"):
        sp.open_folder(folder.parent.parent)


# ----- in the browser ------------------------------------------------------------------------
@pytest.mark.browser
def test_sweep_page_in_the_browser(folder):
    from _browser import (
        Watch,
        browser_context,
        dashboard_server,
        require_browser,
    )

    exe = require_browser()
    df = read(folder)
    with dashboard_server(TOY) as srv, browser_context(exe) as ctx:
        page: Any = ctx.new_page()
        watch = Watch()
        watch.attach(page)
        page.goto(srv.url + "/sweep")
        page.fill("#sweep-path", str(folder))
        page.click("#sweep-load")
        page.wait_for_selector("#sweep-message .ok", timeout=30_000)
        assert "toy-sensitivity, 160 runs" in page.inner_text("#sweep-message")
        page.wait_for_selector("#sweep-heatmap .js-plotly-plot .main-svg", timeout=30_000)
        z = page.evaluate(
            "() => document.querySelector('#sweep-heatmap .js-plotly-plot').data[0].z"
        )
        x = page.evaluate(
            "() => document.querySelector('#sweep-heatmap .js-plotly-plot').data[0].x"
        )
        b0 = df[df["b"] == 0.0]
        expected = [b0[b0["a"] == float(v)]["high"].astype(float).mean() for v in x]
        assert z[0] == pytest.approx(expected)
        for sel in ("#sweep-curve", "#sweep-distribution", "#sweep-parcoords"):
            page.wait_for_selector(f"{sel} .js-plotly-plot .main-svg", timeout=30_000)
        # choose another outcome: the figures follow
        page.click("#sweep-outcome")
        page.get_by_text("level (number)", exact=True).click()
        page.wait_for_function(
            "() => (document.querySelector('#sweep-heatmap .js-plotly-plot').data[0].z[0][4]"
            " || 0) > 1",
            timeout=30_000,
        )
        # a folder that is not a sweep is refused with a message, nothing else changes
        page.fill("#sweep-path", str(folder.parent))
        page.click("#sweep-load")
        page.wait_for_selector("#sweep-message .error", timeout=30_000)
        assert "not a sweep folder" in page.inner_text("#sweep-message")
        assert watch.errors == [] and watch.external == [], json.dumps(watch.errors)
        log = srv.log.read_text(errors="replace")
    assert "Traceback" not in log
