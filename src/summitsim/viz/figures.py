"""Pure functions from run results (the JSON form, as dicts) to Plotly figures.

The dashboard, the static report and the classroom all draw with these. Every function takes
the result dict of :meth:`RunResult.to_dict` (or the same data read back from a ``--json``
file) and returns a new :class:`plotly.graph_objects.Figure`; nothing here runs a simulation
or touches a file. What a person reads (variable, move, outcome and red-line names, units)
comes from :class:`~summitsim.viz.labels.Labels`, passed as ``labels=``; without it, names
are made from the ids.
"""

from __future__ import annotations

import colorsys
import functools
import html
import inspect
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ParamSpec

import numpy as np
import plotly.graph_objects as go

from ..stats import mean_interval, newcombe, wilson
from .labels import BY_NAMES, ESCALATION_LEVELS, Labels, escalation_level

P = ParamSpec("P")

Result = Mapping[str, Any]
LabelsLike = Labels | Mapping[str, str] | None

__all__ = ["wilson"]  # re-exported: figures.wilson is the one in summitsim.stats

# Colours for series that are not actors (settings on the Compare page, lines): a
# colour-blind-safe qualitative palette (Okabe–Ito), then more.
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
# Actor colours: distinct hues (the first seven at least ~30 degrees apart), so that no two
# actors get two shades of the same colour; see actor_colors for who gets which.
ACTOR_PALETTE = [
    "#1f77b4",  # blue
    "#d62728",  # red
    "#2ca02c",  # green
    "#9467bd",  # purple
    "#ff7f0e",  # orange
    "#bcbd22",  # olive
    "#e377c2",  # pink
    "#17becf",  # cyan
    "#8c564b",  # brown
    "#7f7f7f",  # grey
]
ALLIED = 0.5  # relation score from which two actors count as allies
LINE = "#1f4e79"  # the colour of a variable's line in the small multiples
CROSSED = "#D55E00"
BY_SYMBOL = {
    "ai": "circle",
    "script": "circle",
    "human": "circle",
    "random": "circle",
    "red_line": "x",
    "inject": "star",
}
CHANNEL_SYMBOL = {"diplomatic": "circle", "military": "diamond", "economic": "square"}
OTHER_SYMBOL = "triangle-up"
EVENTS_ROW = "events"
STRIP = {"crossed": "red line crossed", "approached": "red line approached", "inject": "event"}


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def wrap(text: str, width: int = 72) -> str:
    """Escape text for a Plotly hover label and break it into lines."""
    return _wrap(str(text), width)


@functools.lru_cache(maxsize=8192)
def _wrap(text: str, width: int) -> str:
    # runs repeat their rationale sentences: textwrap is slow enough to be worth remembering
    lines = textwrap.wrap(text, width=width) or [""]
    return "<br>".join(html.escape(line, quote=False) for line in lines)


def esc(text: Any) -> str:
    """Text for a Plotly label (which reads a little HTML): ``<``, ``>`` and ``&`` escaped."""
    return html.escape(str(text), quote=False)


# Advance widths of the printable ASCII characters (space to ~) in DejaVu Sans, in thousandths
# of an em: as wide as Verdana's, and wider than Open Sans' or Arial's (Plotly's default font is
# "Open Sans", verdana, arial, sans-serif).
# fmt: off
_CHAR_WIDTHS = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636,
    636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698,
    770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732,
    684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635,
    634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592,
    525, 636, 337, 636, 838,
)
# fmt: on
# What Plotly adds to a y axis' widest tick label when it makes room for it (automargin).
_TICK_LABEL_PAD = 13


def text_width(text: str, size: float = 12.0) -> float:
    """About how many pixels ``text`` takes in Plotly's default font at ``size`` pixels; rather
    more than less (a character outside ASCII counts one em)."""
    em = sum(_CHAR_WIDTHS[o - 32] if 32 <= (o := ord(c)) < 127 else 1000 for c in str(text))
    return size * em / 1000


def left_margin(tick_labels: Sequence[str], least: int = 60) -> int:
    """A left margin in which Plotly fits a y axis' tick labels without growing it (growing it
    after drawing makes Plotly draw the whole figure a second time)."""
    widest = max((text_width(t) for t in tick_labels), default=0.0)
    return max(least, math.ceil(widest) + _TICK_LABEL_PAD + 1)


# TICKS_FIT: the tick labels of the timeline and the action timeline never reach past the
# figure's edge (fixed margins, ranges padded by half a turn), so Plotly is told not to check
# each label for it ("allow" instead of "hide past div"): the check measures every label and
# costs ~20 ms per timeline in the browser, for nothing hidden.


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


def labels_for(result: Result, labels: LabelsLike = None) -> Labels:
    """``labels`` as a :class:`Labels`: as given; a plain mapping of slot -> name (the older
    form) on top of the result's actor names; or the result's actor names alone."""
    if isinstance(labels, Labels):
        return labels
    actors = {str(k): str(v) for k, v in (result.get("actors") or {}).items()}
    names: dict[str, dict[str, str]] = {"actor": actors}
    if labels:
        names["variable"] = {k: v for k, v in labels.items() if not k.startswith("rel:")}
        names["relation"] = {k: v for k, v in labels.items() if k.startswith("rel:")}
    return Labels(names=names)


def actor_name(result: Result, actor: str | None) -> str:
    if actor is None:
        return EVENTS_ROW
    return str(result.get("actors", {}).get(actor, actor))


def _turn_axis_title(result: Result | None) -> str:
    length = (result or {}).get("turn_length")
    return f"turn ({length}s)" if length else "turn"


# ----- actor colours ---------------------------------------------------------------------------
def _hue(hex_colour: str) -> float | None:
    r, g, b = (int(hex_colour[k : k + 2], 16) / 255 for k in (1, 3, 5))
    h, s, _ = colorsys.rgb_to_hsv(r, g, b)
    return None if s < 0.15 else h * 360


def hue_distance(a: str, b: str) -> float:
    """Degrees between two colours' hues (180 for a grey against a colour)."""
    ha, hb = _hue(a), _hue(b)
    if ha is None or hb is None:
        return 90.0 if (ha is None) != (hb is None) else 0.0
    d = abs(ha - hb) % 360
    return min(d, 360 - d)


