"""The Sweep page: explore a sweep folder (``summitsim sweep ... --out DIR``) in the browser.

- an outcome-probability heatmap over any two swept parameters;
- a one-parameter curve with Wilson (or mean) confidence bands;
- the distribution of an outcome;
- parallel coordinates of the swept parameters and the outcome.

A folder is opened by typing its path into the page (the dashboard runs on your machine and
reads the folder there). Only folders that hold a sweep manifest are opened; the browser then
refers to them by a key the server made, never by a path. Sampled (continuous) parameters are
cut into equal-count bins for the heatmap and the curve; grid parameters keep their values.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from .app import InputError, safe_callback
from .pages import Page, register_page

MAX_FOLDERS = 20
MAX_BINS = 12
MAX_PARCOORDS = 4000
_LOCK = threading.Lock()


@dataclass
class SweepData:
    key: str
    folder: Path
    manifest: dict[str, Any]
    runs: Any  # pandas DataFrame of the successful runs, red lines as crossed_<id> columns
    failed: int

    @property
    def varied(self) -> list[str]:
        return list(self.manifest["columns"]["varied"])

    @cached_property
    def kinds(self) -> dict[str, str]:
        from ..sweep.summary import outcome_kinds

        return outcome_kinds(self.manifest)

    def label(self) -> str:
        m = self.manifest
        return (
            f"{self.folder.name}: {m['scenario']['id']}, {m['counts']['done']:,} runs"
            f" ({m['status']})"
        )


_OPEN: OrderedDict[str, SweepData] = OrderedDict()


def open_folder(path: str | Path) -> SweepData:
    """Load a sweep folder (refused unless it holds a sweep) and remember it under a key."""
    from ..sweep.spec import SweepError
    from ..sweep.summary import load_runs

    folder = Path(path).expanduser().resolve()
    try:
        manifest, df = load_runs(folder)
    except OSError as exc:
        raise SweepError(f"{folder}: cannot read ({exc.strerror})") from None
    failed = int(df["error"].notna().sum())
    ok = df[df["error"].isna()].reset_index(drop=True)
    key = "sweep-" + hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    data = SweepData(key, folder, manifest, ok, failed)
    with _LOCK:
        _OPEN[key] = data
        _OPEN.move_to_end(key)
        while len(_OPEN) > MAX_FOLDERS:
            _OPEN.popitem(last=False)
    return data


def get(key: Any) -> SweepData:
    if not isinstance(key, str) or key not in _OPEN:
        raise InputError("choose a sweep folder (or load one)")
    return _OPEN[key]


def options() -> list[dict[str, str]]:
    return [{"label": d.label(), "value": k} for k, d in reversed(_OPEN.items())]


# ----- data for the figures ------------------------------------------------------------------
def axis_values(data: SweepData, name: str) -> tuple[Any, list[Any]]:
    """A column to group by: grid values as they are, sampled numbers cut into bins (labelled
    by their midpoints), others as categories. Returns (series, ordered levels)."""
    import pandas as pd

    s = data.runs[name]
    kind = data.manifest["columns"]["parameters"].get(name)
    distinct = s.nunique(dropna=True)
    if kind in ("int", "float") and distinct > MAX_BINS:
        edges = np.unique(np.quantile(s.astype(float), np.linspace(0, 1, MAX_BINS + 1)))
        cut = pd.cut(s.astype(float), edges, include_lowest=True)
        mids = cut.map(lambda iv: round(float(iv.mid), 6)).astype(float)
        return mids, sorted(mids.dropna().unique().tolist())
    levels = sorted(s.dropna().unique().tolist(), key=lambda v: (str(type(v)), v))
    return s, levels


def check_choice(data: SweepData, outcome: Any, *params: Any) -> None:
    if not isinstance(outcome, str) or outcome not in data.kinds:
        raise InputError(f"unknown outcome {str(outcome)[:40]!r}")
    for p in params:
        if not isinstance(p, str) or p not in data.varied:
            raise InputError(f"{str(p)[:40]!r} is not a swept parameter of this folder")


def response(data: SweepData, outcome: str) -> Any:
    return data.runs[outcome].astype(float)


def heatmap_table(data: SweepData, outcome: str, x: str, y: str) -> Any:
    """Mean of the outcome (a frequency for true/false outcomes) per (y, x) cell."""
    import pandas as pd

    xs, xl = axis_values(data, x)
    ys, yl = axis_values(data, y)
    frame = pd.DataFrame({"x": xs, "y": ys, "v": response(data, outcome)})
    table = frame.groupby(["y", "x"])["v"].mean().unstack("x")
    return table.reindex(index=yl, columns=xl)


def curve_table(data: SweepData, outcome: str, x: str, confidence: float = 0.95) -> Any:
    """Per value of ``x``: n, estimate and a confidence interval (Wilson for true/false)."""
    from statistics import NormalDist

    import pandas as pd

    from ..sweep.summary import wilson

    xs, xl = axis_values(data, x)
    v = response(data, outcome)
    g = pd.DataFrame({"x": xs, "v": v}).groupby("x")["v"]
    out = pd.DataFrame({"n": g.count(), "mean": g.mean(), "sd": g.std()}).reindex(xl)
    if data.kinds[outcome] == "bool":
        ci = [wilson(round(m * n), int(n), confidence) if n else (math.nan, math.nan)
              for m, n in zip(out["mean"], out["n"].fillna(0), strict=True)]  # fmt: skip
        out["low"] = [c[0] for c in ci]
        out["high"] = [c[1] for c in ci]
    else:
        z = NormalDist().inv_cdf(0.5 + confidence / 2)
        half = z * out["sd"].fillna(0) / np.sqrt(out["n"].clip(lower=1))
        out["low"], out["high"] = out["mean"] - half, out["mean"] + half
    return out


# ----- figures ---------------------------------------------------------------------------------
def _layout(fig: Any, title: str, height: int = 420) -> Any:
    from ..viz.figures import template

    fig.update_layout(
        title={"text": escape(title), "x": 0.01},
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        template=template(),
    )
    return fig


def heatmap_figure(data: SweepData, outcome: str, x: str, y: str) -> Any:
    import plotly.graph_objects as go

    t = heatmap_table(data, outcome, x, y)
    is_bool = data.kinds[outcome] == "bool"
    fig = go.Figure(
        go.Heatmap(
            z=[[None if math.isnan(v) else v for v in row] for row in t.to_numpy(float).tolist()],
            x=[escape(str(v)) for v in t.columns],
            y=[escape(str(v)) for v in t.index],
            colorscale="Viridis",
            zmin=0 if is_bool else None,
            zmax=1 if is_bool else None,
            colorbar={"title": "P(true)" if is_bool else "mean"},
            name=outcome,
            hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{outcome}=%{{z:.3f}}<extra></extra>",
        )
    )
    fig.update_xaxes(title=x, type="category")
    fig.update_yaxes(title=y, type="category")
    what = "probability" if is_bool else "mean"
    return _layout(fig, f"{outcome}: {what} over {x} and {y}")


def curve_figure(data: SweepData, outcome: str, x: str) -> Any:
    import plotly.graph_objects as go

    t = curve_table(data, outcome, x)
    xs = list(t.index)
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in xs)
    xv = xs if numeric else [escape(str(v)) for v in xs]
    fig = go.Figure(
        [
            go.Scatter(
                x=xv,
                y=t["high"],
                mode="lines",
                line={"width": 0},
                name="upper",
                showlegend=False,
                hoverinfo="skip",
            ),
            go.Scatter(
                x=xv,
                y=t["low"],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor="rgba(31,119,180,0.2)",
                name="95% interval",
            ),
            go.Scatter(
                x=xv,
                y=t["mean"],
                mode="lines+markers",
                name=outcome,
                customdata=t["n"],
                line={"color": "#1f77b4"},
                hovertemplate=f"{x}=%{{x}}<br>{outcome}=%{{y:.3f}}<br>n=%{{customdata}}"
                "<extra></extra>",
            ),
        ]
    )
    is_bool = data.kinds[outcome] == "bool"
    fig.update_xaxes(title=x)
    fig.update_yaxes(title="P(true)" if is_bool else outcome, range=[0, 1] if is_bool else None)
    band = "Wilson 95% interval" if is_bool else "95% interval of the mean"
    return _layout(fig, f"{outcome} against {x} ({band})")


def distribution_figure(data: SweepData, outcome: str) -> Any:
    """Numeric outcomes: a histogram over runs. True/false: the spread of per-point
    frequencies."""
    import plotly.graph_objects as go

    if data.kinds[outcome] == "bool":
        per_point = data.runs.groupby("point_id")[outcome].mean()
        fig = go.Figure(go.Histogram(x=per_point, nbinsx=20, name=outcome,
                                     marker={"color": "#2ca02c"}))  # fmt: skip
        fig.update_xaxes(title=f"P({outcome}) at a point", range=[0, 1])
        fig.update_yaxes(title="points")
        return _layout(fig, f"{outcome}: frequency across {len(per_point):,} points")
    fig = go.Figure(go.Histogram(x=response(data, outcome), nbinsx=40, name=outcome,
                                 marker={"color": "#ff7f0e"}))  # fmt: skip
    fig.update_xaxes(title=outcome)
    fig.update_yaxes(title="runs")
    return _layout(fig, f"{outcome}: distribution over {len(data.runs):,} runs")


def parcoords_figure(data: SweepData, outcome: str) -> Any:
    import plotly.graph_objects as go

    df = data.runs
    if len(df) > MAX_PARCOORDS:
        df = df.sample(MAX_PARCOORDS, random_state=0)
    dims = []
    for name in [*data.varied, outcome]:
        s = df[name]
        if s.dtype == object or s.dtype == bool or str(s.dtype) in ("string", "str", "boolean"):
            levels = sorted({str(v) for v in s})
            codes = s.astype(str).map({v: i for i, v in enumerate(levels)})
            ticks = [escape(v) for v in levels]
            dims.append(
                {
                    "label": name,
                    "values": codes,
                    "tickvals": list(range(len(levels))),
                    "ticktext": ticks,
                }
            )
        else:
            dims.append({"label": name, "values": s.astype(float)})
    color = df[outcome].astype(float)
    fig = go.Figure(
        go.Parcoords(
            dimensions=dims, line={"color": color, "colorscale": "Viridis", "showscale": True}
        )
    )
    return _layout(fig, f"Parallel coordinates ({len(df):,} runs), coloured by {outcome}", 460)


# ----- the page --------------------------------------------------------------------------------
def layout(ctx: Any, req: Any) -> Any:
    opts = options()
    first = opts[0]["value"] if opts else None
    return html.Div(
        [
            html.H2("Sweep"),
            html.P(
                "Results of `summitsim sweep`: open a sweep folder (the --out folder) to see "
                "outcome probabilities over the swept parameters.",
                className="info",
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("sweep folder"),
                            dcc.Input(
                                id="sweep-path",
                                type="text",
                                placeholder="path/to/DIR",
                                debounce=False,
                                style={"width": "28em"},
                            ),
                            html.Button("Load", id="sweep-load", className="secondary", n_clicks=0),
                        ],
                        className="control",
                    ),
                    html.Div(
                        [
                            html.Label("open"),
                            dcc.Dropdown(
                                id="sweep-folder", options=opts, value=first, clearable=False
                            ),
                        ],
                        className="control",
                    ),
                ],
                className="controls",
            ),
            html.Div(id="sweep-message", className="message"),
            html.Div(_controls(), id="sweep-controls", className="controls"),
            html.Div(id="sweep-figures"),
        ]
    )


def _controls() -> list[Any]:
    """The outcome and axis menus: always on the page (filled when a folder is chosen), so
    every callback input exists from the start."""

    def pick(id_: str, label: str) -> Any:
        return html.Div(
            [html.Label(label), dcc.Dropdown(id=id_, options=[], value=None, clearable=False)],
            className="control",
        )

    return [
        pick("sweep-outcome", "outcome"),
        pick("sweep-x", "x (heatmap, curve)"),
        pick("sweep-y", "y (heatmap)"),
        html.Div(id="sweep-info", className="hint"),
    ]


def choices(data: SweepData) -> tuple[list[dict[str, str]], str, list[dict[str, str]], Any, Any]:
    """Menu options and first choices: a true/false outcome, the first two swept parameters."""
    kinds = data.kinds
    outcomes = [{"label": f"{k} ({v})", "value": k} for k, v in kinds.items()]
    first = next((k for k, v in kinds.items() if v == "bool"), next(iter(kinds)))
    params = [{"label": p, "value": p} for p in data.varied]
    x = data.varied[0] if data.varied else None
    y = data.varied[1] if len(data.varied) > 1 else x
    return outcomes, first, params, x, y


def callbacks(app: Any, ctx: Any) -> None:
    from ..sweep.spec import SweepError

    @app.callback(
        Output("sweep-folder", "options"),
        Output("sweep-folder", "value"),
        Output("sweep-message", "children"),
        Input("sweep-load", "n_clicks"),
        State("sweep-path", "value"),
        prevent_initial_call=True,
    )
    @safe_callback(3, 2)
    def load(n: Any, path: Any) -> Any:
        if not n:
            raise PreventUpdate
        if not isinstance(path, str) or not path.strip() or len(path) > 4096:
            raise InputError("type the path of a sweep folder")
        try:
            data = open_folder(path.strip())
        except SweepError as exc:
            raise InputError(str(exc)) from None
        return options(), data.key, html.Div(f"Opened {data.label()}", className="ok")

    @app.callback(
        Output("sweep-outcome", "options"),
        Output("sweep-outcome", "value"),
        Output("sweep-x", "options"),
        Output("sweep-x", "value"),
        Output("sweep-y", "options"),
        Output("sweep-y", "value"),
        Output("sweep-info", "children"),
        Input("sweep-folder", "value"),
    )
    @safe_callback(7, 6)
    def controls(key: Any) -> Any:
        if key is None:
            raise PreventUpdate
        data = get(key)
        outcomes, first, params, x, y = choices(data)
        m = data.manifest
        info = (
            f"{m['counts']['done']:,} runs, {data.failed:,} failed; "
            f"design {m['definition']['design']}"
        )
        if not data.varied:
            info += "; this sweep varies no parameter"
        return outcomes, first, params, x, params, y, info

    @app.callback(
        Output("sweep-figures", "children"),
        Input("sweep-folder", "value"),
        Input("sweep-outcome", "value"),
        Input("sweep-x", "value"),
        Input("sweep-y", "value"),
    )
    @safe_callback(1, 0)
    def figures(key: Any, outcome: Any, x: Any, y: Any) -> Any:
        if key is None or outcome is None or x is None:
            raise PreventUpdate
        data = get(key)
        check_choice(data, outcome, x, y)
        graphs = [
            ("sweep-heatmap", heatmap_figure(data, outcome, x, y)),
            ("sweep-curve", curve_figure(data, outcome, x)),
            ("sweep-distribution", distribution_figure(data, outcome)),
            ("sweep-parcoords", parcoords_figure(data, outcome)),
        ]
        return [
            html.Div(
                dcc.Graph(id=i, figure=f, config={"displaylogo": False}),
                id=f"{i}-box",
                className="panel",
            )
            for i, f in graphs
        ]


register_page(Page(key="sweep", name="Sweep", layout=layout, callbacks=callbacks, order=40))
