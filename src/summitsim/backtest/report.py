"""Figures and self-contained HTML reports for backtests and calibrations.

The figures take the JSON-ready dictionaries of :meth:`Backtest.to_dict` and
:meth:`Calibration.to_dict`, so the dashboard, the reports and a notebook draw the same
charts. The reports embed plotly.js (:func:`summitsim.viz.report.plotly_js`) and work offline.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..viz.report import escape, figure_html, plotly_js, table_html

COLOURS = {"scenario": "#1f77b4", "random": "#ff7f0e", "hold": "#7f7f7f"}
NAMES = {"scenario": "scenario", "random": "every actor random", "hold": "every actor holds"}

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0 auto; max-width: 1100px; padding: 1.5rem; color: #1b1b1b; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2rem; border-bottom: 1px
solid #ddd; padding-bottom: .2rem; } .meta { color: #555; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; font-size: .86rem; margin: .5rem 0; }
th, td { border: 1px solid #ddd; padding: .3rem .45rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } .fig { margin: 1rem 0; border: 1px solid #eee; }
.good { color: #1a7f37; font-weight: 600; } .bad { color: #b34700; font-weight: 600; }
"""


def _template() -> Any:
    from ..viz.figures import template

    return template()


def _num(v: Any, digits: int = 3, sign: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return f"{v:+.{digits}f}" if sign else f"{v:.{digits}f}"


def entry_labels(data: Mapping[str, Any], width: int = 48) -> list[str]:
    """Short, unique axis labels: the date and the check in words."""
    out = []
    for i, e in enumerate(data["entries"], start=1):
        text = e["describe"] if len(e["describe"]) <= width else e["describe"][: width - 1] + "…"
        out.append(escape(f"{i}. {e['date']} {text}"))
    return out


def ensembles(data: Mapping[str, Any]) -> list[str]:
    return [e for e in ("scenario", "random", "hold") if e in data["entries"][0]]


# ----- backtest figures ---------------------------------------------------------------------
def entries_figure(data: Mapping[str, Any]) -> Any:
    """Per entry: each ensemble's share of runs in which the check holds (the scenario's with
    its Wilson 95% interval) and what the record says (the probability it held)."""
    import plotly.graph_objects as go

    rows = list(data["entries"])
    labels = entry_labels(data)
    fig = go.Figure()
    for ens in ensembles(data):
        share = [e[ens]["share"] for e in rows]
        kw: dict[str, Any] = {}
        if ens == "scenario":
            lo = [s - e[ens]["ci95"][0] for s, e in zip(share, rows, strict=True)]
            hi = [e[ens]["ci95"][1] - s for s, e in zip(share, rows, strict=True)]
            kw["error_x"] = {"type": "data", "array": hi, "arrayminus": lo, "thickness": 1.2}
        fig.add_trace(
            go.Scatter(
                x=share,
                y=labels,
                mode="markers",
                name=NAMES[ens],
                marker={
                    "color": COLOURS[ens],
                    "size": 10 if ens == "scenario" else 8,
                    "symbol": "circle" if ens == "scenario" else "line-ns-open",
                    "line": {"width": 2},
                },
                hovertemplate="%{y}<br>" + NAMES[ens] + ": %{x:.3f}<extra></extra>",
                **kw,
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[e["y"] for e in rows],
            y=labels,
            mode="markers",
            name="the record (probability it held)",
            marker={"color": "black", "symbol": "diamond", "size": 9},
            hovertemplate="%{y}<br>record: %{x:.2f}<extra></extra>",
        )
    )
    fig.update_xaxes(title="share of runs in which the check holds", range=[-0.03, 1.03])
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(
        title={"text": "Each entry: the ensembles' forecasts and what happened", "x": 0.01},
        template=_template(),
        height=140 + 28 * len(rows),
        margin={"l": 360, "r": 20, "t": 50, "b": 50},
        legend={"orientation": "h", "y": -0.12 if len(rows) > 6 else -0.3},
    )
    return fig


def reliability_figure(data: Mapping[str, Any]) -> Any | None:
    """The scenario's reliability diagram: mean forecast against the mean outcome per bin
    (marker size: entries in the bin); None for a record too short for one."""
    import plotly.graph_objects as go

    bins = data.get("reliability")
    if not bins:
        return None
    fig = go.Figure(
        [
            go.Scatter(
                x=[0, 1],
                y=[0, 1],
                mode="lines",
                name="perfectly reliable",
                line={"color": "#aaa", "dash": "dash"},
                hoverinfo="skip",
            ),
            go.Scatter(
                x=[b["mean_forecast"] for b in bins],
                y=[b["observed"] for b in bins],
                mode="lines+markers",
                name="the scenario",
                marker={"size": [8 + 4 * b["n"] for b in bins], "color": COLOURS["scenario"]},
                customdata=[[b["n"], escape(", ".join(b["entries"]))] for b in bins],
                hovertemplate="forecast %{x:.2f}, observed %{y:.2f}<br>%{customdata[0]} "
                "entries: %{customdata[1]}<extra></extra>",
            ),
        ]
    )
    fig.update_xaxes(title="mean forecast in the bin", range=[0, 1])
    fig.update_yaxes(title="mean outcome (record) in the bin", range=[0, 1])
    fig.update_layout(
        title={"text": "Reliability: are the scenario's probabilities calibrated?", "x": 0.01},
        template=_template(),
        height=420,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
    )
    return fig


def brier_figure(data: Mapping[str, Any]) -> Any:
    """Per entry: each ensemble's Brier score (lower is better)."""
    import plotly.graph_objects as go

    rows = list(data["entries"])
    x = [f"{i}. {e['date']}" for i, e in enumerate(rows, start=1)]  # full labels on hover
    words = entry_labels(data, width=200)
    fig = go.Figure(
        [
            go.Bar(
                x=x,
                y=[e[ens]["brier"] for e in rows],
                name=NAMES[ens],
                marker={"color": COLOURS[ens]},
                customdata=words,
                hovertemplate="%{customdata}<br>" + NAMES[ens] + ": %{y:.3f}<extra></extra>",
            )
            for ens in ensembles(data)
        ]
    )
    fig.update_yaxes(title="Brier score (lower is better)", range=[0, 1])
    fig.update_layout(
        title={"text": "Brier score of each entry", "x": 0.01},
        barmode="group",
        template=_template(),
        height=400,
        margin={"l": 60, "r": 20, "t": 50, "b": 90},
    )
    return fig


def scores_table(data: Mapping[str, Any]) -> str:
    rows = [[NAMES.get(e, e), _num(s["brier"]), _num(s["log"])] for e, s in data["scores"].items()]
    return table_html(["ensemble", "Brier", "log score (nats)"], rows)


def skill_table(data: Mapping[str, Any]) -> str:
    from ..cli.backtest import verdict

    rows = []
    for ref, v in (data.get("skill") or {}).items():
        cells = [NAMES.get(ref, ref)]
        for rule in ("brier", "log"):
            lo, hi = v[rule]["ci95"]
            cells.append(
                f"{_num(v[rule]['value'], sign=True)} [{_num(lo, 2, True)}, {_num(hi, 2, True)}]"
            )
        cells.append(verdict(v))
        rows.append(cells)
    return table_html(["baseline", "Brier skill [95%]", "log skill [95%]", "verdict"], rows)


def entries_table(data: Mapping[str, Any]) -> str:
    rows = []
    for e in data["entries"]:
        src = "; ".join(f"{s['title']} ({s['publisher']}, {s['date']})" for s in e["sources"])
        s = e["scenario"]
        rows.append(
            [
                e["date"],
                e["id"],
                e["summary"],
                e["describe"],
                f"{'yes' if e['observed'] else 'no'} ({e['confidence']:.2f})",
                f"{s['share']:.2f} [{s['ci95'][0]:.2f}, {s['ci95'][1]:.2f}]",
                *[f"{e[x]['share']:.2f}" for x in ensembles(data)[1:]],
                src,
            ]
        )
    heads = ["date", "entry", "what happened", "check", "record", "scenario [95%]"]
    heads += [NAMES[x] for x in ensembles(data)[1:]] + ["sources"]
    return table_html(heads, rows)


# ----- calibration figures ------------------------------------------------------------------
def posterior_figures(cal: Mapping[str, Any]) -> list[Any]:
    """Per varied parameter: the prior draws' distance (fit entries' log score) against the
    value, the accepted draws marked, and a histogram of the accepted values with the
    posterior median and interval."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    out = []
    draws = cal["draws"]
    for name, post in cal["posterior"].items():
        fig = make_subplots(rows=1, cols=2, subplot_titles=("every draw", "accepted draws"))
        xs = [d["params"][name] for d in draws]
        acc = [d["accepted"] for d in draws]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[d["distance"] for d in draws],
                mode="markers",
                marker={"color": ["#1f77b4" if a else "#c7c7c7" for a in acc], "size": 5},
                name="draws (blue: accepted)",
                hovertemplate=f"{escape(name)}=%{{x:.4g}}<br>log score %{{y:.3f}}<extra></extra>",
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Histogram(
                x=[x for x, a in zip(xs, acc, strict=True) if a],
                nbinsx=25,
                name="accepted",
                marker={"color": "#1f77b4"},
            ),
            row=1,
            col=2,
        )
        for x, dash in ((post["median"], "solid"), (post["lo"], "dot"), (post["hi"], "dot")):
            fig.add_vline(x=x, line={"color": "#d62728", "dash": dash}, row=1, col=2)
        fig.update_xaxes(title=escape(name))
        fig.update_yaxes(title="mean log score of the fit entries", row=1, col=1)
        fig.update_yaxes(title="accepted draws", row=1, col=2)
        fig.update_layout(
            title={
                "text": f"{escape(name)}: median {post['median']:.4g}, "
                f"{int(cal['interval'] * 100)}% interval [{post['lo']:.4g}, {post['hi']:.4g}]",
                "x": 0.01,
            },
            template=_template(),
            height=380,
            showlegend=False,
            margin={"l": 60, "r": 20, "t": 70, "b": 50},
        )
        out.append(fig)
    names = list(cal["posterior"])
    if len(names) >= 2:
        a, b = names[:2]
        acc_draws = [d for d in draws if d["accepted"]]
        fig = go.Figure(
            go.Scatter(
                x=[d["params"][a] for d in acc_draws],
                y=[d["params"][b] for d in acc_draws],
                mode="markers",
                marker={"size": 6, "color": "#1f77b4", "opacity": 0.6},
                name="accepted",
            )
        )
        fig.update_xaxes(title=escape(a))
        fig.update_yaxes(title=escape(b))
        fig.update_layout(
            title={"text": f"Accepted draws: {escape(a)} and {escape(b)}", "x": 0.01},
            template=_template(),
            height=420,
        )
        out.append(fig)
    return out


# ----- pages ------------------------------------------------------------------------------------
def _page(title: str, sections: Sequence[tuple[str, str]], version: str) -> str:
    made = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    nav = "".join(f'<a href="#s{i}">{escape(t)}</a> ' for i, (t, _) in enumerate(sections))
    body = "\n".join(
        f'<section id="s{i}"><h2>{escape(t)}</h2>\n{h}</section>'
        for i, (t, h) in enumerate(sections)
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n"
        f"<script>{plotly_js()}</script>\n</head>\n<body>\n<h1>{escape(title)}</h1>\n"
        f"<p class='meta'>Made by summitsim {escape(version)} on {made}.</p>\n"
        f"<nav>{nav}</nav>\n{body}\n</body>\n</html>\n"
    )


def backtest_sections(data: Mapping[str, Any], prefix: str = "bt") -> list[tuple[str, str]]:
    """The backtest's tables and charts as report sections."""
    figs = [entries_figure(data), reliability_figure(data), brier_figure(data)]
    charts = "\n".join(
        figure_html(f, f"{prefix}-fig-{i}") for i, f in enumerate(figs) if f is not None
    )
    if data.get("reliability") is None:
        charts += (
            f"<p>No reliability diagram: the record has {data['n_entries']} entries; it "
            "needs at least 10.</p>"
        )
    intro = (
        f"<p>Scenario <b>{escape(data['scenario']['id'])}</b> "
        f"(sha256 {escape(data['scenario']['sha256'][:12])}…) against "
        f"<b>{escape(data['record']['source'])}</b> ({escape(data['record']['title'])}): "
        f"{data['n_entries']} entries, {data['seeds']:,} runs per ensemble, master seed "
        f"{data['seed']}"
        + (f", parameters set: {escape(data['params'])}" if data.get("params") else "")
        + ".</p><p>Forecasts are shares of runs, kept within "
        f"[{data['floor']}, {1 - data['floor']}]; scores are the mean over entries of the "
        "expected Brier and log scores given each entry's confidence (docs/backtest.md).</p>"
    )
    return [
        ("Scores", intro + scores_table(data) + skill_table(data)),
        ("Charts", charts),
        ("Entries", entries_table(data)),
    ]


def backtest_html(data: Mapping[str, Any], spec: Any = None) -> str:
    title = f"Backtest of {data['scenario']['id']}"
    return _page(title, backtest_sections(data), data.get("summitsim_version", ""))


def calibration_html(cal: Mapping[str, Any]) -> str:
    post_rows = [
        [
            name,
            f"[{p['prior'][0]:g}, {p['prior'][1]:g}]",
            _num(p["mean"], 4),
            _num(p["sd"], 4),
            _num(p["median"], 4),
            f"[{p['lo']:.4g}, {p['hi']:.4g}]",
        ]
        for name, p in cal["posterior"].items()
    ]
    pct = int(cal["interval"] * 100)
    intro = (
        f"<p>Method <b>{escape(cal['method'])}</b>: {cal['n_draws']:,} parameter draws × "
        f"{cal['seeds']} runs; {cal['n_accepted']:,} accepted. Fit on "
        f"{len(cal['fit'])} entries; {len(cal['holdout'])} held out "
        f"({escape(', '.join(cal['holdout']) or 'none')}).</p>"
        + table_html(["parameter", "prior", "mean", "sd", "median", f"{pct}% interval"], post_rows)
    )
    charts = "\n".join(figure_html(f, f"cal-fig-{i}") for i, f in enumerate(posterior_figures(cal)))
    sections = [("Posterior", intro), ("Posterior charts", charts)]
    check = cal.get("check") or {}
    rows = []
    for at in ("default", "fitted"):
        for part in ("fit", "holdout"):
            s = (check.get(at) or {}).get(part)
            if not s:
                continue
            sk = (s.get("skill") or {}).get("random", {})
            rows.append(
                [
                    at,
                    "fit entries" if part == "fit" else "hold-out entries",
                    s["n_entries"],
                    _num(s["scores"]["scenario"]["brier"]),
                    _num(s["scores"]["scenario"]["log"]),
                    _num((sk.get("brier") or {}).get("value"), sign=True),
                ]
            )
    if rows:
        sections.append(
            (
                "Backtest at the default and the fitted values",
                "<p>Scores of the scenario's runs on the entries used in the fit and on the "
                "held-out ones. A fit that improves the fit entries much more than the held-out "
                "ones is over-fitted.</p>"
                + table_html(
                    ["parameters", "entries", "n", "Brier", "log", "Brier skill vs random"], rows
                ),
            )
        )
    fitted = check.get("fitted_backtest")
    if fitted:
        sections += [(f"Fitted values: {t}", h) for t, h in backtest_sections(fitted, "fb")]
    title = f"Calibration of {cal['scenario']['id']}"
    return _page(title, sections, cal.get("summitsim_version", ""))