def actor_colors(result: Result) -> dict[str, str]:
    """A fixed colour per actor, every actor a different hue. Actors are taken in scenario
    order; each gets the unused colour whose hue is farthest from those of the actors already
    coloured that are not its allies (a relation of at least 0.5 at the start), so rivals and
    adversaries are never told apart by shade alone."""
    actors = list(result.get("actors", {}))
    state0 = result["turns"][0]["state"] if result.get("turns") else {}
    allied = set()
    for slot, a, b in relations_of(result) if result.get("turns") else []:
        if float(state0.get(slot, 0.0)) >= ALLIED:
            allied.update({(a, b), (b, a)})
    out: dict[str, str] = {}
    for i, a in enumerate(actors):
        free = [c for c in ACTOR_PALETTE if c not in out.values()] or ACTOR_PALETTE
        rivals = [out[b] for b in out if (a, b) not in allied]

        def score(c: str, rivals: list[str] = rivals) -> float:
            return min((hue_distance(c, r) for r in rivals), default=360.0)

        best = max(free, key=lambda c: (min(score(c), 40.0), -free.index(c)))
        out[a] = best if i < len(ACTOR_PALETTE) else ACTOR_PALETTE[i % len(ACTOR_PALETTE)]
    return out


# ----- layout helpers --------------------------------------------------------------------------
def _template_layout() -> dict[str, Any]:
    """The layout of :func:`template`, as a new plain dict."""
    axis = {
        "gridcolor": "#EBF0F8",
        "linecolor": "#EBF0F8",
        "zerolinecolor": "#D5DCE8",
        "zerolinewidth": 1.5,
        "automargin": True,
    }
    return {
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "colorway": list(PALETTE),
        "font": {"color": "#2a3f5f"},
        "xaxis": dict(axis),
        "yaxis": dict(axis),
        "hovermode": "closest",
        "title": {"x": 0.02},
    }


@functools.cache
def template() -> go.layout.Template:
    """A light white template (Plotly's built-in ones cost ~20 ms per figure to copy)."""
    return go.layout.Template(layout=_template_layout())


def _figure(spec: dict[str, Any]) -> go.Figure:
    """A :class:`go.Figure` of a figure dict built here (valid already: not validated again)."""
    return go.Figure(spec, _validate=False)


def _plotly(spec: Callable[P, dict[str, Any]]) -> Callable[P, go.Figure]:
    """``NAME_figure`` from ``NAME_spec``: the same figure as a :class:`go.Figure` (the
    dashboard draws the plain dicts; the report, classroom and tests take either)."""

    def figure(*args: P.args, **kwargs: P.kwargs) -> go.Figure:
        return _figure(spec(*args, **kwargs))

    figure.__name__ = figure.__qualname__ = spec.__name__.replace("_spec", "_figure")
    figure.__doc__ = (
        f"{spec.__doc__}\n\n    Returns a :class:`go.Figure` (``{spec.__name__}``: a plain dict)."
    )
    figure.__signature__ = inspect.signature(spec).replace(  # type: ignore[attr-defined]
        return_annotation="go.Figure"
    )
    return figure


def _base_layout(
    fig: go.Figure, title: str | None, height: int | None, legend_y: float = -0.2
) -> go.Figure:
    fig.update_layout(
        title={"text": esc(title)} if title else None,
        template=template(),
        height=height,
        margin={"l": 60, "r": 20, "t": 60 if title else 30, "b": 50},
        legend={"orientation": "h", "y": legend_y, "yanchor": "top"},
        hoverlabel={"align": "left"},
    )
    return fig


