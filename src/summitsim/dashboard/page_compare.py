"""The Compare page: two or more parameter settings, each run over N seeds, side by side.

Besides each setting's frequencies, bands and red-line curves it shows the difference of
every setting from the first with 95% intervals, lets a setting be removed, and offers the
runs as a CSV file.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import secrets
import string
import threading
import time
from collections import OrderedDict
from typing import Any

from dash import ALL, Input, Output, Patch, State, callback_context, dcc, html, no_update
from dash.exceptions import PreventUpdate

from ..viz import figures as F
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
from .layout import Layout
from .pages import Page, register_page
from .widgets import busy, graph, int_control, mark_invalid_js, param_controls, table

MAX_SETTINGS = 6
MAX_WORK = 12_000  # simulated turns per Compare request: settings × seeds × turns (~4 s)
MAX_KEPT = 8  # recent comparisons kept for their CSV
TASKS_PER_WORKER = 8  # Compare's runs are split into about this many tasks per worker
MAX_PLAYED = 24  # recent settings whose runs are kept, so a Compare plays only what is new
MAX_PLAYED_RUNS = 2000  # ... and at most this many runs in all (about 32 KB each)
_KEPT: OrderedDict[str, str] = OrderedDict()
_PLAYED: OrderedDict[tuple[str, str, int], list[dict[str, Any]]] = OrderedDict()
_LOCK = threading.Lock()
_POOL: Any = None  # worker processes for Compare's runs (see start_pool)


# ----- playing the runs: in worker processes when there are cores for them ----------------------
def _watch_parent(parent: int) -> None:
    """A Compare worker leaves Ctrl-C to the dashboard, and exits when the dashboard is gone
    (however it ended), so no worker outlives it."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def start_pool(workers: int | None = None) -> int:
    """Start worker processes for Compare, one per core (``SUMMITSIM_DASHBOARD_WORKERS``
    overrides; 1 plays every run in the server process). They are forked from this process,
    which must not yet run other threads (the dashboard calls this before it serves), after
    the engine is imported; runs are deterministic, so where a run is played changes
    nothing. Returns the number of workers (0: none started)."""
    global _POOL
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from ..sweep.executors import default_workers

    if _POOL is not None:
        return int(_POOL._max_workers)
    env = os.environ.get("SUMMITSIM_DASHBOARD_WORKERS", "")
    n = workers or (int(env) if env.isdigit() else default_workers())
    if n < 2 or threading.active_count() > 1 or "fork" not in mp.get_all_start_methods():
        return 0
    import summitsim.api  # noqa: F401  (imported once, before forking)

    _POOL = ProcessPoolExecutor(
        max_workers=n,
        mp_context=mp.get_context("fork"),
        initializer=_watch_parent,
        initargs=(os.getpid(),),
    )
    for f in [_POOL.submit(os.getpid) for _ in range(n)]:
        f.result()
    import atexit

    atexit.register(stop_pool)
    return n


def stop_pool() -> None:
    """Stop Compare's worker processes (at exit, before Python tears its modules down)."""
    global _POOL
    pool, _POOL = _POOL, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def play(loaded: Any, params: dict[str, Any], seeds: list[int], turns: int) -> list[Any]:
    """The compact results of one setting over ``seeds`` (in a worker process)."""
    from ..api import run

    return [
        compact(run(loaded, seed=seed, params=params, turns=turns, rationales=False))
        for seed in seeds
    ]


def _played_key(loaded: Any, params: dict[str, Any], turns: int) -> tuple[str, str, int]:
    return loaded.sha256, json.dumps(params, sort_keys=True, default=str), turns


