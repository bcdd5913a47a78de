"""The Sweep page: explore a sweep folder (``summitsim sweep ... --out DIR``) in the browser.

The views follow the sweep's design: a sweep of one parameter is a curve of the outcome (its
frequency, or mean) against it with a 95% band; of two, a heatmap over both (and the curve
along x); of more, also parallel coordinates of the swept parameters and the outcome; a sweep
that varies nothing shows the outcome's spread. The first outcome shown is one that varies.

A folder is opened by typing its path into the page (the dashboard runs on your machine and
reads the folder there). Only folders that hold a sweep manifest are opened; the browser then
refers to them by a key the server made, never by a path. Sampled (continuous) parameters are
cut into equal-count bins for the heatmap and the curve; grid parameters keep their values.
Names and units come from the sweep's scenario when its file is at hand and unchanged.
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

from ..viz.labels import Labels
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

    @cached_property
    def labels(self) -> Labels:
        """Names from the sweep's scenario when its file is at hand and unchanged."""
        return Labels.from_manifest(self.manifest)

    def name(self, column: str) -> str:
        return self.labels.name("column", column)

    def axis_title(self, column: str) -> str:
        unit = self.labels.unit("column", column)
        return f"{self.name(column)} ({unit})" if unit else self.name(column)

    @property
    def design(self) -> str:
        """How the views are chosen: ``none``, ``one`` (a curve), ``two`` (a heatmap) or
        ``many`` parameters (parallel coordinates)."""
        n = len(self.varied)
        return ("none", "one", "two")[n] if n < 3 else "many"

    def varies(self, outcome: str) -> float:
        """How much an outcome's mean moves from point to point (0: not at all)."""
        means = self.runs.groupby("point_id")[outcome].mean().astype(float)
        return float(means.std(ddof=0)) if len(means) > 1 else 0.0

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
    if len(params) == 2 and params[0] == params[1]:
        raise InputError("choose two different parameters for the heatmap")


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

    from ..stats import wilson

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
        title={"text": escape(title, quote=False), "x": 0.01},
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        template=template(),
    )
    return fig


def _what(data: SweepData, outcome: str) -> str:
    return "probability" if data.kinds[outcome] == "bool" else "mean"


def heatmap_figure(data: SweepData, outcome: str, x: str, y: str) -> Any:
    import plotly.graph_objects as go

    t = heatmap_table(data, outcome, x, y)
    is_bool = data.kinds[outcome] == "bool"
    name, xn, yn = data.name(outcome), data.name(x), data.name(y)
    fig = go.Figure(
        go.Heatmap(
            z=[[None if math.isnan(v) else v for v in row] for row in t.to_numpy(float).tolist()],
            x=[escape(str(v), quote=False) for v in t.columns],
            y=[escape(str(v), quote=False) for v in t.index],
            colorscale="Viridis",
            zmin=0 if is_bool else None,
            zmax=1 if is_bool else None,
            colorbar={"title": {"text": "share of runs" if is_bool else "mean"}},
            name=escape(name, quote=False),
            hovertemplate=f"{escape(xn, quote=False)}: %{{x}}<br>{escape(yn, quote=False)}: "
            f"%{{y}}<br>{escape(name, quote=False)}: %{{z:.3f}}<extra></extra>",
        )
    )
    fig.update_xaxes(title=escape(data.axis_title(x), quote=False), type="category")
    fig.update_yaxes(title=escape(data.axis_title(y), quote=False), type="category")
    return _layout(fig, f"{name}: {_what(data, outcome)} over {xn} and {yn}")