def _base_dict(
    layout: dict[str, Any],
    title: str | None,
    height: int | None,
    legend_y: float = -0.2,
    margin: Mapping[str, int] | None = None,
    legend: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What :func:`_base_layout` adds, added to a layout dict (``margin`` and ``legend``
    override parts of it)."""
    if title:
        layout["title"] = {"text": esc(title)}
    if height is not None:
        layout["height"] = height
    layout["template"] = {"layout": _template_layout()}
    layout["margin"] = {"l": 60, "r": 20, "t": 60 if title else 30, "b": 50, **(margin or {})}
    layout["legend"] = {"orientation": "h", "y": legend_y, "yanchor": "top", **(legend or {})}
    layout["hoverlabel"] = {"align": "left"}
    return layout


def _grid(
    n: int, cols: int, plot_px: float, top_px: float, row_gap_px: float
) -> list[tuple[list[float], list[float]]]:
    """Paper-coordinate domains of ``n`` small panels in ``cols`` columns, under a band of
    ``top_px`` pixels, in a plot area ``plot_px`` high."""
    rows = max(1, math.ceil(n / cols))
    row_px = (plot_px - top_px - row_gap_px * (rows - 1)) / rows
    col_gap = 0.1 if cols > 1 else 0.0
    col_w = (1.0 - col_gap * (cols - 1)) / cols
    out = []
    for k in range(n):
        r, c = divmod(k, cols)
        y1 = 1.0 - (top_px + r * (row_px + row_gap_px)) / plot_px
        y0 = y1 - row_px / plot_px
        x0 = c * (col_w + col_gap)
        out.append(([round(x0, 4), round(x0 + col_w, 4)], [round(max(0.0, y0), 4), round(y1, 4)]))
    return out


def _axis_name(prefix: str, k: int) -> str:
    return prefix + ("" if k == 1 else str(k))


def _panel_title(text: str, xdom: list[float], ydom: list[float]) -> dict[str, Any]:
    return {
        "text": f"<b>{esc(text)}</b>",
        "x": (xdom[0] + xdom[1]) / 2,
        "y": ydom[1],
        "xref": "paper",
        "yref": "paper",
        "xanchor": "center",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": 12},
    }


# ----- one run ---------------------------------------------------------------------------------
def crossings(result: Result, status: str = "crossed") -> list[dict[str, Any]]:
    """Red-line events of one status, each with its turn."""
    return [
        {**rl, "turn": t["turn"]}
        for t in result["turns"]
        for rl in t.get("red_lines", [])
        if rl.get("status") == status
    ]


def timeline_spec(
    result: Result,
    variables: Sequence[str] | None = None,
    *,
    title: str | None = "World state over time",
    labels: LabelsLike = None,
    height: int | None = None,
    columns: int | None = None,
) -> dict[str, Any]:
    """State variables (or relation slots) over turns as small multiples: one small chart per
    variable, titled with its name, its unit on the y axis. A strip on top marks the turns in
    which red lines were crossed (``x``, also a dashed line through every chart) or
    approached (hollow triangles) and events fired (stars); hover them for what happened.

    Traces: one line per variable (``meta`` = its id, ``name`` = its name), then ``red lines
    crossed``, ``red lines approached`` and ``injects`` (the strip)."""
    L = labels_for(result, labels)
    names = list(variables) if variables else variables_of(result)
    state0 = result["turns"][0]["state"]
    unknown = [v for v in names if v not in state0]
    if unknown:
        raise KeyError(f"not in this result: {', '.join(unknown)}")
    turns = [t["turn"] for t in result["turns"]]
    n = len(names)
    cols = columns or (1 if n <= 3 else 2)
    rows = max(1, math.ceil(n / cols))
    strip_px, gap_px, row_gap_px, margin_tb = 58.0, 34.0, 52.0, (60 if title else 30) + 70
    min_row = 120.0
    want = strip_px + gap_px + rows * 150.0 + (rows - 1) * row_gap_px + margin_tb
    need = strip_px + gap_px + rows * min_row + (rows - 1) * row_gap_px + margin_tb
    total = max(float(height or want), need)
    plot_px = total - margin_tb
    domains = _grid(n, cols, plot_px, strip_px + gap_px, row_gap_px)
    first_x = turns[0] - 0.5
    last_x = turns[-1] + 0.5
    traces: list[dict[str, Any]] = []
    layout: dict[str, Any] = {"annotations": [], "shapes": []}
    crossed = crossings(result, "crossed")
    for k, (v, (xdom, ydom)) in enumerate(zip(names, domains, strict=True), start=2):
        xa, ya = _axis_name("x", k), _axis_name("y", k)
        name = L.slot(v)
        unit = L.unit("slot", v)
        ys = [float(t["state"][v]) for t in result["turns"]]
        traces.append(
            {
                "type": "scatter",
                "x": turns,
                "y": ys,
                "mode": "lines",
                "name": name,
                "line": {"color": LINE, "width": 2},
                "meta": v,
                "xaxis": xa,
                "yaxis": ya,
                "showlegend": False,
                "hovertemplate": f"{esc(name)}<br>turn %{{x}}: %{{y:.3g}}"
                + (f" {esc(unit)}" if unit else "")
                + "<extra></extra>",
            }
        )
        last_row = (k - 2) // cols == rows - 1 or (k - 2) + cols >= n
        # fixed margins: the layout is known, and the figure's own margin makes room
        layout[f"xaxis{k}"] = {
            "domain": xdom,
            "anchor": ya,
            "matches": "x",
            "range": [first_x, last_x],
            "title": {"text": _turn_axis_title(result) if last_row else ""},
            "showticklabels": True,
            "automargin": False,
            "ticklabeloverflow": "allow",  # see TICKS_FIT
            "nticks": 6,
        }
        yaxis: dict[str, Any] = {
            "domain": ydom,
            "anchor": xa,
            "title": {"text": esc(unit), "font": {"size": 11}, "standoff": 4},
            "automargin": False,
            "ticklabeloverflow": "allow",  # see TICKS_FIT
            "nticks": 5,
        }
        if v.startswith("rel:"):
            yaxis["range"] = [-1.05, 1.05]
        elif min(ys) == max(ys):  # a flat line: show it inside the variable's bounds
            lo, hi = L.bounds.get(v, (ys[0] - 1.0, ys[0] + 1.0))
            pad = max(1.0, 0.05 * (hi - lo))
            yaxis["range"] = [max(lo, ys[0] - pad), min(hi, ys[0] + pad)]
        layout[f"yaxis{k}"] = yaxis
        layout["annotations"].append(_panel_title(name, xdom, ydom))
        for c in crossed:
            layout["shapes"].append(
                {
                    "type": "line",
                    "xref": xa,
                    "yref": f"{ya} domain",
                    "x0": c["turn"],
                    "x1": c["turn"],
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": CROSSED, "dash": "dash", "width": 1},
                }
            )
    # the strip of red lines and events, on axes x / y
    strip_top = 1.0
    strip_bottom = 1.0 - strip_px / plot_px
    layout["xaxis"] = {
        "domain": [0, 1],
        "anchor": "y",
        "range": [first_x, last_x],
        "showticklabels": False,
        "showgrid": True,
        "automargin": False,
        "ticklabeloverflow": "allow",  # see TICKS_FIT
    }
    layout["yaxis"] = {
        "domain": [round(strip_bottom, 4), strip_top],
        "anchor": "x",
        "type": "category",
        "categoryorder": "array",
        "categoryarray": [STRIP["inject"], STRIP["approached"], STRIP["crossed"]],
        "range": [-0.6, 2.6],
        "showgrid": False,
        "tickfont": {"size": 10},
        "automargin": False,
        "ticklabeloverflow": "allow",  # see TICKS_FIT
    }

    def rl_text(c: dict[str, Any], what: str) -> str:
        owner = L.actor(c.get("owner"))
        text = f"{owner}'s red line “{L.name('red_line', c['red_line'])}” {what}"
        if what == "crossed":
            by = ", ".join(L.actor(b) for b in c.get("crossed_by") or []) or "events"
            text += f" by {by}; {'answered' if c.get('responded') else 'not answered'}"
        return wrap(f"Turn {c['turn']}: {text}")

    approached = crossings(result, "approached")
    inj_turns = [t for t in result["turns"] if t.get("injects")]
    for name, points, symbol, colour, size, hover, custom in (
        (
            "red lines crossed",
            crossed,
            "x",
            CROSSED,
            12,
            [rl_text(c, "crossed") for c in crossed],
            [c["red_line"] for c in crossed],
        ),
        (
            "red lines approached",
            approached,
            "triangle-down-open",
            "#E69F00",
            10,
            [rl_text(c, "approached") for c in approached],
            [c["red_line"] for c in approached],
        ),
        (
            "injects",
            inj_turns,
            "star",
            "#666666",
            10,
            [
                "<br>".join(
                    wrap(f"Turn {t['turn']}: event: {_inject_name(L, i)}") for i in t["injects"]
                )
                for t in inj_turns
            ],
            [[i.get("inject") for i in t["injects"]] for t in inj_turns],
        ),
    ):
        row = STRIP[
            "crossed" if "crossed" in name else "approached" if "approached" in name else "inject"
        ]
        traces.append(
            {
                "type": "scatter",
                "x": [p["turn"] for p in points],
                "y": [row] * len(points),
                "mode": "markers",
                "name": {"injects": "events"}.get(name, name),
                "meta": name,
                "marker": {"symbol": symbol, "size": size, "color": colour},
                "customdata": custom,
                "hovertext": hover,
                "hoverinfo": "text",
                "xaxis": "x",
                "yaxis": "y",
                "visible": True if points else "legendonly",
            }
        )
    for c in crossed:
        layout["shapes"].append(
            {
                "type": "line",
                "xref": "x",
                "yref": "y domain",
                "x0": c["turn"],
                "x1": c["turn"],
                "y0": 0,
                "y1": 1,
                "line": {"color": CROSSED, "dash": "dash", "width": 1},
            }
        )
    # room for the strip's labels
    _base_dict(layout, title, int(total), legend_y=-70 / plot_px, margin={"b": 70, "l": 120})
    return {"data": traces, "layout": layout}


timeline_figure = _plotly(timeline_spec)


def _inject_name(L: Labels, inj: Mapping[str, Any]) -> str:
    return str(inj.get("name") or L.name("inject", inj.get("inject")))


def escalation_spec(
    result: Result,
    *,
    title: str | None = "Escalation per turn",
    height: int | None = None,
    labels: LabelsLike = None,
) -> dict[str, Any]:
    """Each actor's escalation score per turn (relative bars, one fixed colour per actor) and
    the total (a line)."""
    L = labels_for(result, labels)
    colours = actor_colors(result)
    turns = [t for t in result["turns"] if "escalation" in t]
    xs = [t["turn"] for t in turns]
    actors = list(result.get("actors", {}))
    traces: list[dict[str, Any]] = [
        {
            "type": "bar",
            "x": xs,
            "y": [float(t["escalation"].get(a, 0.0)) for t in turns],
            "name": L.actor(a),
            "marker": {"color": colours[a]},
            "meta": a,
            "hovertemplate": f"{esc(L.actor(a))}<br>turn %{{x}}: %{{y:+g}}<extra></extra>",
        }
        for a in actors
    ]
    traces.append(
        {
            "type": "scatter",
            "x": xs,
            "y": [float(sum(t["escalation"].values())) for t in turns],
            "mode": "lines+markers",
            "name": "total",
            "line": {"color": "#000000", "width": 3},
            "meta": "total",
            "hovertemplate": "total<br>turn %{x}: %{y:+g}<extra></extra>",
        }
    )
    layout: dict[str, Any] = {
        "barmode": "relative",
        "xaxis": {"title": {"text": _turn_axis_title(result)}},
        "yaxis": {"title": {"text": "escalation score"}},
    }
    return {"data": traces, "layout": _base_dict(layout, title, height)}


escalation_figure = _plotly(escalation_spec)


def action_ref(turn: int, index: int) -> str:
    """How a marker of the action timeline names its action: ``"turn:index"``."""
    return f"{turn}:{index}"


def action_timeline_spec(
    result: Result,
    *,
    title: str | None = "Who did what, when (hover or click a marker for the reason)",
    move_names: Mapping[str, str] | None = None,
    show_holds: bool = True,
    height: int | None = None,
    labels: LabelsLike = None,
) -> dict[str, Any]:
    """Every action as a marker at (turn, actor). A move's colour is its escalation level
    (calming, neutral, low, medium, high, severe) and its shape its channel (diplomatic
    circle, military diamond, economic square, other triangle); red-line responses are
    crosses, events stars, refused moves hollow and holds faint dots. The hover text names the
    move and gives the rationale sentence; ``customdata`` is ``[move id, "turn:index"]``.

    Traces: one per escalation level used (``name`` = the level in words, ``meta`` =
    ``level:<name>``), then ``red-line response``, ``event``, ``refused``, ``held`` (those
    that occur), then legend-only keys for the shapes (``meta`` = ``key``)."""
    L = labels_for(result, labels)
    move_names = move_names or {}

    def move_name(m: Any) -> str:
        return move_names.get(m) or L.move(m)

    rows: dict[str, dict[str, list[Any]]] = {}
    channels_used: list[str] = []
    for t in result["turns"]:
        seen: dict[Any, int] = {}
        for idx, a in enumerate(t.get("actions", [])):
            move = a.get("move")
            by = str(a.get("by"))
            escalation = float(a.get("escalation") or L.escalation.get(str(move), 0.0) or 0.0)
            if a.get("status") == "refused":
                key = "refused"
            elif move == "hold":
                if not show_holds:
                    continue
                key = "held"
            elif by == "red_line":
                key = "red_line"
            elif by == "inject":
                key = "inject"
            else:
                key = "level:" + escalation_level(escalation)[0]
            r = rows.setdefault(
                key,
                {"x": [], "y": [], "hover": [], "custom": [], "symbol": [], "color": []},
            )
            actor = a.get("actor")
            who = L.actor(actor)
            k = seen.get(actor, 0)
            seen[actor] = k + 1
            r["x"].append(t["turn"] + (0.22 * k if k else 0.0))
            r["y"].append(who)
            name = move_names.get(move) if by == "inject" else None
            label = name or (L.name("inject", move) if by == "inject" else move_name(move))
            sentence = (a.get("rationale") or {}).get("sentence", "")
            channel = L.channels.get(str(move), "")
            if key.startswith("level:"):
                symbol = CHANNEL_SYMBOL.get(channel, OTHER_SYMBOL)
                kind = channel if channel in CHANNEL_SYMBOL else "other"
                if kind not in channels_used:
                    channels_used.append(kind)
            else:
                symbol = {"red_line": "x", "inject": "star", "refused": "circle-open"}.get(
                    key, "circle-open"
                )
            r["symbol"].append(symbol)
            r["color"].append(escalation_level(escalation)[1])
            r["custom"].append([move, action_ref(t["turn"], idx)])
            what = BY_NAMES.get(by, by) if key != "refused" else "refused"
            esc_text = f", escalation {escalation:+g}" if escalation else ""
            r["hover"].append(
                f"<b>turn {t['turn']}: {esc(who)} — {esc(label)}</b>"
                f" ({esc(what)}{esc_text})<br>{wrap(sentence)}"
            )
    level_names = [name for _, name, _ in ESCALATION_LEVELS]
    order = [f"level:{n}" for n in level_names] + ["red_line", "inject", "refused", "held"]
    keys = sorted(rows, key=lambda k: order.index(k) if k in order else len(order))
    level_words = {
        "calming": "calming (below 0)",
        "neutral": "neutral (0)",
        "low": "low (up to 4)",
        "medium": "medium (up to 12)",
        "high": "high (up to 28)",
        "severe": "severe (above 28)",
    }
    traces: list[dict[str, Any]] = []
    first_level = True
    for key in keys:
        r = rows[key]
        faint = key in ("held", "refused")
        trace: dict[str, Any] = {"legendgroup": "other"}
        if key.startswith("level:"):
            name = level_words[key.split(":", 1)[1]]
            trace["legendgroup"] = "escalation"
            if first_level:
                trace["legendgrouptitle"] = {"text": "Escalation:"}
                first_level = False
        else:
            name = {"red_line": "red-line response", "inject": "event"}.get(key, key)
        trace.update(
            type="scatter",
            x=r["x"],
            y=r["y"],
            mode="markers",
            name=name,
            meta=key,
            customdata=r["custom"],
            hovertext=r["hover"],
            hoverinfo="text",
            marker={
                "symbol": r["symbol"],
                "size": 7 if faint else 13,
                "color": "#BBBBBB" if faint else r["color"],
                "line": {"width": 1, "color": "#333333"},
            },
        )
        traces.append(trace)
    for i, kind in enumerate(channels_used):
        traces.append(
            {
                "type": "scatter",
                "x": [None],
                "y": [None],
                "mode": "markers",
                "name": kind,
                "meta": "key",
                "legendgroup": "shape",
                **({"legendgrouptitle": {"text": "Move:"}} if i == 0 else {}),
                "marker": {
                    "symbol": CHANNEL_SYMBOL.get(kind, OTHER_SYMBOL),
                    "size": 11,
                    "color": "#ffffff",
                    "line": {"width": 1.5, "color": "#333333"},
                },
                "hoverinfo": "skip",
            }
        )
    actors = [L.actor(a) for a in result.get("actors", {})]
    has_events = any(a.get("actor") is None for t in result["turns"] for a in t.get("actions", []))
    categories = actors + ([EVENTS_ROW] if has_events else [])
    layout = {
        "yaxis": {
            "type": "category",
            "categoryorder": "array",
            "categoryarray": categories[::-1],
            "title": None,
        },
        "xaxis": {
            "title": {"text": _turn_axis_title(result)},
            "range": [0.5, len(result["turns"]) - 0.3],
            "dtick": 1,
            "ticklabeloverflow": "allow",  # see TICKS_FIT
        },
    }
    # room for the actors' names made before drawing: Plotly's automargin would widen it
    # only after drawing the figure, and then draw it again
    margin = {"l": left_margin(categories)}
    return {"data": traces, "layout": _base_dict(layout, title, height, margin=margin)}


action_timeline_figure = _plotly(action_timeline_spec)


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


def relations_spec(
    result: Result,
    turn: int | None = None,
    *,
    title: str | None = "Relations between actors",
    height: int | None = None,
    labels: LabelsLike = None,
) -> dict[str, Any]:
    """The actors on a circle, one edge per declared relation, coloured (red hostile, grey
    neutral, green friendly) and thicker the stronger it is, with its score in a box on the
    edge. A slider and a Play button under the figure step through turns (one Plotly frame
    per turn); the figure opens at ``turn`` (default: the last).

    Trace ``k`` for ``k < len(relations)`` is relation ``k``; then come the edge labels
    (``meta`` = ``labels``), the actor nodes (``actors``) and three legend-only keys for the
    edges (``key``)."""
    L = labels_for(result, labels)
    colours = actor_colors(result)
    rels = relations_of(result)
    actors = list(result.get("actors", {}))
    n_turns = len(result["turns"]) - 1
    start = n_turns if turn is None else max(0, min(int(turn), n_turns))
    angle = {a: math.pi / 2 - 2 * math.pi * i / max(1, len(actors)) for i, a in enumerate(actors)}
    pos = {a: (math.cos(th), math.sin(th)) for a, th in angle.items()}
    # The geometry does not change from turn to turn; only the scores do.
    ends = [(pos.get(a, (0.0, 0.0)), pos.get(b, (0.0, 0.0))) for _, a, b in rels]
    mids = [((x0 + x1) / 2, (y0 + y1) / 2) for (x0, y0), (x1, y1) in ends]
    pairs = [esc(L.slot(slot)) for slot, _, _ in rels]

    # Plain dicts: building 25 frames of validated go.Scatter objects costs ~0.2 s per
    # figure, which the Run button would pay.
    def edge_traces(t: int, full: bool = True) -> list[dict[str, Any]]:
        """The edges and their labels at turn ``t``; for a frame (``full=False``) only what
        changes from turn to turn (Plotly merges a frame into the traces it updates)."""
        state = result["turns"][t]["state"]
        vals = [float(state[slot]) for slot, _, _ in rels]
        out: list[dict[str, Any]] = []
        for (slot, _, _), ((x0, y0), (x1, y1)), v in zip(rels, ends, vals, strict=True):
            edge: dict[str, Any] = {
                "type": "scatter",
                "line": {"color": _rel_color(v), "width": _rel_width(v)},
            }
            if full:
                edge.update(
                    x=[x0, x1], y=[y0, y1], mode="lines", hoverinfo="skip", showlegend=False,
                    meta=slot,
                )  # fmt: skip
            out.append(edge)
        text: dict[str, Any] = {
            "type": "scatter",
            "text": [f"{v:+.2f}" for v in vals],
            "customdata": vals,
            "hovertext": [
                f"{pair}: {v:+.2f} (turn {t})" for pair, v in zip(pairs, vals, strict=True)
            ],
        }
        if full:
            text.update(
                x=[m[0] for m in mids],
                y=[m[1] for m in mids],
                mode="markers+text",
                hoverinfo="text",
                showlegend=False,
                # a white box under the score, so that it never sits on an edge's line
                marker={
                    "symbol": "square",
                    "size": 30,
                    "color": "rgba(255,255,255,0.92)",
                    "line": {"width": 1, "color": "#d0d0d0"},
                },
                textfont={"size": 11, "color": "#333333"},
                meta="labels",
            )
        out.append(text)
        return out

    def text_position(a: str) -> str:
        x, y = pos[a]
        if y > 0.35:
            return "top center"
        if y < -0.35:
            return "bottom center"
        return "middle right" if x > 0 else "middle left"

    nodes = {
        "type": "scatter",
        "x": [pos[a][0] for a in actors],
        "y": [pos[a][1] for a in actors],
        "mode": "markers+text",
        "text": [f"<b>{esc(L.actor(a))}</b>" for a in actors],
        "textposition": [text_position(a) for a in actors],
        "textfont": {"size": 13},
        "marker": {
            "size": 26,
            "color": [colours[a] for a in actors],
            "line": {"width": 2, "color": "white"},
        },
        "hovertext": [esc(L.actor(a)) for a in actors],
        "hoverinfo": "text",
        "showlegend": False,
        "meta": "actors",
    }
    keys = [
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "lines",
            "name": name,
            "line": {"color": _rel_color(v), "width": _rel_width(v)},
            "meta": "key",
            "legendgroup": "key",
            "hoverinfo": "skip",
            **({"legendgrouptitle": {"text": "Relation (colour and width):"}} if k == 0 else {}),
        }
        for k, (name, v) in enumerate(
            (("friendly, +1", 1.0), ("neutral, 0", 0.0), ("hostile, −1", -1.0))
        )
    ]
    steps = [
        {
            "label": str(t),
            "method": "animate",
            "args": [[str(t)], {"mode": "immediate", "frame": {"duration": 0, "redraw": True}}],
        }
        for t in range(n_turns + 1)
    ]
    layout: dict[str, Any] = {
        "sliders": [
            {
                "active": start,
                "currentvalue": {"prefix": "turn "},
                "pad": {"t": 10, "l": 130},
                "x": 0.0,
                "len": 1.0,
                "steps": steps,
            }
        ],
        "updatemenus": [
            {
                "type": "buttons",
                "direction": "left",
                "showactive": False,
                "x": 0.0,
                "xanchor": "left",
                "y": 0.0,
                "yanchor": "top",
                "pad": {"t": 45, "r": 10},
                "buttons": [
                    {
                        "label": "▶ Play",
                        "method": "animate",
                        "args": [
                            None,
                            {
                                "frame": {"duration": 700, "redraw": True},
                                "fromcurrent": True,
                                "transition": {"duration": 0},
                                "mode": "immediate",
                            },
                        ],
                    },
                    {
                        "label": "❚❚",
                        "method": "animate",
                        "args": [
                            [None],
                            {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"},
                        ],
                    },
                ],
            }
        ],
        "xaxis": {"visible": False, "range": [-1.75, 1.75], "fixedrange": True},
        "yaxis": {"visible": False, "range": [-1.3, 1.3], "scaleanchor": "x", "fixedrange": True},
    }
    _base_dict(
        layout,
        title,
        height,
        legend={"orientation": "v", "x": 1.0, "xanchor": "right", "y": 1.0, "yanchor": "top"},
        margin={"b": 110},
    )
    return {
        "data": [*edge_traces(start), nodes, *keys],
        "layout": layout,
        "frames": [
            {"name": str(t), "data": edge_traces(t, full=False)} for t in range(n_turns + 1)
        ],
    }


relations_figure = _plotly(relations_spec)


def first_true_turn(result: Result, outcome: str) -> int | None:
    for t in result["turns"]:
        if t.get("outcomes", {}).get(outcome) is True:
            return int(t["turn"])
    return None


def outcome_rows(
    result: Result, descriptions: Mapping[str, str] | None = None, *, labels: LabelsLike = None
) -> list[dict[str, Any]]:
    """One row per outcome: ``id``, its name (``outcome``), description, final value
    (formatted, with its unit) and, for a yes/no outcome, the first turn it held."""
    L = labels_for(result, labels)
    descriptions = descriptions or L.descriptions.get("outcome") or {}
    rows = []
    for k, v in result.get("outcomes", {}).items():
        if isinstance(v, bool):
            shown = "yes" if v else "no"
            first = first_true_turn(result, k)
        elif isinstance(v, int | float):
            unit = L.unit("outcome", k)
            shown = f"{v:.4g}" + (f" ({unit})" if unit else "")
            first = None
        else:
            shown = str(v)
            first = None
        rows.append(
            {
                "id": k,
                "outcome": L.name("outcome", k),
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
    labels: LabelsLike = None,
) -> go.Figure:
    rows = outcome_rows(result, descriptions, labels=labels)
    fig = go.Figure(
        go.Table(
            header={"values": ["outcome", "description", "value", "first turn"]},
            cells={
                "values": [
                    [esc(r["outcome"]) for r in rows],
                    [esc(r["description"]) for r in rows],
                    [esc(r["value"]) for r in rows],
                    ["" if r["first_turn"] is None else r["first_turn"] for r in rows],
                ]
            },
        )
    )
    return _base_layout(fig, title, height)


TURN_LOG_COLUMNS = ["turn", "actor", "move", "by", "status", "escalation", "rationale"]


def turn_log_rows(
    result: Result, move_names: Mapping[str, str] | None = None, *, labels: LabelsLike = None
) -> list[dict[str, Any]]:
    """The turn log: one row per action (injects and red-line responses included), every
    name in words (``by``: AI choice, scripted, player, red-line response, event)."""
    L = labels_for(result, labels)
    move_names = move_names or {}
    rows = []
    for t in result["turns"]:
        for a in t.get("actions", []):
            move = a.get("move")
            by = str(a.get("by"))
            if by == "inject":
                shown = L.name("inject", move)
            else:
                shown = move_names.get(move) or L.move(move)
            rows.append(
                {
                    "turn": t["turn"],
                    "actor": L.actor(a.get("actor")),
                    "move": shown,
                    "by": BY_NAMES.get(by, by),
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


def _first(groups: Mapping[str, Sequence[Result]]) -> Result | None:
    return next((r for rs in groups.values() for r in rs), None)


def _group_labels(groups: Mapping[str, Sequence[Result]], labels: LabelsLike) -> Labels:
    first = _first(groups)
    return labels_for(first or {"actors": {}}, labels)


def _rgba(c: str, alpha: float) -> str:
    rgb = tuple(int(c[k : k + 2], 16) for k in (1, 3, 5))
    return f"rgba({rgb[0]},{rgb[1]},{rgb[2]},{alpha})"


def compare_bands_spec(
    groups: Mapping[str, Sequence[Result]],
    variable: str,
    *,
    quantiles: tuple[float, float] = (0.25, 0.75),
    title: str | None = None,
    height: int | None = None,
    labels: LabelsLike = None,
) -> dict[str, Any]:
    """For each setting, the median of ``variable`` over turns (a line) and a shaded band
    between two quantiles (the middle half of the runs by default) across its runs.

    Per setting there are three traces: the upper edge, the lower edge (filled up to the
    upper; in the legend as the band) and the median."""
    L = _group_labels(groups, labels)
    lo_q, hi_q = quantiles
    share = round((hi_q - lo_q) * 100)
    data: list[dict[str, Any]] = []
    for i, (label, results) in enumerate(groups.items()):
        if results:
            data += _band_traces(label, results, variable, color(i), (lo_q, hi_q), share)
    layout: dict[str, Any] = {"xaxis": {"title": {"text": _turn_axis_title(_first(groups))}}}
    unit = L.unit("slot", variable)
    if unit:
        layout["yaxis"] = {"title": {"text": esc(unit)}}
    note = (
        f"line: the median run; shaded: the middle {share}% of runs "
        f"({int(lo_q * 100)}th to {int(hi_q * 100)}th percentile)"
    )
    shown = title if title is not None else L.slot(variable)
    _base_dict(layout, None, height, margin={"t": 70})
    layout["title"] = {"text": f"{esc(shown)}<br><sup>{esc(note)}</sup>", "x": 0.02}
    return {"data": data, "layout": layout}


compare_bands_figure = _plotly(compare_bands_spec)


def _band_traces(
    label: str,
    results: Sequence[Result],
    variable: str,
    c: str,
    quantiles: tuple[float, float],
    share: int,
) -> list[dict[str, Any]]:
    """One setting's band: its upper edge, its lower edge filled up to it, and its median."""
    lo_q, hi_q = quantiles
    arr = series(results, variable)
    xs = list(range(arr.shape[1]))
    qs = [lo_q, 0.5, hi_q]  # np.quantile is the same as nanquantile, and much faster
    lo, med, hi = (np.nanquantile if np.isnan(arr).any() else np.quantile)(arr, qs, axis=0)
    edge = {"type": "scatter", "x": xs, "mode": "lines", "line": {"width": 0}}
    return [
        {
            **edge,
            "y": hi.tolist(),
            "showlegend": False,
            "hoverinfo": "skip",
            "legendgroup": label,
            "name": f"{label}: {int(hi_q * 100)}th percentile",
        },
        {
            **edge,
            "y": lo.tolist(),
            "fill": "tonexty",
            "fillcolor": _rgba(c, 0.2),
            "hoverinfo": "skip",
            "legendgroup": label,
            "name": f"{label}: middle {share}% of runs",
            "meta": f"band:{label}",
        },
        {
            "type": "scatter",
            "x": xs,
            "y": med.tolist(),
            "mode": "lines",
            "line": {"color": c, "width": 2.5},
            "name": f"{label}: median (n={len(results)})",
            "legendgroup": label,
            "meta": label,
            "hovertemplate": f"{esc(label)}: median %{{y:.3g}} at turn %{{x}}<extra></extra>",
        },
    ]


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
    labels: LabelsLike = None,
) -> go.Figure:
    """Grouped bars: per setting, the share of runs in which each yes/no outcome held, with
    its 95% Wilson interval (``meta`` of a bar trace: the setting; ``customdata``: [runs in
    which it held, runs, outcome id])."""
    L = _group_labels(groups, labels)
    fig = go.Figure()
    for i, (label, results) in enumerate(groups.items()):
        freq = outcome_frequencies(results)
        ids = list(freq)
        ys, lo, hi = [], [], []
        for k in ids:
            hit, n = freq[k]
            p = hit / n if n else 0.0
            a, b = wilson(hit, n)
            ys.append(p)
            lo.append(0.0 if math.isnan(a) else p - a)
            hi.append(0.0 if math.isnan(b) else b - p)
        fig.add_trace(
            go.Bar(
                x=[L.name("outcome", k) for k in ids],
                y=ys,
                name=f"{label} (n={len(results)})",
                marker={"color": color(i)},
                error_y={"type": "data", "array": hi, "arrayminus": lo, "visible": True},
                customdata=[[*freq[k], k] for k in ids],
                hovertemplate="%{x}: %{y:.0%} (%{customdata[0]} of %{customdata[1]} runs)"
                "<extra>" + esc(label) + "</extra>",
                meta=label,
            )
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="share of runs", range=[0, 1.05], tickformat=".0%")
    return _base_layout(fig, title, height)


