"""Pure functions from run results (the JSON form, as dicts) to Plotly figures.

The dashboard and the static report both draw with these. Every function takes the result
dict of :meth:`RunResult.to_dict` (or the same data read back from a ``--json`` file) and returns
a new :class:`plotly.graph_objects.Figure`; nothing here runs a simulation or touches a file.
"""

from __future__ import annotations

import functools
import html
import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

Result = Mapping[str, Any]

# A colour-blind-safe qualitative palette (Okabe–Ito), then Plotly's default for more series.
PALETTE = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#999933",
    "#000000",
    "#636EFA",
    "#EF553B",
    "#00CC96",
    "#AB63FA",
]
BY_SYMBOL = {
    "ai": "circle",
    "script": "square",
    "human": "triangle-up",
    "random": "diamond-open",
    "red_line": "x",
    "inject": "star",
}
EVENTS_ROW = "events"


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def wrap(text: str, width: int = 72) -> str:
    """Escape text for a Plotly hover label and break it into lines."""
    lines = textwrap.wrap(str(text), width=width) or [""]
    return "<br>".join(html.escape(line) for line in lines)


def variables_of(result: Result) -> list[str]:
    """The state variables of a result, in scenario order (relations excluded)."""
    return [k for k in result["turns"][0]["state"] if not k.startswith("rel:")]


def relations_of(result: Result) -> list[tuple[str, str, str]]:
    """``(slot, a, b)`` for each relation slot ``rel:a:b``."""
    out = []
    for k in result["turns"][0]["state"]:
        if k.startswith("rel:"):
            _, a, b = k.split(":", 2)
            out.append((k, a, b))
    return out


def actor_name(result: Result, actor: str | None) -> str:
    if actor is None:
        return EVENTS_ROW
    return str(result.get("actors", {}).get(actor, actor))


def _turn_axis_title(result: Result) -> str:
    length = result.get("turn_length")
    return f"turn ({length}s)" if length else "turn"


@functools.cache
def template() -> go.layout.Template:
    """A light white template (Plotly's built-in ones cost ~20 ms per figure to copy)."""
    axis = {
        "gridcolor": "#EBF0F8",
        "linecolor": "#EBF0F8",
        "zerolinecolor": "#D5DCE8",
        "zerolinewidth": 1.5,
        "automargin": True,
    }
    return go.layout.Template(
        layout={
            "plot_bgcolor": "white",
            "paper_bgcolor": "white",
            "colorway": PALETTE,
            "font": {"color": "#2a3f5f"},
            "xaxis": axis,
            "yaxis": axis,
            "hovermode": "closest",
            "title": {"x": 0.02},
        }
    )


def _base_layout(fig: go.Figure, title: str | None, height: int | None) -> go.Figure:
    fig.update_layout(
        title={"text": html.escape(title)} if title else None,
        template=template(),
        height=height,
        margin={"l": 60, "r": 20, "t": 60 if title else 30, "b": 50},
        legend={"orientation": "h", "y": -0.2},
        hoverlabel={"align": "left"},
    )
    return fig


# ----- one run ---------------------------------------------------------------------------------
def crossings(result: Result, status: str = "crossed") -> list[dict[str, Any]]:
    """Red-line events of one status, each with its turn."""
    return [
        {**rl, "turn": t["turn"]}
        for t in result["turns"]
        for rl in t.get("red_lines", [])
        if rl.get("status") == status
    ]