def curve_figure(data: SweepData, outcome: str, x: str) -> Any:
    """The outcome against one parameter: its estimate per value, and a shaded 95% interval
    (Wilson for a yes/no outcome, the normal interval of the mean for a number)."""
    import plotly.graph_objects as go

    t = curve_table(data, outcome, x)
    xs = list(t.index)
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in xs)
    xv = [float(v) for v in xs] if numeric else [escape(str(v), quote=False) for v in xs]
    name, xn = data.name(outcome), data.name(x)
    is_bool = data.kinds[outcome] == "bool"
    band = "Wilson 95% interval" if is_bool else "95% interval of the mean"
    high, low, mean = (t[c].astype(float).tolist() for c in ("high", "low", "mean"))
    fig = go.Figure(
        [
            go.Scatter(
                x=xv,
                y=high,
                mode="lines",
                line={"width": 0},
                name="upper",
                showlegend=False,
                hoverinfo="skip",
            ),
            go.Scatter(
                x=xv,
                y=low,
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor="rgba(31,119,180,0.2)",
                name=band,
                hoverinfo="skip",
            ),
            go.Scatter(
                x=xv,
                y=mean,
                mode="lines+markers",
                name=escape(name, quote=False),
                customdata=[
                    [0 if math.isnan(n) else int(n), lo, hi]
                    for n, lo, hi in zip(t["n"].astype(float), low, high, strict=True)
                ],
                line={"color": "#1f77b4"},
                hovertemplate=f"{escape(xn, quote=False)}: %{{x}}<br>"
                f"{escape(name, quote=False)}: %{{y:.3f}} (%{{customdata[1]:.3f}} to "
                "%{customdata[2]:.3f})<br>runs: %{customdata[0]}<extra></extra>",
            ),
        ]
    )
    fig.update_xaxes(title=escape(data.axis_title(x), quote=False))
    unit = data.labels.unit("column", outcome)
    fig.update_yaxes(
        title="share of runs" if is_bool else escape(unit or "mean", quote=False),
        range=[0, 1] if is_bool else None,
        tickformat=".0%" if is_bool else None,
    )
    fig.update_layout(legend={"orientation": "h", "y": -0.25})
    return _layout(fig, f"{name} against {xn} ({band})")


def distribution_figure(data: SweepData, outcome: str) -> Any:
    """Numeric outcomes: a histogram over runs. True/false: the spread of per-point
    frequencies."""
    import plotly.graph_objects as go

    name = escape(data.name(outcome), quote=False)
    if data.kinds[outcome] == "bool":
        per_point = data.runs.groupby("point_id")[outcome].mean()
        fig = go.Figure(go.Histogram(x=per_point, nbinsx=20, name=name,
                                     marker={"color": "#2ca02c"}))  # fmt: skip
        fig.update_xaxes(title=f"share of runs at a point: {name}", range=[0, 1])
        fig.update_yaxes(title="points")
        return _layout(fig, f"{data.name(outcome)}: frequency across {len(per_point):,} points")
    fig = go.Figure(go.Histogram(x=response(data, outcome), nbinsx=40, name=name,
                                 marker={"color": "#ff7f0e"}))  # fmt: skip
    fig.update_xaxes(title=escape(data.axis_title(outcome), quote=False))
    fig.update_yaxes(title="runs")
    return _layout(fig, f"{data.name(outcome)}: distribution over {len(data.runs):,} runs")


def parcoords_figure(data: SweepData, outcome: str) -> Any:
    import plotly.graph_objects as go

    df = data.runs
    if len(df) > MAX_PARCOORDS:
        df = df.sample(MAX_PARCOORDS, random_state=0)
    dims = []
    for col in [*data.varied, outcome]:
        s = df[col]
        label = escape(data.name(col), quote=False)
        if s.dtype == object or s.dtype == bool or str(s.dtype) in ("string", "str", "boolean"):
            levels = sorted({str(v) for v in s})
            codes = s.astype(str).map({v: i for i, v in enumerate(levels)})
            ticks = [escape(v, quote=False) for v in levels]
            dims.append(
                {
                    "label": label,
                    "values": codes,
                    "tickvals": list(range(len(levels))),
                    "ticktext": ticks,
                }
            )
        else:
            dims.append({"label": label, "values": s.astype(float)})
    color = df[outcome].astype(float)
    fig = go.Figure(
        go.Parcoords(
            dimensions=dims, line={"color": color, "colorscale": "Viridis", "showscale": True}
        )
    )
    return _layout(
        fig, f"Parallel coordinates ({len(df):,} runs), coloured by {data.name(outcome)}", 460
    )