def play_settings(
    loaded: Any,
    settings: list[tuple[str, dict[str, Any]]],
    n_seeds: int,
    turns: int,
    counts: dict[str, int] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Every setting over seeds 0..n_seeds-1. Runs are deterministic, so the runs of the
    settings compared lately are kept (``MAX_PLAYED`` settings, ``MAX_PLAYED_RUNS`` runs in
    all, the oldest dropped first) and only the seeds not yet played are run: adding a
    setting, or asking for more seeds, plays only what is new (``counts``, if given, gets
    how many runs were played and how many were kept)."""
    keys = [_played_key(loaded, params, turns) for _, params in settings]
    with _LOCK:
        have = [list(_PLAYED.get(k, ())) for k in keys]
    todo = [
        (i, params, list(range(len(have[i]), n_seeds)))
        for i, (_, params) in enumerate(settings)
        if len(have[i]) < n_seeds
    ]
    for i, runs in _play_seeds(loaded, todo, turns).items():
        have[i].extend(runs)
    if counts is not None:
        counts["played"] = sum(len(seeds) for _, _, seeds in todo)
        counts["kept"] = len(settings) * n_seeds - counts["played"]
    with _LOCK:
        for k, runs in zip(keys, have, strict=True):
            if len(runs) >= len(_PLAYED.get(k, ())):
                _PLAYED[k] = runs
            _PLAYED.move_to_end(k)
        kept = sum(len(v) for v in _PLAYED.values())
        while _PLAYED and (len(_PLAYED) > MAX_PLAYED or kept > MAX_PLAYED_RUNS):
            kept -= len(_PLAYED.popitem(last=False)[1])
    return {name: runs[:n_seeds] for (name, _), runs in zip(settings, have, strict=True)}


def _play_seeds(
    loaded: Any, todo: list[tuple[int, dict[str, Any], list[int]]], turns: int
) -> dict[int, list[dict[str, Any]]]:
    """The runs of each (setting, params, seeds) in ``todo``, by setting: split between the
    workers when there are any."""
    global _POOL
    pool = _POOL
    if pool is not None and todo:
        from concurrent.futures.process import BrokenProcessPool

        # a few tasks per worker, so that one slow run (a hard turn to solve) does not leave
        # the other workers idle while it finishes a long share
        total = sum(len(seeds) for _, _, seeds in todo)
        per = max(1, math.ceil(total / (TASKS_PER_WORKER * pool._max_workers)))
        try:
            futures = [
                (i, pool.submit(play, loaded, params, seeds[k : k + per], turns))
                for i, params, seeds in todo
                for k in range(0, len(seeds), per)
            ]
            out: dict[int, list[dict[str, Any]]] = {i: [] for i, _, _ in todo}
            for i, f in futures:
                out[i].extend(f.result())
            return out
        except BrokenProcessPool:  # a worker died: play here from now on
            _POOL = None
    return {i: play(loaded, params, seeds, turns) for i, params, seeds in todo}


def setting_card(spec: Any, i: int, labels: Labels | None = None) -> html.Div:
    label = f"setting {string.ascii_uppercase[i]}"
    return html.Div(
        [
            html.Button(
                "✕ remove", id={"type": "cmp-remove", "setting": i}, className="remove",
                title="Remove this setting", n_clicks=0,
            ),
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
            *param_controls(spec, "cmp-param", {"setting": i}, labels=labels),
        ],
        className="card setting",
        id=f"cmp-setting-{i}",
    )  # fmt: skip


def layout(ctx: DashContext, req: PageRequest) -> Any:
    spec = req.scenario.spec
    labels = Labels.from_spec(spec)
    cmp = req.layout.compare
    return html.Div(
        [
            html.Div(
                [
                    html.H2(f"Compare settings: {req.layout.title or spec.meta.title}"),
                    html.P(
                        "Each setting is run with the same seeds 0…N−1, so the settings differ "
                        "only in their parameters. The first setting is the baseline the "
                        "others are measured against.",
                        className="info",
                    ),
                    html.Div(
                        [setting_card(spec, i, labels) for i in range(cmp.settings)],
                        id="cmp-settings",
                        className="settings",
                    ),
                    html.Div(
                        [
                            int_control(
                                "cmp-seeds", "seeds per setting", cmp.seeds,
                                f"1 to {cmp.max_seeds}", 1, cmp.max_seeds,
                            ),
                            int_control(
                                "cmp-turns", "turns", spec.meta.turns, f"1 to {MAX_TURNS}",
                                1, MAX_TURNS,
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
                            html.Button(
                                "Download the runs (CSV)", id="cmp-csv", className="secondary",
                                n_clicks=0, disabled=True,
                            ),
                            busy("cmp-busy", "Comparing… (a few seconds for 50 seeds)"),
                            html.Span(id="cmp-info", className="info"),
                        ],
                        className="actions-row",
                    ),
                    html.Div(id="cmp-message", className="message"),
                    dcc.Download(id="cmp-download"),
                    dcc.Store(id="cmp-token"),
                    dcc.Store(id="cmp-invalid"),
                    dcc.Store(id="cmp-invalid-mark"),
                ],
                className="card",
            ),
            html.Div(id="cmp-panels"),
        ],
        id="compare-page",
    )  # fmt: skip


def difference_table(groups: dict[str, list[dict[str, Any]]], labels: Labels) -> Any:
    rows = [r for r in F.difference_rows(groups, labels=labels) if r["kind"] == "number"]
    if not rows:
        return None
    return table(
        ["outcome", "setting", "mean", "baseline mean", "difference", "95% interval"],
        [
            [
                r["name"] + (f" ({r['unit']})" if r["unit"] else ""),
                r["setting"],
                f"{r['b']:.3g}",
                f"{r['a']:.3g}",
                f"{r['difference']:+.3g}",
                f"{r['low']:+.3g} to {r['high']:+.3g}",
            ]
            for r in rows
        ],
    )


def compare_panels(
    groups: dict[str, list[dict[str, Any]]],
    layout: Layout,
    variables: list[str],
    labels: Labels | None = None,
) -> list[Any]:
    out: list[Any] = []
    for i, p in enumerate(layout.compare.panels):
        gid = {"type": "cmp-graph", "kind": p.kind, "index": i}
        if p.kind == "bands":
            for v in p.variables or variables:
                spec = F.compare_bands_spec(groups, v, title=p.title, labels=labels)
                vid = {**gid, "variable": v}
                out.append(html.Div(graph(spec, vid, p.height), className="card panel"))
            continue
        if p.kind == "outcome_frequency":
            fig = F.outcome_frequency_figure(
                groups, title=p.title or "Outcome frequencies", labels=labels
            )
        elif p.kind == "difference":
            if len(groups) < 2:
                continue
            fig = F.difference_figure(groups, title=p.title, labels=labels)
            numbers = difference_table(groups, labels or Labels())
            note = html.P(
                "A dot is how many percentage points more (right) or fewer (left) runs of a "
                "setting had the outcome than the baseline; the bar is its 95% interval. A "
                "bar that crosses the zero line means the seeds run cannot tell the settings "
                "apart on that outcome.",
                className="hint",
            )
            out.append(
                html.Div(
                    [graph(fig, gid, p.height), note, numbers],
                    className="card panel",
                    id="cmp-difference",
                )
            )
            continue
        elif p.kind == "outcome_distribution":
            fig = F.outcome_distribution_figure(
                groups, title=p.title or "Numeric outcomes", labels=labels
            )
        else:
            fig = F.first_crossed_figure(
                groups, title=p.title or "Red lines first crossed", labels=labels
            )
        out.append(html.Div(graph(fig, gid, p.height), className="card panel"))
    return out


def compact(result: Any) -> dict[str, Any]:
    """The parts of a run result the Compare figures read (states, outcomes, first crossings),
    in the result-dict format but without the per-action rationales, which are slow to build."""
    states = result.states
    columns = list(states.columns)
    return {
        "turn_length": result.compiled.spec.meta.turn_length,
        "actors": {a: x.name for a, x in result.compiled.spec.actors.items()},
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


def runs_csv(
    groups: dict[str, list[dict[str, Any]]],
    params: dict[str, dict[str, Any]],
    labels: Labels,
) -> str:
    """One row per run: the setting, its seed, its parameters, the outcomes and the turn each
    red line was first crossed; columns named as the page names them."""
    first = next((r for rs in groups.values() for r in rs), None)
    outcomes = list((first or {}).get("outcomes", {}))
    red_lines = list(((first or {}).get("summary") or {}).get("first_crossed") or {})
    param_names = list(next(iter(params.values()), {}))
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        [
            "setting",
            "seed",
            *(labels.with_unit("parameter", p) for p in param_names),
            *(labels.with_unit("outcome", o) for o in outcomes),
            *(f"first crossed: {labels.name('red_line', r)}" for r in red_lines),
        ]
    )
    for label, results in groups.items():
        for seed, r in enumerate(results):
            fc = (r.get("summary") or {}).get("first_crossed") or {}
            w.writerow(
                [
                    label,
                    seed,
                    *(params[label].get(p) for p in param_names),
                    *(r["outcomes"].get(o) for o in outcomes),
                    *("" if fc.get(x) is None else fc[x] for x in red_lines),
                ]
            )
    return out.getvalue()


def callbacks(app: Any, ctx: DashContext) -> None:
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
        used = {setting_of(i) for i in label_ids} if isinstance(label_ids, list) else set()
        free = [s for s in range(MAX_SETTINGS) if s not in used]
        if not free:
            raise InputError(f"at most {MAX_SETTINGS} settings")
        patch = Patch()
        patch.append(setting_card(req.scenario.spec, free[0], Labels.from_spec(req.scenario.spec)))
        return patch, None

    @app.callback(
        Output("cmp-settings", "children", allow_duplicate=True),
        Output("cmp-message", "children", allow_duplicate=True),
        Input({"type": "cmp-remove", "setting": ALL}, "n_clicks"),
        State({"type": "cmp-label", "setting": ALL}, "id"),
        prevent_initial_call=True,
    )
    @safe_callback(2, 1)
    def remove_setting(clicks: Any, label_ids: Any) -> tuple[Any, Any]:
        trig = callback_context.triggered_id
        fired = callback_context.triggered[0].get("value") if callback_context.triggered else 0
        if not isinstance(trig, dict) or not fired:
            raise PreventUpdate  # a card was added, not a button pressed
        s = setting_of(trig)
        order = [setting_of(i) for i in label_ids] if isinstance(label_ids, list) else []
        if s not in order:
            raise PreventUpdate
        if len(order) <= 2:
            raise InputError("compare needs at least two settings")
        patch = Patch()
        del patch[order.index(s)]
        return patch, None

    @app.callback(
        Output("cmp-panels", "children"),
        Output("cmp-message", "children"),
        Output("cmp-info", "children"),
        Output("cmp-token", "data"),
        Output("cmp-csv", "disabled"),
        Output("cmp-invalid", "data"),
        Input("compare-button", "n_clicks"),
        State("scenario", "value"),
        State({"type": "cmp-param", "setting": ALL, "name": ALL}, "id"),
        State({"type": "cmp-param", "setting": ALL, "name": ALL}, "value"),
        State({"type": "cmp-label", "setting": ALL}, "id"),
        State({"type": "cmp-label", "setting": ALL}, "value"),
        State("cmp-seeds", "value"),
        State("cmp-turns", "value"),
        prevent_initial_call=True,
        running=[
            (Output("compare-button", "disabled"), True, False),
            (Output("cmp-add", "disabled"), True, False),
            (Output("cmp-busy", "className"), "busy on", "busy"),
        ],
    )
    @safe_callback(6, 1)
    def do_compare(
        n_clicks: Any,
        key: Any,
        ids: Any,
        values: Any,
        label_ids: Any,
        labels: Any,
        seeds: Any,
        turns: Any,
    ) -> tuple[Any, ...]:
        t0 = time.perf_counter()
        req = ctx.request(key)
        cmp = req.layout.compare
        n_seeds = as_int(seeds, "seeds per setting", 1, cmp.max_seeds)
        turns_i = as_int(turns, "turns", 1, MAX_TURNS)
        names, settings = read_settings(ids, values, label_ids, labels)
        order = sorted(names, key=lambda s: [setting_of(i) for i in label_ids].index(s))
        check_work(len(order), n_seeds, turns_i)
        parsed = {}
        for s in order:
            pids, vals = settings.get(s, ([], []))
            try:
                parsed[s] = parse_params(req.scenario, pids, vals)
            except InputError as exc:
                field = f"{s}|{exc.field}" if exc.field else None
                message = error_box(f"{names[s]}: {exc}")
                return no_update, message, no_update, no_update, no_update, field
        counts: dict[str, int] = {}
        groups = play_settings(
            req.scenario, [(names[s], parsed[s]) for s in order], n_seeds, turns_i, counts
        )
        spec = req.scenario.spec
        names_of = Labels.from_spec(spec)
        variables = list(spec.variables)
        panels = compare_panels(groups, req.layout, variables, names_of)
        token = secrets.token_hex(8)
        text = runs_csv(groups, {names[s]: parsed[s] for s in order}, names_of)
        with _LOCK:
            _KEPT[token] = text
            while len(_KEPT) > MAX_KEPT:
                _KEPT.popitem(last=False)
        info = (
            f"Compared {len(order)} settings × {n_seeds} seeds, {turns_i} turns "
            f"({time.perf_counter() - t0:.2f} s on the server; {counts['played']} runs played"
            + (f", {counts['kept']} already played" if counts["kept"] else "")
            + ")"
        )
        return panels, None, info, token, False, None

    app.clientside_callback(
        mark_invalid_js("#compare-page"),
        Output("cmp-invalid-mark", "data"),
        Input("cmp-invalid", "data"),
    )

    @app.callback(
        Output("cmp-download", "data"),
        Output("cmp-message", "children", allow_duplicate=True),
        Input("cmp-csv", "n_clicks"),
        State("cmp-token", "data"),
        prevent_initial_call=True,
    )
    @safe_callback(2, 1)
    def download(n_clicks: Any, token: Any) -> tuple[Any, Any]:
        if not n_clicks:
            raise PreventUpdate
        with _LOCK:
            text = _KEPT.get(token) if isinstance(token, str) else None
        if text is None:
            raise InputError("press Compare again: that comparison is no longer kept")
        return {"content": text, "filename": "summitsim-compare.csv", "type": "text/csv"}, None


register_page(Page(key="compare", name="Compare", layout=layout, callbacks=callbacks, order=30))