def timeline_figure(
    result: Result,
    variables: Sequence[str] | None = None,
    *,
    title: str | None = "World state over time",
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
) -> go.Figure:
    """State variables (or relation slots) over turns, with red-line crossings and injects marked.

    Crossings are drawn as dashed vertical lines plus a hoverable ``x`` marker per crossing
    (trace ``red lines crossed``); red lines approached get hollow markers; injects that fired
    get star markers (trace ``injects``) with their names in the hover text."""
    names = list(variables) if variables else variables_of(result)
    state0 = result["turns"][0]["state"]
    unknown = [v for v in names if v not in state0]
    if unknown:
        raise KeyError(f"not in this result: {', '.join(unknown)}")
    labels = labels or {}
    turns = [t["turn"] for t in result["turns"]]
    fig = go.Figure()
    ymax = -math.inf
    ymin = math.inf
    for i, v in enumerate(names):
        ys = [float(t["state"][v]) for t in result["turns"]]
        ymax = max(ymax, *ys)
        ymin = min(ymin, *ys)
        fig.add_trace(
            go.Scatter(
                x=turns,
                y=ys,
                mode="lines",
                name=labels.get(v, v),
                line={"color": color(i), "width": 2},
                meta=v,
                hovertemplate=f"{html.escape(labels.get(v, v))}<br>turn %{{x}}: %{{y:.3g}}"
                "<extra></extra>",
            )
        )
    if not names:
        ymin, ymax = 0.0, 1.0
    top = ymax + 0.04 * (ymax - ymin or 1.0)
    bottom = ymin - 0.04 * (ymax - ymin or 1.0)
    crossed = crossings(result, "crossed")
    for c in crossed:
        fig.add_vline(x=c["turn"], line={"color": "#D55E00", "dash": "dash", "width": 1})
    fig.add_trace(
        go.Scatter(
            x=[c["turn"] for c in crossed],
            y=[top] * len(crossed),
            mode="markers",
            name="red lines crossed",
            marker={"symbol": "x", "size": 12, "color": "#D55E00"},
            customdata=[c["red_line"] for c in crossed],
            hovertext=[
                wrap(
                    f"Red line {c['red_line']} ({actor_name(result, c['owner'])}) crossed"
                    f" by {', '.join(c.get('crossed_by') or []) or 'events'};"
                    f" {'answered' if c.get('responded') else 'not answered'}"
                )
                for c in crossed
            ],
            hoverinfo="text",
            visible=True if crossed else "legendonly",
        )
    )
    approached = crossings(result, "approached")
    fig.add_trace(
        go.Scatter(
            x=[c["turn"] for c in approached],
            y=[top] * len(approached),
            mode="markers",
            name="red lines approached",
            marker={"symbol": "triangle-down-open", "size": 10, "color": "#E69F00"},
            customdata=[c["red_line"] for c in approached],
            hovertext=[
                wrap(f"Red line {c['red_line']} ({actor_name(result, c['owner'])}) approached")
                for c in approached
            ],
            hoverinfo="text",
            visible=True if approached else "legendonly",
        )
    )
    inj_turns = [t for t in result["turns"] if t.get("injects")]
    fig.add_trace(
        go.Scatter(
            x=[t["turn"] for t in inj_turns],
            y=[bottom] * len(inj_turns),
            mode="markers",
            name="injects",
            marker={"symbol": "star", "size": 10, "color": "#666666"},
            customdata=[[i.get("inject") for i in t["injects"]] for t in inj_turns],
            hovertext=[
                "<br>".join(wrap(f"Event: {i.get('name', i.get('inject'))}") for i in t["injects"])
                for t in inj_turns
            ],
            hoverinfo="text",
            visible=True if inj_turns else "legendonly",
        )
    )
    fig.update_xaxes(title=_turn_axis_title(result), range=[turns[0] - 0.5, turns[-1] + 0.5])
    fig.update_yaxes(title="value")
    return _base_layout(fig, title, height)


def escalation_figure(
    result: Result, *, title: str | None = "Escalation per turn", height: int | None = None
) -> go.Figure:
    """Each actor's escalation score per turn (relative bars) and the total (a line)."""
    turns = [t for t in result["turns"] if "escalation" in t]
    xs = [t["turn"] for t in turns]
    actors = list(result.get("actors", {}))
    fig = go.Figure()
    for i, a in enumerate(actors):
        fig.add_trace(
            go.Bar(
                x=xs,
                y=[float(t["escalation"].get(a, 0.0)) for t in turns],
                name=actor_name(result, a),
                marker={"color": color(i)},
                meta=a,
            )
        )
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=[float(sum(t["escalation"].values())) for t in turns],
            mode="lines+markers",
            name="total",
            line={"color": "#000000", "width": 3},
            meta="total",
        )
    )
    fig.update_layout(barmode="relative")
    fig.update_xaxes(title=_turn_axis_title(result))
    fig.update_yaxes(title="escalation score")
    return _base_layout(fig, title, height)