def views(data: SweepData, outcome: str, x: str | None, y: str | None) -> list[tuple[str, Any]]:
    """The charts that suit the sweep's design: a curve with its band for one parameter; a
    heatmap (and the curve along x) for two; parallel coordinates, a heatmap of the two
    chosen and the curve beyond that; the distribution when nothing was varied."""
    design = data.design
    if design == "none" or x is None:
        return [("sweep-distribution", distribution_figure(data, outcome))]
    if design == "one":
        return [("sweep-curve", curve_figure(data, outcome, x))]
    assert y is not None
    out = [("sweep-heatmap", heatmap_figure(data, outcome, x, y))]
    if design == "many":
        out.insert(0, ("sweep-parcoords", parcoords_figure(data, outcome)))
    out.append(("sweep-curve", curve_figure(data, outcome, x)))
    return out


# ----- the page --------------------------------------------------------------------------------
def example(loaded: Any) -> tuple[str, str]:
    """A sweep command for the scenario shown (over its first parameter with a range), and
    the folder it writes."""
    spec = loaded.spec
    name, p = next(((n, p) for n, p in spec.parameters.items() if p.range), (None, None))
    if name is None or p is None or p.range is None:
        folder = "sweep-runs"
        return f"summitsim sweep {loaded.id} --out {folder} --replicates 200", folder
    folder = f"sweep-{name.split('_')[0]}"
    lo, hi = p.range
    return (
        f"summitsim sweep {loaded.id} --out {folder} --grid {name}={lo:g}:{hi:g}:11 "
        "--replicates 200",
        folder,
    )


def layout(ctx: Any, req: Any) -> Any:
    command, folder = example(req.scenario)
    opts = options()
    first = opts[0]["value"] if opts else None
    return html.Div(
        [
            html.Div(
                [
                    html.H2("Sweep"),
                    html.P(
                        [
                            "The results of ",
                            html.Code("summitsim sweep"),
                            ": open a sweep folder (the folder given to ",
                            html.Code("--out"),
                            ") to see how often each outcome happened over the swept "
                            "parameters. A sweep of one parameter is drawn as a curve with "
                            "its 95% interval, of two as a heatmap, of more also as parallel "
                            "coordinates.",
                        ],
                        className="info",
                    ),
                    html.Div(
                        [
                            html.Div(
                                [
                                    html.Label("sweep folder", htmlFor="sweep-path"),
                                    html.Div(
                                        [
                                            dcc.Input(
                                                id="sweep-path",
                                                type="text",
                                                placeholder="path of a sweep folder, e.g. "
                                                + folder,
                                                debounce=False,
                                            ),
                                            html.Button(
                                                "Load",
                                                id="sweep-load",
                                                className="secondary",
                                                n_clicks=0,
                                            ),
                                        ],
                                        className="path-row",
                                    ),
                                ],
                                className="control",
                            ),
                            html.Div(
                                [
                                    html.Label("open sweeps"),
                                    dcc.Dropdown(
                                        id="sweep-folder",
                                        options=opts,
                                        value=first,
                                        clearable=False,
                                        placeholder="none yet: load a folder",
                                    ),
                                ],
                                className="control",
                            ),
                        ],
                        className="sweep-open",
                    ),
                    html.Div(
                        [
                            html.P("No sweep yet? Make one in a terminal, for example:"),
                            html.Pre(command, className="example"),
                            html.P(f"then type its folder ({folder}) above and press Load."),
                        ],
                        id="sweep-example",
                        className="info",
                        style={"display": "none" if opts else "block"},
                    ),
                    html.Div(id="sweep-message", className="message"),
                    html.Div(_controls(), id="sweep-controls", className="controls"),
                ],
                className="card",
            ),
            html.Div(id="sweep-figures"),
        ],
        id="sweep-page",
    )


def _controls() -> list[Any]:
    """The outcome and axis menus: always on the page (filled when a folder is chosen), so
    every callback input exists from the start."""

    def pick(id_: str, label: str, placeholder: str) -> Any:
        return html.Div(
            [
                html.Label(label),
                dcc.Dropdown(
                    id=id_, options=[], value=None, clearable=False, placeholder=placeholder
                ),
            ],
            className="control",
            id=f"{id_}-box",
        )

    return [
        pick("sweep-outcome", "outcome", "load a sweep first"),
        pick("sweep-x", "parameter along x", "load a sweep first"),
        pick("sweep-y", "parameter along y (heatmap)", "load a sweep first"),
        html.Div(id="sweep-info", className="hint"),
    ]