def difference_rows(
    groups: Mapping[str, Sequence[Result]],
    *,
    labels: LabelsLike = None,
    confidence: float = 0.95,
) -> list[dict[str, Any]]:
    """Each setting against the first, outcome by outcome: the difference (setting minus
    the first) with a confidence interval. Yes/no outcomes: the difference of frequencies
    with Newcombe's interval (from the two Wilson intervals); numeric outcomes: the
    difference of means with Welch's t interval. Rows: ``setting``, ``baseline``,
    ``outcome`` (id), ``name``, ``kind``, ``unit``, ``a``, ``b``, ``difference``, ``low``,
    ``high``, ``n_a``, ``n_b``."""
    L = _group_labels(groups, labels)
    items = list(groups.items())
    if len(items) < 2:
        return []
    base_label, base = items[0]
    rows: list[dict[str, Any]] = []
    base_freq = outcome_frequencies(base)
    numeric = _numeric_outcomes(base)
    for label, results in items[1:]:
        freq = outcome_frequencies(results)
        for k, (hit_a, n_a) in base_freq.items():
            hit_b, n_b = freq.get(k, (0, 0))
            d, lo, hi = newcombe(hit_b, n_b, hit_a, n_a, confidence)
            rows.append(
                {
                    "setting": label,
                    "baseline": base_label,
                    "outcome": k,
                    "name": L.name("outcome", k),
                    "kind": "bool",
                    "unit": "share of runs",
                    "a": hit_a / n_a if n_a else math.nan,
                    "b": hit_b / n_b if n_b else math.nan,
                    "difference": d,
                    "low": lo,
                    "high": hi,
                    "n_a": n_a,
                    "n_b": n_b,
                }
            )
        other = _numeric_outcomes(results)
        for k, xs in numeric.items():
            ys = other.get(k, [])
            d, lo, hi = mean_interval(ys, xs, confidence)
            rows.append(
                {
                    "setting": label,
                    "baseline": base_label,
                    "outcome": k,
                    "name": L.name("outcome", k),
                    "kind": "number",
                    "unit": L.unit("outcome", k),
                    "a": float(np.mean(xs)) if xs else math.nan,
                    "b": float(np.mean(ys)) if ys else math.nan,
                    "difference": d,
                    "low": lo,
                    "high": hi,
                    "n_a": len(xs),
                    "n_b": len(ys),
                }
            )
    return rows