def action_timeline_figure(
    result: Result,
    *,
    title: str | None = "Who did what, when (hover for the reason)",
    move_names: Mapping[str, str] | None = None,
    show_holds: bool = True,
    height: int | None = None,
) -> go.Figure:
    """Every action as a marker at (turn, actor); the hover text is the rationale sentence.

    One trace per kind of decision (``ai``, ``script``, ``red_line``, ``inject``, ...); holds go
    to a faint ``held`` trace, refused moves to ``refused``."""
    move_names = move_names or {}
    rows: dict[str, dict[str, list[Any]]] = {}
    for t in result["turns"]:
        for a in t.get("actions", []):
            move = a.get("move")
            if a.get("status") == "refused":
                key = "refused"
            elif move == "hold":
                if not show_holds:
                    continue
                key = "held"
            else:
                key = str(a.get("by"))
            r = rows.setdefault(key, {"x": [], "y": [], "text": [], "hover": [], "move": []})
            who = actor_name(result, a.get("actor"))
            label = move_names.get(move, move)
            sentence = (a.get("rationale") or {}).get("sentence", "")
            r["x"].append(t["turn"])
            r["y"].append(who)
            r["text"].append(label)
            r["move"].append(move)
            r["hover"].append(
                f"<b>turn {t['turn']}: {html.escape(who)} — {html.escape(str(label))}</b>"
                f" ({html.escape(str(a.get('by')))})<br>{wrap(sentence)}"
            )
    order = ["ai", "script", "human", "random", "red_line", "inject", "refused", "held"]
    keys = sorted(rows, key=lambda k: order.index(k) if k in order else len(order))
    fig = go.Figure()
    for i, key in enumerate(keys):
        r = rows[key]
        faint = key in ("held", "refused")
        fig.add_trace(
            go.Scatter(
                x=r["x"],
                y=r["y"],
                mode="markers",
                name=key,
                customdata=r["move"],
                text=r["text"],
                hovertext=r["hover"],
                hoverinfo="text",
                marker={
                    "symbol": BY_SYMBOL.get(key, "circle-open" if faint else "circle"),
                    "size": 7 if faint else 12,
                    "color": "#BBBBBB" if faint else color(i),
                    "line": {"width": 1, "color": "#333333"},
                },
            )
        )
    actors = [actor_name(result, a) for a in result.get("actors", {})]
    has_events = any(a.get("actor") is None for t in result["turns"] for a in t.get("actions", []))
    categories = actors + ([EVENTS_ROW] if has_events else [])
    fig.update_yaxes(
        type="category", categoryorder="array", categoryarray=categories[::-1], title=None
    )
    fig.update_xaxes(
        title=_turn_axis_title(result), range=[0.5, len(result["turns"]) - 0.5], dtick=1
    )
    return _base_layout(fig, title, height)


def _rel_color(v: float) -> str:
    """-1 red, 0 grey, +1 green."""
    v = max(-1.0, min(1.0, v))
    grey = (170, 170, 170)
    end = (0, 158, 115) if v >= 0 else (213, 94, 0)
    k = abs(v)
    r, g, b = (round(grey[i] + (end[i] - grey[i]) * k) for i in range(3))
    return f"rgb({r},{g},{b})"


def _rel_width(v: float) -> float:
    return round(1.5 + 6.0 * min(1.0, abs(v)), 3)