def choices(data: SweepData) -> tuple[list[dict[str, str]], str, list[dict[str, str]], Any, Any]:
    """Menu options and first choices: the yes/no outcome that varies most from point to
    point (else the numeric one that does; a flat outcome only if nothing varies), and the
    first two swept parameters."""
    kinds = data.kinds
    outcomes = [
        {"label": f"{data.name(k)} ({'yes/no' if v == 'bool' else 'number'})", "value": k}
        for k, v in kinds.items()
    ]
    spread = {k: data.varies(k) for k in kinds} if data.varied else {}
    moving = [k for k in kinds if spread.get(k, 0.0) > 1e-12]
    bools = [k for k in moving if kinds[k] == "bool"]
    if bools:
        first = max(bools, key=lambda k: spread[k])
    elif moving:
        first = moving[0]
    else:
        first = next((k for k, v in kinds.items() if v == "bool"), next(iter(kinds)))
    params = [{"label": data.name(p), "value": p} for p in data.varied]
    x = data.varied[0] if data.varied else None
    y = data.varied[1] if len(data.varied) > 1 else None
    return outcomes, first, params, x, y


def callbacks(app: Any, ctx: Any) -> None:
    from ..sweep.spec import SweepError

    @app.callback(
        Output("sweep-folder", "options"),
        Output("sweep-folder", "value"),
        Output("sweep-message", "children"),
        Input("sweep-load", "n_clicks"),
        Input("sweep-path", "n_submit"),
        State("sweep-path", "value"),
        prevent_initial_call=True,
        running=[(Output("sweep-load", "disabled"), True, False)],
    )
    @safe_callback(3, 2)
    def load(n: Any, submitted: Any, path: Any) -> Any:
        if not n and not submitted:
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
        Output("sweep-y-box", "style"),
        Output("sweep-x-box", "style"),
        Output("sweep-example", "style"),
        Input("sweep-folder", "value"),
    )
    @safe_callback(10, 6)
    def controls(key: Any) -> Any:
        if key is None:
            raise PreventUpdate
        data = get(key)
        outcomes, first, params, x, y = choices(data)
        m = data.manifest
        design = {"grid": "a grid", "lhs": "a Latin hypercube sample", "sobol": "a Sobol sample"}
        info = (
            f"{m['counts']['done']:,} runs, {data.failed:,} failed; "
            f"{design.get(m['definition']['design'], m['definition']['design'])} of "
            f"{len(data.varied)} parameter{'s' if len(data.varied) != 1 else ''}"
        )
        if not data.varied:
            info += ": this sweep varies no parameter, so only the spread of the outcome is shown"
        hide: dict[str, str] = {"display": "none"}
        show: dict[str, str] = {}
        return (
            outcomes,
            first,
            params,
            x,
            params,
            y,
            info,
            show if len(data.varied) >= 2 else hide,
            show if data.varied else hide,
            hide,
        )

    @app.callback(
        Output("sweep-figures", "children"),
        Input("sweep-folder", "value"),
        Input("sweep-outcome", "value"),
        Input("sweep-x", "value"),
        Input("sweep-y", "value"),
    )
    @safe_callback(1, 0)
    def figures(key: Any, outcome: Any, x: Any, y: Any) -> Any:
        if key is None or outcome is None:
            raise PreventUpdate
        data = get(key)
        if data.design == "none":
            check_choice(data, outcome)
        elif data.design == "one":
            check_choice(data, outcome, x)
        else:
            check_choice(data, outcome, x, y)
        return [
            html.Div(
                dcc.Graph(id=i, figure=f, config={"displaylogo": False, "responsive": True}),
                id=f"{i}-box",
                className="card panel",
            )
            for i, f in views(data, outcome, x, y)
        ]


register_page(Page(key="sweep", name="Sweep", layout=layout, callbacks=callbacks, order=40))
