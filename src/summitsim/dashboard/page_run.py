"""The Run page: controls for every parameter, seed and turns; Run; the run's panels.

Clicking a marker of the action timeline pins its rationale under the chart, with the numbers
behind it (the alternatives the actor weighed, what it expected of the others, the interests
that decided); clicking any turn of a chart shows the relations network at that turn; the turn
log can be filtered by actor and turns.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from typing import Any

from dash import ALL, MATCH, Input, Output, State, dcc, html, no_update

from ..viz import figures as F
from ..viz import negotiation as N
from ..viz.labels import Labels
from .app import (
    MAX_TURNS,
    DashContext,
    InputError,
    PageRequest,
    as_int,
    error_box,
    parse_params,
    safe_callback,
)
from .layout import Layout, RunPanel
from .pages import Page, register_page
from .widgets import busy, graph, int_control, mark_invalid_js, param_controls, table

MAX_SEED = 2**32 - 1
MAX_KEPT = 8  # recent results kept on the server, for pinning a rationale without a rerun
_KEPT: OrderedDict[str, dict[str, Any]] = OrderedDict()
_LOCK = threading.Lock()


def keep(request: dict[str, Any], result: dict[str, Any]) -> None:
    key = json.dumps(request, sort_keys=True)
    with _LOCK:
        _KEPT[key] = result
        _KEPT.move_to_end(key)
        while len(_KEPT) > MAX_KEPT:
            _KEPT.popitem(last=False)


def kept(ctx: DashContext, request: Any) -> tuple[dict[str, Any], Labels]:
    """The result of a Run request made earlier (rerun if it is no longer kept: runs are
    deterministic), and its labels."""
    from ..api import run

    if not isinstance(request, dict):
        raise InputError("press Run first")
    req = ctx.request(request.get("key"))
    params = parse_params(
        req.scenario,
        [{"name": k} for k in request.get("params", {})],
        list(request.get("params", {}).values()),
    )
    seed = as_int(request.get("seed"), "seed", 0, MAX_SEED)
    turns = as_int(request.get("turns"), "turns", 1, MAX_TURNS)
    canonical = {"key": request.get("key"), "params": params, "seed": seed, "turns": turns}
    with _LOCK:
        hit = _KEPT.get(json.dumps(canonical, sort_keys=True))
    if hit is None:
        hit = run(req.scenario, seed=seed, params=params, turns=turns).to_dict()
        keep(canonical, hit)
    return hit, Labels.from_spec(req.scenario.spec)


NARROW = 640  # pixels: a screen at most this wide gets figures laid out for a phone


def _merge(layout: dict[str, Any], key: str, values: dict[str, Any]) -> None:
    layout[key] = {**(layout.get(key) or {}), **values}


def narrow_layout(fig: dict[str, Any], kind: str) -> dict[str, Any]:
    """Adjust a figure dict for a phone: the title wrapped, fewer turn ticks, legends and the
    relations network's keys out of the way."""
    import textwrap

    layout = fig["layout"]
    title = (layout.get("title") or {}).get("text")
    if title and "<br>" not in title and len(title) > 34:
        lines = textwrap.wrap(title, 34)
        _merge(layout, "title", {"text": "<br>".join(lines)})
        _merge(layout, "margin", {"t": 30 + 22 * len(lines)})
    if kind == "actions":
        for axis in [k for k in layout if k.startswith("xaxis")] or ["xaxis"]:
            _merge(layout, axis, {"dtick": 4})
        layout["height"] = max(int(layout.get("height") or 0), 640)
        _merge(layout, "margin", {"b": 230})
        _merge(layout, "legend", {"y": -0.12, "yanchor": "top"})
    elif kind == "relations":
        layout["showlegend"] = False
    elif kind == "escalation":
        layout["height"] = max(int(layout.get("height") or 0), 480)
    return fig