def relations_figure(
    result: Result,
    turn: int | None = None,
    *,
    title: str | None = "Relations between actors",
    height: int | None = None,
) -> go.Figure:
    """The actors on a circle, one edge per declared relation, coloured and sized by its score.

    A slider under the figure steps through turns (one Plotly frame per turn); the figure opens
    at ``turn`` (default: the last). Trace ``k`` for ``k < len(relations)`` is relation ``k``;
    then come the edge labels and the actor nodes."""
    rels = relations_of(result)
    actors = list(result.get("actors", {}))
    n_turns = len(result["turns"]) - 1
    start = n_turns if turn is None else max(0, min(int(turn), n_turns))
    angle = {a: math.pi / 2 - 2 * math.pi * i / max(1, len(actors)) for i, a in enumerate(actors)}
    pos = {a: (math.cos(th), math.sin(th)) for a, th in angle.items()}
    # The geometry does not change from turn to turn; only the scores do.
    ends = [(pos.get(a, (0.0, 0.0)), pos.get(b, (0.0, 0.0))) for _, a, b in rels]
    mids = [((x0 + x1) / 2, (y0 + y1) / 2) for (x0, y0), (x1, y1) in ends]
    pairs = [
        f"{html.escape(actor_name(result, a))} – {html.escape(actor_name(result, b))}"
        for _, a, b in rels
    ]

    # Plain dicts, wrapped once without re-validation at the end: building 25 frames of
    # validated go.Scatter objects costs ~0.2 s per figure, which the Run button would pay.
    def edge_traces(t: int) -> list[dict[str, Any]]:
        state = result["turns"][t]["state"]
        vals = [float(state[slot]) for slot, _, _ in rels]
        out: list[dict[str, Any]] = [
            {
                "type": "scatter",
                "x": [x0, x1],
                "y": [y0, y1],
                "mode": "lines",
                "line": {"color": _rel_color(v), "width": _rel_width(v)},
                "hoverinfo": "skip",
                "showlegend": False,
                "meta": slot,
            }
            for (slot, _, _), ((x0, y0), (x1, y1)), v in zip(rels, ends, vals, strict=True)
        ]
        out.append(
            {
                "type": "scatter",
                "x": [m[0] for m in mids],
                "y": [m[1] for m in mids],
                "mode": "text",
                "text": [f"{v:+.2f}" for v in vals],
                "customdata": vals,
                "hovertext": [
                    f"{pair}: {v:+.2f} (turn {t})" for pair, v in zip(pairs, vals, strict=True)
                ],
                "hoverinfo": "text",
                "showlegend": False,
                "textfont": {"size": 11, "color": "#333333"},
                "meta": "labels",
            }
        )
        return out

    nodes = {
        "type": "scatter",
        "x": [pos[a][0] for a in actors],
        "y": [pos[a][1] for a in actors],
        "mode": "markers+text",
        "text": [html.escape(actor_name(result, a)) for a in actors],
        "textposition": "top center",
        "marker": {"size": 26, "color": [color(i) for i in range(len(actors))]},
        "hoverinfo": "text",
        "showlegend": False,
        "meta": "actors",
    }
    layout: dict[str, Any] = {
        "sliders": [
            {
                "active": start,
                "currentvalue": {"prefix": "turn "},
                "pad": {"t": 10},
                "steps": [
                    {
                        "label": str(t),
                        "method": "animate",
                        "args": [
                            [str(t)],
                            {"mode": "immediate", "frame": {"duration": 0, "redraw": True}},
                        ],
                    }
                    for t in range(n_turns + 1)
                ],
            }
        ],
        "xaxis": {"visible": False, "range": [-1.45, 1.45]},
        "yaxis": {"visible": False, "range": [-1.3, 1.35], "scaleanchor": "x"},
    }
    fig = go.Figure(
        {
            "data": [*edge_traces(start), nodes],
            "layout": layout,
            "frames": [{"name": str(t), "data": edge_traces(t)} for t in range(n_turns + 1)],
        },
        _validate=False,
    )
    return _base_layout(fig, title, height)


def first_true_turn(result: Result, outcome: str) -> int | None:
    for t in result["turns"]:
        if t.get("outcomes", {}).get(outcome) is True:
            return int(t["turn"])
    return None