def _numeric_outcomes(results: Sequence[Result]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for r in results:
        for k, v in r.get("outcomes", {}).items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                out.setdefault(k, []).append(float(v))
    return out


def difference_figure(
    groups: Mapping[str, Sequence[Result]],
    *,
    title: str | None = None,
    height: int | None = None,
    labels: LabelsLike = None,
) -> go.Figure:
    """Each setting against the first: for every yes/no outcome, how many percentage points
    more (or fewer) runs it happened in, with a 95% interval (dots with horizontal bars; a
    bar that crosses zero means no clear difference). One trace per setting (``meta``: the
    setting; ``customdata``: [difference, low, high, outcome id])."""
    rows = [r for r in difference_rows(groups, labels=labels) if r["kind"] == "bool"]
    names = list(dict.fromkeys(r["name"] for r in rows))
    base = next(iter(groups), "")
    fig = go.Figure()
    for i, label in enumerate(list(groups)[1:], start=1):
        mine = [r for r in rows if r["setting"] == label]
        xs = [100 * r["difference"] for r in mine]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[r["name"] for r in mine],
                mode="markers",
                name=f"{label} − {base}",
                meta=label,
                marker={"color": color(i), "size": 11},
                error_x={
                    "type": "data",
                    "array": [100 * (r["high"] - r["difference"]) for r in mine],
                    "arrayminus": [100 * (r["difference"] - r["low"]) for r in mine],
                    "visible": True,
                    "thickness": 2,
                },
                customdata=[
                    [100 * r["difference"], 100 * r["low"], 100 * r["high"], r["outcome"]]
                    for r in mine
                ],
                hovertemplate="%{y}: %{customdata[0]:+.0f} points"
                " (95% interval %{customdata[1]:+.0f} to %{customdata[2]:+.0f})"
                f"<extra>{esc(label)} − {esc(base)}</extra>",
            )
        )
    fig.add_vline(x=0, line={"color": "#555555", "width": 1})
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=names[::-1], title=None)
    fig.update_xaxes(title=f"percentage points, compared with {esc(base)}", ticksuffix="")
    text = title if title is not None else f"Difference from {base} (95% interval)"
    n = max(1, len(names))
    return _base_layout(fig, text, height or max(260, 90 + 34 * n))


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
    labels: LabelsLike = None,
) -> go.Figure:
    """One panel per red line: for each setting, the share of runs in which the red line had
    been crossed by each turn (a cumulative step curve; its end is the share ever crossed).
    The share axis is fitted to the highest curve (so rare crossings are visible), the same
    for every panel."""
    L = _group_labels(groups, labels)
    per_group = {label: first_crossed_turns(rs) for label, rs in groups.items()}
    red_lines: list[str] = []
    for d in per_group.values():
        red_lines.extend(k for k in d if k not in red_lines)
    n_turns = max((len(r["turns"]) - 1 for rs in groups.values() for r in rs), default=0)
    n_panels = max(1, len(red_lines))
    cols = 1 if n_panels == 1 else 2 if n_panels in (2, 4) else 3
    plot_px = float(height or (130 + 230 * math.ceil(n_panels / cols))) - 140
    domains = _grid(n_panels, cols, plot_px, 20.0, 70.0)
    xs = list(range(n_turns + 1))
    traces: list[dict[str, Any]] = []
    layout: dict[str, Any] = {"annotations": []}
    top = 0.0
    for j, rl in enumerate(red_lines):
        k = j + 1
        xa, ya = _axis_name("x", k), _axis_name("y", k)
        xdom, ydom = domains[j]
        name = L.name("red_line", rl)
        layout["annotations"].append(_panel_title(name, xdom, ydom))
        layout[f"xaxis{'' if k == 1 else k}"] = {
            "domain": xdom,
            "anchor": ya,
            "title": {"text": "turn"},
            "range": [0, max(1, n_turns)],
        }
        layout[f"yaxis{'' if k == 1 else k}"] = {
            "domain": ydom,
            "anchor": xa,
            "tickformat": ".0%",
            "title": {"text": "share of runs crossed" if j % cols == 0 else ""},
            **({"matches": "y"} if k > 1 else {}),
        }
        for i, (label, d) in enumerate(per_group.items()):
            n = len(groups[label])
            turns = d.get(rl, [])
            ys = [sum(1 for v in turns if v is not None and v <= x) / n if n else 0.0 for x in xs]
            top = max(top, *ys) if ys else top
            ever = sum(1 for v in turns if v is not None)
            traces.append(
                {
                    "type": "scatter",
                    "x": xs,
                    "y": ys,
                    "mode": "lines",
                    "line": {"shape": "hv", "color": color(i), "width": 2},
                    "name": f"{label} (n={n})",
                    "legendgroup": label,
                    "showlegend": j == 0,
                    "meta": {"setting": label, "red_line": rl, "ever": ever, "runs": n},
                    "hovertemplate": f"{esc(name)}: %{{y:.0%}} crossed by turn %{{x}}"
                    f" ({ever}/{n} ever)<extra>{esc(label)}</extra>",
                    "xaxis": xa,
                    "yaxis": ya,
                }
            )
    upper = min(1.05, max(0.05, top * 1.15))
    layout["yaxis"] = {**layout.get("yaxis", {}), "range": [0, upper]}
    fig = go.Figure({"data": traces, "layout": layout}, _validate=False)
    return _base_layout(fig, title, int(plot_px + 140), legend_y=-80 / plot_px)