def panel(
    result: dict[str, Any],
    p: RunPanel,
    i: int,
    labels: Labels,
    prefix: str,
    narrow: bool = False,
) -> Any:
    """One layout panel for one run result (laid out for a phone when ``narrow``)."""
    gid = {"type": f"{prefix}-graph", "kind": p.kind, "index": i}
    title = p.title
    fig: Any = None
    if p.kind == "timeline":
        fig = F.timeline_spec(
            result,
            p.variables or None,
            title=title or "World state",
            labels=labels,
            columns=1 if narrow else None,
        )
    elif p.kind == "escalation":
        fig = F.escalation_spec(result, title=title or "Escalation per turn", labels=labels)
    elif p.kind == "actions":
        fig = F.action_timeline_spec(
            result,
            title=title or "Who did what, when (click a marker for the reason)",
            labels=labels,
        )
        if narrow:
            narrow_layout(fig, p.kind)
        return html.Div(
            [
                graph(fig, gid, p.height),
                html.Div(
                    "Click (or tap) a marker to pin the reason for that move here, with the "
                    "numbers behind it.",
                    id={"type": f"{prefix}-why", "index": i},
                    className="why info",
                ),
            ],
            className="card panel",
        )
    elif p.kind == "relations":
        fig = F.relations_spec(result, title=title or "Relations between actors", labels=labels)
        if narrow:
            narrow_layout(fig, p.kind)
        return html.Div(
            [
                graph(fig, gid, p.height),
                html.P(
                    "Edges: green friendly, grey neutral, red hostile; the thicker, the "
                    "stronger. Press Play, drag the slider, or click a turn in any other "
                    "chart to see the network then.",
                    className="hint",
                ),
            ],
            className="card panel relations-panel",
        )
    elif p.kind == "outcomes":
        rows = F.outcome_rows(result, labels=labels)
        return html.Div(
            [
                html.H3(title or "Outcomes"),
                table(
                    ["outcome", "description", "value", "first turn it held"],
                    [[r["outcome"], r["description"], r["value"], r["first_turn"]] for r in rows],
                ),
            ],
            className="card panel",
            id=f"{prefix}-outcomes-{i}",
        )
    else:  # turn_log: one iframe (thousands of html.Td components render far too slowly)
        rows = F.turn_log_rows(result, labels=labels)
        return html.Div(
            [html.H3(title or "Turn log"), *turn_log(result, rows, labels, prefix, i)],
            className="card panel",
            id=f"{prefix}-turnlog-{i}",
        )
    if narrow:
        narrow_layout(fig, p.kind)
    return html.Div(graph(fig, gid, p.height), className="card panel")


_LOG_CSS = (
    "body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,"
    "sans-serif;font-size:13px;color:#1b1b1b}table{border-collapse:collapse;width:100%}"
    "th,td{border:1px solid #e3e3e3;padding:3px 6px;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3;position:sticky;top:0}p{margin:8px}"
)


def _log_doc(columns: list[str], rows: list[list[Any]]) -> str:
    from ..viz.report import table_html

    body = table_html(columns, rows) if rows else "<p>No action matches the filters.</p>"
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><style>{_LOG_CSS}</style>"
        f"</head><body>{body}</body></html>"
    )


