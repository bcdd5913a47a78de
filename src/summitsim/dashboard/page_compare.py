"""The Compare page: two or more parameter settings, each run over N seeds, side by side."""

from __future__ import annotations

import string
import time
from typing import Any

from dash import ALL, Input, Output, Patch, State, dcc, html

from ..viz import figures as F
from .app import (
    MAX_TURNS,
    DashContext,
    InputError,
    PageRequest,
    as_int,
    parse_params,
    safe_callback,
)
from .layout import Layout
from .pages import Page, register_page
from .widgets import graph, int_control, param_controls

MAX_SETTINGS = 6
MAX_WORK = 12_000  # simulated turns per Compare request: settings × seeds × turns (~4 s)


def setting_card(spec: Any, i: int) -> html.Div:
    label = f"setting {string.ascii_uppercase[i]}"
    return html.Div(
        [
            html.Div(
                [
                    html.Label("label"),
                    dcc.Input(
                        id={"type": "cmp-label", "setting": i}, type="text", value=label,
                        maxLength=40,
                    ),
                ],
                className="control",
            ),
            *param_controls(spec, "cmp-param", {"setting": i}),
        ],
        className="card setting",
        id=f"cmp-setting-{i}",
    )  # fmt: skip


def layout(ctx: DashContext, req: PageRequest) -> Any:
    spec = req.scenario.spec
    cmp = req.layout.compare
    return html.Div(
        [
            html.Div(
                [
                    html.H2(f"Compare settings: {req.layout.title or spec.meta.title}"),
                    html.P(
                        "Each setting is run with the same seeds 0…N−1, so the settings differ "
                        "only in their parameters.",
                        className="info",
                    ),
                    html.Div(
                        [setting_card(spec, i) for i in range(cmp.settings)],
                        id="cmp-settings",
                        className="settings",
                    ),
                    html.Div(
                        [
                            int_control(
                                "cmp-seeds", "seeds per setting", cmp.seeds,
                                f"1 to {cmp.max_seeds}",
                            ),
                            int_control(
                                "cmp-turns", "turns", spec.meta.turns, f"1 to {MAX_TURNS}"
                            ),
                        ],
                        className="controls",
                    ),
                    html.Div(
                        [
                            html.Button(
                                "Compare", id="compare-button", className="primary", n_clicks=0
                            ),
                            html.Button(
                                "Add a setting", id="cmp-add", className="secondary", n_clicks=0
                            ),
                            html.Span(id="cmp-info", className="info"),
                        ],
                        style={"marginTop": ".8rem"},
                    ),
                    html.Div(id="cmp-message", className="message"),
                ],
                className="card",
            ),
            html.Div(id="cmp-panels"),
        ],
        id="compare-page",
    )  # fmt: skip


def compare_panels(
    groups: dict[str, list[dict[str, Any]]], layout: Layout, variables: list[str]
) -> list[Any]:
    out: list[Any] = []
    for i, p in enumerate(layout.compare.panels):
        gid = {"type": "cmp-graph", "kind": p.kind, "index": i}
        if p.kind == "bands":
            for v in p.variables or variables:
                fig = F.compare_bands_figure(groups, v, title=p.title or v)
                vid = {**gid, "variable": v}
                out.append(html.Div(graph(fig, vid, p.height), className="card panel"))
            continue
        if p.kind == "outcome_frequency":
            fig = F.outcome_frequency_figure(groups, title=p.title or "Outcome frequencies")
        elif p.kind == "outcome_distribution":
            fig = F.outcome_distribution_figure(groups, title=p.title or "Numeric outcomes")
        else:
            fig = F.first_crossed_figure(groups, title=p.title or "Red lines first crossed")
        out.append(html.Div(graph(fig, gid, p.height), className="card panel"))
    return out


def compact(result: Any) -> dict[str, Any]:
    """The parts of a run result the Compare figures read (states, outcomes, first crossings),
    in the result-dict format but without the per-action rationales, which are slow to build."""
    states = result.states
    columns = list(states.columns)
    return {
        "turn_length": result.compiled.spec.meta.turn_length,
        "turns": [
            {"turn": t, "state": dict(zip(columns, row, strict=True))}
            for t, row in enumerate(states.to_numpy().tolist())
        ],
        "outcomes": result.outcomes,
        "summary": {"first_crossed": result.first_crossed()},
    }


def setting_of(component_id: Any) -> int:
    """The setting number in a Compare input's id; InputError unless it is one the page can
    have (the Add button's limit, enforced here for forged requests too)."""
    s = component_id.get("setting") if isinstance(component_id, dict) else None
    if not isinstance(s, int) or isinstance(s, bool) or not 0 <= s < MAX_SETTINGS:
        raise InputError(f"malformed settings (at most {MAX_SETTINGS})")
    return s