def outcome_distribution_figure(
    groups: Mapping[str, Sequence[Result]],
    *,
    title: str | None = "Numeric outcomes at the end",
    height: int | None = None,
    labels: LabelsLike = None,
) -> go.Figure:
    """Box plots of each numeric outcome's final value, per setting: one small chart per
    outcome, with its unit on the y axis."""
    L = _group_labels(groups, labels)
    per = {label: _numeric_outcomes(rs) for label, rs in groups.items()}
    outcomes: list[str] = []
    for d in per.values():
        outcomes.extend(k for k in d if k not in outcomes)
    n = max(1, len(outcomes))
    cols = 1 if n == 1 else 2
    rows = math.ceil(n / cols)
    plot_px = float(height or (110 + 220 * rows)) - 140
    domains = _grid(n, cols, plot_px, 20.0, 60.0)
    traces: list[dict[str, Any]] = []
    layout: dict[str, Any] = {"annotations": [], "boxmode": "group"}
    for j, k in enumerate(outcomes):
        a = j + 1
        xa, ya = _axis_name("x", a), _axis_name("y", a)
        xdom, ydom = domains[j]
        name = L.name("outcome", k)
        layout["annotations"].append(_panel_title(name, xdom, ydom))
        layout[f"xaxis{'' if a == 1 else a}"] = {
            "domain": xdom,
            "anchor": ya,
            "showticklabels": False,
        }
        layout[f"yaxis{'' if a == 1 else a}"] = {
            "domain": ydom,
            "anchor": xa,
            "title": {"text": esc(L.unit("outcome", k)), "font": {"size": 11}},
        }
        for i, label in enumerate(per):
            ys = per[label].get(k, [])
            traces.append(
                {
                    "type": "box",
                    "y": ys,
                    "x": [label] * len(ys),
                    "name": label,
                    "legendgroup": label,
                    "showlegend": j == 0,
                    "marker": {"color": color(i)},
                    "boxmean": True,
                    "meta": {"setting": label, "outcome": k},
                    "xaxis": xa,
                    "yaxis": ya,
                }
            )
    fig = go.Figure({"data": traces, "layout": layout}, _validate=False)
    return _base_layout(fig, title, int(plot_px + 140), legend_y=-60 / plot_px)