def _log_cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def turn_log(
    result: dict[str, Any],
    rows: list[dict[str, Any]],
    labels: Labels,
    prefix: str,
    i: int,
    height: int = 520,
) -> list[Any]:
    """Filters (actors, turns), the rows they filter (a store) and the table: one sandboxed
    iframe of escaped HTML (it runs no script, ``sandbox=""``), written in the browser from
    the rows and rewritten when a filter changes (the rows travel once, not twice)."""
    columns = F.TURN_LOG_COLUMNS
    cells = [[_log_cell(r[c]) for c in columns] for r in rows]
    n_turns = max(1, len(result["turns"]) - 1)
    actors = [labels.actor(a) for a in result.get("actors", {})]
    if any(r["actor"] == F.EVENTS_ROW for r in rows):
        actors.append(F.EVENTS_ROW)
    marks = {t: str(t) for t in range(1, n_turns + 1, max(1, n_turns // 6))}
    marks[n_turns] = str(n_turns)
    return [
        html.Div(
            [
                html.Div(
                    [
                        html.Label("actors"),
                        dcc.Dropdown(
                            id={"type": f"{prefix}-log-actors", "index": i},
                            options=[{"label": a, "value": a} for a in actors],
                            multi=True,
                            placeholder="all actors",
                        ),
                    ],
                    className="control",
                ),
                html.Div(
                    [
                        html.Label("turns"),
                        dcc.RangeSlider(
                            id={"type": f"{prefix}-log-turns", "index": i},
                            min=1,
                            max=n_turns,
                            step=1,
                            value=[1, n_turns],
                            marks=marks,
                        ),
                    ],
                    className="control wide",
                ),
            ],
            className="controls log-filters",
        ),
        dcc.Store(
            id={"type": f"{prefix}-log-rows", "index": i},
            data={"columns": columns, "rows": cells, "css": _LOG_CSS},
        ),
        html.Iframe(  # its table is written in the browser from the rows (JS_FILTER_LOG)
            id={"type": f"{prefix}-log-frame", "index": i},
            sandbox="",
            title="Turn log",
            style={"width": "100%", "height": f"{height}px", "border": "1px solid #e3e3e3"},
        ),
    ]


def turn_log_table(rows: list[dict[str, Any]], id_: Any, height: int = 520) -> Any:
    """The turn log as one sandboxed iframe of escaped HTML (no filters)."""
    columns = F.TURN_LOG_COLUMNS
    return html.Iframe(
        id=id_,
        srcDoc=_log_doc(columns, [[_log_cell(r[c]) for c in columns] for r in rows]),
        sandbox="",
        title="Turn log",
        style={"width": "100%", "height": f"{height}px", "border": "1px solid #e3e3e3"},
    )


# Rebuilds the turn log's table from its rows for the chosen actors and turns.
JS_FILTER_LOG = """function(actors, turns, data) {
    if (!data) return dash_clientside.no_update;
    const esc = s => String(s).replace(/[&<>"']/g, c => ({'&': '&amp;', '<': '&lt;',
        '>': '&gt;', '"': '&quot;', "'": '&#x27;'}[c]));
    const lo = turns ? turns[0] : -Infinity, hi = turns ? turns[1] : Infinity;
    const want = actors && actors.length ? new Set(actors) : null;
    const rows = data.rows.filter(r => Number(r[0]) >= lo && Number(r[0]) <= hi
                                     && (!want || want.has(r[1])));
    const head = '<tr>' + data.columns.map(c => '<th>' + esc(c) + '</th>').join('') + '</tr>';
    const body = rows.map(r => '<tr>' + r.map(c => '<td>' + esc(c) + '</td>').join('')
                                + '</tr>').join('');
    const table = rows.length ? '<table><thead>' + head + '</thead><tbody>' + body
                                + '</tbody></table>'
                              : '<p>No action matches the filters.</p>';
    return "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><style>" + data.css
        + '</style></head><body>' + table + '</body></html>';
}"""

# Shows the relations network at the turn clicked in any other chart of the Run page.
JS_LINK_TURN = """function(clicks) {
    const trig = (dash_clientside.callback_context.triggered || [])[0];
    if (!trig || !trig.value || !trig.value.points || !trig.value.points.length) {
        return dash_clientside.no_update;
    }
    if (trig.prop_id.includes('"kind":"relations"')) return dash_clientside.no_update;
    const x = Number(trig.value.points[0].x);
    if (!isFinite(x)) return dash_clientside.no_update;
    const turn = Math.max(0, Math.round(x));
    document.querySelectorAll('.relations-panel .js-plotly-plot').forEach(gd => {
        const frames = (gd._transitionData && gd._transitionData._frames) || [];
        const name = String(Math.min(turn, frames.length - 1));
        window.Plotly.animate(gd, [name], {mode: 'immediate', transition: {duration: 0},
                                           frame: {duration: 0, redraw: true}});
    });
    return turn;
}"""


def deals_panel(result: dict[str, Any], labels: Labels, prefix: str = "run") -> Any:
    """The run's negotiations step by step, the deals signed and their obligations, and what
    was said and done (viz/negotiation.py); None when the run had none of these."""
    steps = N.all_negotiation_rows(result, labels)
    said = N.said_vs_did_rows(result.get("said_vs_did") or [], labels)
    if not (steps or said):
        return None
    parts: list[Any] = []
    if steps:
        parts += [
            html.H3("Negotiations"),
            html.P(
                "Held at the start of their turn, before the moves: each offer and reply, "
                "then how it ended.",
                className="hint",
            ),
            table(N.NEGOTIATION_COLUMNS, [[r[c] for c in N.NEGOTIATION_COLUMNS] for r in steps]),
        ]
    signed = N.deal_rows(result, labels)
    if signed:
        parts += [html.H4("Deals signed"), table(N.DEAL_COLUMNS, signed)]
    obligations = N.obligation_rows(result, labels)
    if obligations:
        parts += [html.H4("Obligations"), table(N.OBLIGATION_COLUMNS, obligations)]
    if said:
        parts += [html.H4("What was said, and what was done"), table(N.SAID_COLUMNS, said)]
    return html.Div(parts, className="card panel", id=f"{prefix}-deals")


def run_panels(
    result: dict[str, Any], layout: Layout, labels: Labels, narrow: bool = False
) -> list[Any]:
    """The layout's panels, then the negotiations and commitments if the run had any."""
    out = [panel(result, p, i, labels, "run", narrow) for i, p in enumerate(layout.run.panels)]
    deals = deals_panel(result, labels)
    return out if deals is None else [*out, deals]


# The browser's width, read when the page opens (figures are laid out for it); the first run
# is requested then, and Plotly.js starts while the server works (app.JS_START_PLOTLY).
JS_WIDTH = """function(path) {
    if (window.summitsimStartPlotly) window.summitsimStartPlotly();
    return window.innerWidth;
}"""


def layout(ctx: DashContext, req: PageRequest) -> Any:
    spec = req.scenario.spec
    labels = Labels.from_spec(spec)
    return html.Div(
        [
            html.Div(
                [
                    html.H2(req.layout.title or spec.meta.title),
                    html.P(req.layout.description, className="info")
                    if req.layout.description
                    else None,
                    html.Div(
                        [
                            *param_controls(spec, "param", labels=labels),
                            int_control(
                                "run-seed",
                                "seed",
                                0,
                                "the same seed gives the same run",
                                0,
                                MAX_SEED,
                            ),
                            int_control(
                                "run-turns",
                                "turns",
                                spec.meta.turns,
                                f"1 to {MAX_TURNS}; scenario: {spec.meta.turns}",
                                1,
                                MAX_TURNS,
                            ),
                        ],
                        className="controls",
                    ),
                    html.Div(
                        [
                            html.Button("Run", id="run-button", className="primary", n_clicks=0),
                            busy("run-busy", "Running…"),
                            html.Span(id="run-info", className="info"),
                        ],
                        className="actions-row",
                    ),
                    html.Div(id="run-message", className="message"),
                    dcc.Store(id="run-request"),
                    dcc.Store(id="run-width"),
                    dcc.Store(id="run-invalid"),
                    dcc.Store(id="run-invalid-mark"),
                    dcc.Store(id="run-link"),
                ],
                className="card",
            ),
            html.Div(id="run-panels"),
        ],
        id="run-page",
    )


def _describe(params: dict[str, Any], spec: Any, labels: Labels) -> str:
    changed = {k: v for k, v in params.items() if v != spec.parameters[k].default}
    return (
        ", ".join(f"{labels.name('parameter', k)} = {v}" for k, v in changed.items())
        or "default parameters"
    )


def why_view(result: dict[str, Any], ref: Any, labels: Labels) -> Any:
    """The pinned reason for one action: the sentence, then the numbers behind it."""
    try:
        t_text, i_text = str(ref).split(":")
        turn, index = int(t_text), int(i_text)
        action = result["turns"][turn]["actions"][index]
    except (ValueError, IndexError, KeyError, TypeError):
        raise InputError("that marker is not an action of this run") from None
    who = labels.actor(action.get("actor"))
    by = str(action.get("by"))
    move = action.get("move")
    name = labels.name("inject", move) if by == "inject" else labels.move(move)
    r = action.get("rationale") or {}
    parts: list[Any] = [
        html.H4(f"Turn {turn}: {who} — {name}"),
        html.P(r.get("sentence") or r.get("justification") or "No reason was recorded."),
    ]
    alts = r.get("alternatives") or []
    if alts:
        chosen = r.get("chosen")
        rows = [
            [
                html.B(labels.name("option", a["move"]) + " (chosen)")
                if a["move"] == chosen
                else labels.name("option", a["move"]),
                f"{a['expected_utility']:+.3f}",
                f"{a['without_red_lines']:+.3f}",
                f"{a['probability']:.0%}",
            ]
            for a in sorted(alts, key=lambda a: -a["probability"])
        ]
        parts += [
            html.H5("The options it weighed"),
            table(["option", "value to it", "without red lines", "chance of choosing"], rows),
        ]
    expected = r.get("expected_of_others") or []
    if expected:
        parts += [
            html.H5("What it expected the others to do"),
            html.Ul(
                [
                    html.Li(
                        f"{labels.actor(e['actor'])}: {labels.name('option', e['move'])} "
                        f"({e['probability']:.0%})"
                    )
                    for e in expected
                ]
            ),
        ]
    terms = r.get("deciding_terms") or []
    if terms:
        parts += [
            html.H5("What it gained most on, compared with holding"),
            html.Ul([html.Li(f"{d['interest']}: {d['value']:+.3f}") for d in terms]),
        ]
    risks = r.get("anticipated_red_lines") or []
    if risks:
        parts += [
            html.H5("Red lines it took into account"),
            html.Ul(
                [
                    html.Li(
                        f"{labels.actor(a['owner'])}'s “{labels.name('red_line', a['red_line'])}”"
                        f" if it chose {labels.name('option', a['if_move'])}: "
                        f"{a['credibility']:.0%} credible, worth {a['worth']:+.3f} to it"
                    )
                    for a in risks
                ]
            ),
        ]
    if r.get("concept"):
        parts.append(html.P(f"How it decided: {r['concept']}.", className="hint"))
    return html.Div(parts, className="pinned")


def callbacks(app: Any, ctx: DashContext) -> None:
    from ..api import run

    @app.callback(
        Output("run-panels", "children"),
        Output("run-message", "children"),
        Output("run-info", "children"),
        Output("run-request", "data"),
        Output("run-invalid", "data"),
        Input("run-button", "n_clicks"),
        Input("run-width", "data"),
        State("scenario", "value"),
        State({"type": "param", "name": ALL}, "id"),
        State({"type": "param", "name": ALL}, "value"),
        State("run-seed", "value"),
        State("run-turns", "value"),
        running=[
            (Output("run-button", "disabled"), True, False),
            (Output("run-busy", "className"), "busy on", "busy"),
        ],
    )
    @safe_callback(5, 1)
    def do_run(
        n_clicks: Any, width: Any, key: Any, ids: Any, values: Any, seed: Any, turns: Any
    ) -> tuple[Any, ...]:
        t0 = time.perf_counter()
        req = ctx.request(key)
        try:
            params = parse_params(req.scenario, ids, values)
        except InputError as exc:
            return no_update, error_box(str(exc)), no_update, no_update, exc.field
        seed_i = as_int(seed, "seed", 0, MAX_SEED)
        turns_i = as_int(turns, "turns", 1, MAX_TURNS)
        result = run(req.scenario, seed=seed_i, params=params, turns=turns_i).to_dict()
        request = {"key": key, "params": params, "seed": seed_i, "turns": turns_i}
        keep(request, result)
        labels = Labels.from_spec(req.scenario.spec)
        narrow = isinstance(width, int | float) and 0 < width <= NARROW
        panels = run_panels(result, req.layout, labels, narrow)
        what = _describe(params, req.scenario.spec, labels)
        info = (
            f"Run {int(n_clicks or 0) + 1}: {req.scenario.id}, seed {seed_i}, {turns_i} turns, "
            f"{what} ({time.perf_counter() - t0:.2f} s on the server)"
        )
        return panels, None, info, request, None

    app.clientside_callback(JS_WIDTH, Output("run-width", "data"), Input("url", "pathname"))
    app.clientside_callback(
        mark_invalid_js("#run-page"),
        Output("run-invalid-mark", "data"),
        Input("run-invalid", "data"),
    )

    @app.callback(
        Output({"type": "run-why", "index": MATCH}, "children"),
        Input({"type": "run-graph", "kind": "actions", "index": MATCH}, "clickData"),
        State("run-request", "data"),
        prevent_initial_call=True,
    )
    @safe_callback(1, 0)
    def pin(click: Any, request: Any) -> Any:
        points = click.get("points") if isinstance(click, dict) else None
        if not isinstance(points, list) or not points or not isinstance(points[0], dict):
            return no_update
        custom = points[0].get("customdata")
        if not isinstance(custom, list) or len(custom) != 2:
            return no_update  # a legend key or a point without an action
        result, labels = kept(ctx, request)
        return why_view(result, custom[1], labels)

    app.clientside_callback(
        JS_FILTER_LOG,
        Output({"type": "run-log-frame", "index": MATCH}, "srcDoc"),
        Input({"type": "run-log-actors", "index": MATCH}, "value"),
        Input({"type": "run-log-turns", "index": MATCH}, "value"),
        Input({"type": "run-log-rows", "index": MATCH}, "data"),
    )
    app.clientside_callback(
        JS_LINK_TURN,
        Output("run-link", "data"),
        Input({"type": "run-graph", "kind": ALL, "index": ALL}, "clickData"),
        prevent_initial_call=True,
    )


register_page(Page(key="run", name="Run", layout=layout, callbacks=callbacks, order=20))