def read_settings(
    ids: Any, values: Any, label_ids: Any, labels: Any
) -> tuple[dict[int, str], dict[int, tuple[list[Any], list[Any]]]]:
    """Each setting's label, and its parameter ids and values, from the page's inputs."""
    if not all(isinstance(x, list) for x in (ids, values, label_ids, labels)):
        raise InputError("malformed settings")
    if len(label_ids) != len(labels) or len(ids) != len(values):
        raise InputError("malformed settings")
    settings: dict[int, tuple[list[Any], list[Any]]] = {}
    for pid, v in zip(ids, values, strict=True):
        s = setting_of(pid)
        settings.setdefault(s, ([], []))[0].append(pid)
        settings[s][1].append(v)
    names: dict[int, str] = {}
    for lid, text in zip(label_ids, labels, strict=True):
        s = setting_of(lid)
        name = str(text).strip()[:40] if isinstance(text, str | int | float) else ""
        names[s] = name or f"setting {s + 1}"
    if len(set(names.values())) != len(names):
        raise InputError("give each setting a different label")
    if len(names) < 2:
        raise InputError("compare needs at least two settings")
    return names, settings


def check_work(n_settings: int, n_seeds: int, turns: int) -> None:
    """InputError when a request would simulate more than MAX_WORK turns."""
    work = n_settings * n_seeds * turns
    if work > MAX_WORK:
        raise InputError(
            f"too much for one Compare: {n_settings} settings × {n_seeds} seeds × {turns} "
            f"turns = {work:,} simulated turns, at most {MAX_WORK:,}; use fewer seeds or "
            "turns, or `summitsim sweep` for a larger study"
        )


def callbacks(app: Any, ctx: DashContext) -> None:
    from ..api import run

    @app.callback(
        Output("cmp-settings", "children"),
        Output("cmp-message", "children", allow_duplicate=True),
        Input("cmp-add", "n_clicks"),
        State("scenario", "value"),
        State({"type": "cmp-label", "setting": ALL}, "id"),
        prevent_initial_call=True,
    )
    @safe_callback(2, 1)
    def add_setting(n_clicks: Any, key: Any, label_ids: Any) -> tuple[Any, Any]:
        req = ctx.request(key)
        n = len(label_ids) if isinstance(label_ids, list) else 0
        if n >= MAX_SETTINGS:
            raise InputError(f"at most {MAX_SETTINGS} settings")
        patch = Patch()
        patch.append(setting_card(req.scenario.spec, n))
        return patch, None

    @app.callback(
        Output("cmp-panels", "children"),
        Output("cmp-message", "children"),
        Output("cmp-info", "children"),
        Input("compare-button", "n_clicks"),
        State("scenario", "value"),
        State({"type": "cmp-param", "setting": ALL, "name": ALL}, "id"),
        State({"type": "cmp-param", "setting": ALL, "name": ALL}, "value"),
        State({"type": "cmp-label", "setting": ALL}, "id"),
        State({"type": "cmp-label", "setting": ALL}, "value"),
        State("cmp-seeds", "value"),
        State("cmp-turns", "value"),
        prevent_initial_call=True,
    )
    @safe_callback(3, 1)
    def do_compare(
        n_clicks: Any,
        key: Any,
        ids: Any,
        values: Any,
        label_ids: Any,
        labels: Any,
        seeds: Any,
        turns: Any,
    ) -> tuple[Any, Any, Any]:
        t0 = time.perf_counter()
        req = ctx.request(key)
        cmp = req.layout.compare
        n_seeds = as_int(seeds, "seeds per setting", 1, cmp.max_seeds)
        turns_i = as_int(turns, "turns", 1, MAX_TURNS)
        names, settings = read_settings(ids, values, label_ids, labels)
        order = sorted(names)
        check_work(len(order), n_seeds, turns_i)
        parsed = {}
        for s in order:
            pids, vals = settings.get(s, ([], []))
            try:
                parsed[s] = parse_params(req.scenario, pids, vals)
            except (InputError, ValueError) as exc:
                raise InputError(f"{names[s]}: {exc}") from None
        groups: dict[str, list[dict[str, Any]]] = {}
        for s in order:
            groups[names[s]] = [
                compact(run(req.scenario, seed=seed, params=parsed[s], turns=turns_i))
                for seed in range(n_seeds)
            ]
        variables = list(req.scenario.spec.variables)
        panels = compare_panels(groups, req.layout, variables)
        info = (
            f"Compared {len(order)} settings × {n_seeds} seeds, {turns_i} turns "
            f"({time.perf_counter() - t0:.2f} s on the server)"
        )
        return panels, None, info


register_page(Page(key="compare", name="Compare", layout=layout, callbacks=callbacks, order=30))
