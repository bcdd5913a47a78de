"""The Run page: controls for every parameter, seed and turns; Run; the run's panels."""

from __future__ import annotations

import time
from typing import Any

from dash import ALL, Input, Output, State, html

from ..viz import figures as F
from ..viz.labels import Labels
from .app import MAX_TURNS, DashContext, PageRequest, as_int, parse_params, safe_callback
from .layout import Layout, RunPanel
from .pages import Page, register_page
from .widgets import graph, int_control, param_controls, table

MAX_SEED = 2**32 - 1


def panel(result: dict[str, Any], p: RunPanel, i: int, labels: Labels, prefix: str) -> Any:
    """One layout panel for one run result."""
    gid = {"type": f"{prefix}-graph", "kind": p.kind, "index": i}
    title = p.title
    if p.kind == "timeline":
        fig = F.timeline_figure(result, p.variables or None, title=title or "World state")
    elif p.kind == "escalation":
        fig = F.escalation_figure(result, title=title or "Escalation per turn")
    elif p.kind == "actions":
        fig = F.action_timeline_figure(
            result, title=title or "Who did what, when", move_names=labels.moves
        )
    elif p.kind == "relations":
        fig = F.relations_figure(result, title=title or "Relations between actors")
    elif p.kind == "outcomes":
        rows = F.outcome_rows(result, labels.descriptions.get("outcome"))
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
    else:  # turn_log: one DataTable (thousands of html.Td components render far too slowly)
        rows = F.turn_log_rows(result, labels.moves)
        return html.Div(
            [html.H3(title or "Turn log"), turn_log_table(rows, f"{prefix}-turnlog-table-{i}")],
            className="card panel",
            id=f"{prefix}-turnlog-{i}",
        )
    return html.Div(graph(fig, gid, p.height), className="card panel")


_LOG_CSS = (
    "body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,"
    "sans-serif;font-size:13px;color:#1b1b1b}table{border-collapse:collapse;width:100%}"
    "th,td{border:1px solid #e3e3e3;padding:3px 6px;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3;position:sticky;top:0}"
)


def turn_log_table(rows: list[dict[str, Any]], id_: str, height: int = 520) -> Any:
    """The turn log as one sandboxed iframe of escaped HTML: a single component, because
    thousands of html.Td components take the browser seconds to render. The frame runs no
    script (``sandbox=""``) and every cell is escaped."""
    from ..viz.report import table_html

    columns = ["turn", "actor", "move", "by", "status", "escalation", "rationale"]
    doc = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{_LOG_CSS}</style></head>"
        f"<body>{table_html(columns, [[r[c] for c in columns] for r in rows])}</body></html>"
    )
    return html.Iframe(
        id=id_,
        srcDoc=doc,
        sandbox="",
        title="Turn log",
        style={"width": "100%", "height": f"{height}px", "border": "1px solid #e3e3e3"},
    )


def run_panels(result: dict[str, Any], layout: Layout, labels: Labels) -> list[Any]:
    return [panel(result, p, i, labels, "run") for i, p in enumerate(layout.run.panels)]


def layout(ctx: DashContext, req: PageRequest) -> Any:
    spec = req.scenario.spec
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
                            *param_controls(spec, "param"),
                            int_control("run-seed", "seed", 0, "the same seed gives the same run"),
                            int_control(
                                "run-turns",
                                "turns",
                                spec.meta.turns,
                                f"1 to {MAX_TURNS}; scenario: {spec.meta.turns}",
                            ),
                        ],
                        className="controls",
                    ),
                    html.Div(
                        [
                            html.Button("Run", id="run-button", className="primary", n_clicks=0),
                            html.Span(id="run-info", className="info"),
                        ],
                        style={"marginTop": ".8rem"},
                    ),
                    html.Div(id="run-message", className="message"),
                ],
                className="card",
            ),
            html.Div(id="run-panels"),
        ],
        id="run-page",
    )


def callbacks(app: Any, ctx: DashContext) -> None:
    from ..api import run

    @app.callback(
        Output("run-panels", "children"),
        Output("run-message", "children"),
        Output("run-info", "children"),
        Input("run-button", "n_clicks"),
        State("scenario", "value"),
        State({"type": "param", "name": ALL}, "id"),
        State({"type": "param", "name": ALL}, "value"),
        State("run-seed", "value"),
        State("run-turns", "value"),
    )
    @safe_callback(3, 1)
    def do_run(
        n_clicks: Any, key: Any, ids: Any, values: Any, seed: Any, turns: Any
    ) -> tuple[Any, Any, Any]:
        t0 = time.perf_counter()
        req = ctx.request(key)
        params = parse_params(req.scenario, ids, values)
        seed_i = as_int(seed, "seed", 0, MAX_SEED)
        turns_i = as_int(turns, "turns", 1, MAX_TURNS)
        result = run(req.scenario, seed=seed_i, params=params, turns=turns_i).to_dict()
        labels = Labels.from_spec(req.scenario.spec)
        panels = run_panels(result, req.layout, labels)
        changed = {k: v for k, v in params.items() if v != req.scenario.spec.parameters[k].default}
        what = ", ".join(f"{k}={v}" for k, v in changed.items()) or "default parameters"
        info = (
            f"Run {int(n_clicks or 0) + 1}: {req.scenario.id}, seed {seed_i}, {turns_i} turns, "
            f"{what} ({time.perf_counter() - t0:.2f} s on the server)"
        )
        return panels, None, info


register_page(Page(key="run", name="Run", layout=layout, callbacks=callbacks, order=20))
