"""The dashboard's Sweep page: its figures checked against the folder's runs."""

from __future__ import annotations

import pytest

from summitsim.dashboard import sweep_page as sp
from summitsim.sweep.summary import wilson
from test_sweep_helpers import read, sweep


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