def outcome_rows(
    result: Result, descriptions: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """One row per outcome: its id, description, final value (formatted) and, for a yes/no
    outcome, the first turn it held."""
    descriptions = descriptions or {}
    rows = []
    for k, v in result.get("outcomes", {}).items():
        if isinstance(v, bool):
            shown = "yes" if v else "no"
            first = first_true_turn(result, k)
        elif isinstance(v, int | float):
            shown = f"{v:.4g}"
            first = None
        else:
            shown = str(v)
            first = None
        rows.append(
            {
                "outcome": k,
                "description": descriptions.get(k, ""),
                "value": shown,
                "first_turn": first,
            }
        )
    return rows


def outcomes_figure(
    result: Result,
    descriptions: Mapping[str, str] | None = None,
    *,
    title: str | None = "Outcomes",
    height: int | None = None,
) -> go.Figure:
    rows = outcome_rows(result, descriptions)
    fig = go.Figure(
        go.Table(
            header={"values": ["outcome", "description", "value", "first turn"]},
            cells={
                "values": [
                    [r["outcome"] for r in rows],
                    [html.escape(r["description"]) for r in rows],
                    [r["value"] for r in rows],
                    ["" if r["first_turn"] is None else r["first_turn"] for r in rows],
                ]
            },
        )
    )
    return _base_layout(fig, title, height)


def turn_log_rows(
    result: Result, move_names: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The turn log: one row per action (injects and red-line responses included)."""
    move_names = move_names or {}
    rows = []
    for t in result["turns"]:
        for a in t.get("actions", []):
            move = a.get("move")
            rows.append(
                {
                    "turn": t["turn"],
                    "actor": actor_name(result, a.get("actor")),
                    "move": move_names.get(move, move),
                    "by": a.get("by"),
                    "status": a.get("status"),
                    "escalation": a.get("escalation", 0.0),
                    "rationale": (a.get("rationale") or {}).get("sentence", ""),
                }
            )
    return rows


# ----- many runs -------------------------------------------------------------------------------
def series(results: Sequence[Result], slot: str) -> np.ndarray:
    """``(runs, turns+1)`` array of one state slot; shorter runs are padded with NaN."""
    width = max(len(r["turns"]) for r in results)
    out = np.full((len(results), width), np.nan)
    for i, r in enumerate(results):
        vals = [float(t["state"][slot]) for t in r["turns"]]
        out[i, : len(vals)] = vals
    return out


def compare_bands_figure(
    groups: Mapping[str, Sequence[Result]],
    variable: str,
    *,
    quantiles: tuple[float, float] = (0.25, 0.75),
    title: str | None = None,
    height: int | None = None,
) -> go.Figure:
    """For each setting, the median of ``variable`` over turns and a band between two quantiles
    (the interquartile range by default) across its runs.

    Per setting there are three traces: the upper edge, the lower edge (filled up to the upper)
    and the median."""
    lo_q, hi_q = quantiles
    fig = go.Figure()
    for i, (label, results) in enumerate(groups.items()):
        if not results:
            continue
        arr = series(results, variable)
        xs = list(range(arr.shape[1]))
        lo, med, hi = (np.nanquantile(arr, q, axis=0) for q in (lo_q, 0.5, hi_q))
        c = color(i)
        rgb = tuple(int(c[k : k + 2], 16) for k in (1, 3, 5))
        fill = f"rgba({rgb[0]},{rgb[1]},{rgb[2]},0.2)"
        # the band: an invisible upper edge, then the lower edge filled up to it
        for q, edge, filled in ((hi_q, hi, {}), (lo_q, lo, {"fill": "tonexty", "fillcolor": fill})):
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=edge.tolist(),
                    mode="lines",
                    line={"width": 0},
                    showlegend=False,
                    hoverinfo="skip",
                    legendgroup=label,
                    name=f"{label} q{int(q * 100)}",
                    **filled,
                )
            )
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=med.tolist(),
                mode="lines",
                line={"color": c, "width": 2.5},
                name=f"{label} (median, n={len(results)})",
                legendgroup=label,
                meta=label,
            )
        )
    first = next((r for rs in groups.values() for r in rs), None)
    fig.update_xaxes(title=_turn_axis_title(first) if first else "turn")
    fig.update_yaxes(title=variable)
    return _base_layout(fig, title if title is not None else variable, height)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, mid - half), min(1.0, mid + half))


def outcome_frequencies(results: Sequence[Result]) -> dict[str, tuple[int, int]]:
    """For each yes/no outcome: (runs where it held, runs)."""
    out: dict[str, tuple[int, int]] = {}
    for r in results:
        for k, v in r.get("outcomes", {}).items():
            if isinstance(v, bool):
                hit, n = out.get(k, (0, 0))
                out[k] = (hit + int(v), n + 1)
    return out


def outcome_frequency_figure(
    groups: Mapping[str, Sequence[Result]],
    *,
    title: str | None = "How often each outcome happened (95% Wilson interval)",
    height: int | None = None,
) -> go.Figure:
    """Grouped bars: per setting, the share of runs in which each yes/no outcome held."""
    fig = go.Figure()
    for i, (label, results) in enumerate(groups.items()):
        freq = outcome_frequencies(results)
        names = list(freq)
        ys, lo, hi = [], [], []
        for k in names:
            hit, n = freq[k]
            p = hit / n if n else 0.0
            a, b = wilson(hit, n)
            ys.append(p)
            lo.append(p - a)
            hi.append(b - p)
        fig.add_trace(
            go.Bar(
                x=names,
                y=ys,
                name=f"{label} (n={len(results)})",
                marker={"color": color(i)},
                error_y={"type": "data", "array": hi, "arrayminus": lo, "visible": True},
                customdata=[list(freq[k]) for k in names],
                hovertemplate="%{x}: %{y:.0%} (%{customdata[0]} of %{customdata[1]} runs)"
                "<extra>" + html.escape(label) + "</extra>",
                meta=label,
            )
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="share of runs", range=[0, 1.05], tickformat=".0%")
    return _base_layout(fig, title, height)


def first_crossed_turns(results: Sequence[Result]) -> dict[str, list[int | None]]:
    """For each red line, the turn of its first crossing in each run (None: never)."""
    out: dict[str, list[int | None]] = {}
    for r in results:
        fc = r.get("summary", {}).get("first_crossed")
        if fc is None:  # older or hand-made results: derive from the turns
            fc = {}
            for t in r["turns"]:
                for rl in t.get("red_lines", []):
                    fc.setdefault(rl["red_line"], None)
                    if rl.get("status") == "crossed" and fc[rl["red_line"]] is None:
                        fc[rl["red_line"]] = t["turn"]
        for k, v in fc.items():
            out.setdefault(k, []).append(v)
    return out


def first_crossed_figure(
    groups: Mapping[str, Sequence[Result]],
    *,
    title: str | None = "When each red line was first crossed (share of runs, cumulative)",
    height: int | None = None,
) -> go.Figure:
    """One panel per red line: for each setting, the share of runs in which the red line had
    been crossed by each turn (a cumulative step curve; its end is the share ever crossed)."""
    per_group = {label: first_crossed_turns(rs) for label, rs in groups.items()}
    red_lines: list[str] = []
    for d in per_group.values():
        red_lines.extend(k for k in d if k not in red_lines)
    n_turns = max((len(r["turns"]) - 1 for rs in groups.values() for r in rs), default=0)
    cols = max(1, len(red_lines))
    fig = make_subplots(
        rows=1,
        cols=cols,
        shared_yaxes=True,
        subplot_titles=[html.escape(r) for r in red_lines] or None,
    )
    xs = list(range(n_turns + 1))
    for i, (label, d) in enumerate(per_group.items()):
        n = len(groups[label])
        for j, rl in enumerate(red_lines):
            turns = d.get(rl, [])
            ys = [sum(1 for v in turns if v is not None and v <= x) / n if n else 0.0 for x in xs]
            ever = sum(1 for v in turns if v is not None)
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    line={"shape": "hv", "color": color(i), "width": 2},
                    name=f"{label} (n={n})",
                    legendgroup=label,
                    showlegend=j == 0,
                    meta={"setting": label, "red_line": rl, "ever": ever, "runs": n},
                    hovertemplate=f"{html.escape(rl)}: %{{y:.0%}} crossed by turn %{{x}}"
                    f" ({ever}/{n} ever)<extra>{html.escape(label)}</extra>",
                ),
                row=1,
                col=j + 1,
            )
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    fig.update_yaxes(title="share of runs crossed", row=1, col=1)
    fig.update_xaxes(title="turn")
    return _base_layout(fig, title, height)


def outcome_distribution_figure(
    groups: Mapping[str, Sequence[Result]],
    *,
    title: str | None = "Numeric outcomes at the end",
    height: int | None = None,
) -> go.Figure:
    """Box plots of each numeric outcome's final value, per setting."""
    fig = go.Figure()
    for i, (label, results) in enumerate(groups.items()):
        xs: list[str] = []
        ys: list[float] = []
        for r in results:
            for k, v in r.get("outcomes", {}).items():
                if isinstance(v, int | float) and not isinstance(v, bool):
                    xs.append(k)
                    ys.append(float(v))
        fig.add_trace(
            go.Box(x=xs, y=ys, name=label, marker={"color": color(i)}, boxmean=True, meta=label)
        )
    fig.update_layout(boxmode="group")
    return _base_layout(fig, title, height)
