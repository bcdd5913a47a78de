"""The Backtest page: the chosen scenario's runs scored against its record of what happened.

The record is the scenario's bundled one (``records/<scenario-id>.yaml``) or a record file
whose path is typed into the page (the dashboard runs on your machine and reads it there;
only a file that validates against the scenario is used). The runs are played in the server
process, within a work budget, and the result is kept for the session of the server.
Figures and tables are those of ``summitsim backtest --report`` (:mod:`summitsim.backtest`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from html import escape
from pathlib import Path
from typing import Any

from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from .app import InputError, as_int, safe_callback
from .pages import Page, register_page

DEFAULT_SEEDS = 100
MAX_SEEDS = 500
MAX_WORK = 12_000  # ensembles x seeds x turns played per click (Compare's budget)
_CACHE: OrderedDict[tuple[str, str, int], dict[str, Any]] = OrderedDict()
_LOCK = threading.Lock()


def layout(ctx: Any, req: Any) -> Any:
    from ..backtest.record import bundled_records

    sid = req.scenario.id
    has = sid in bundled_records()
    note = (
        f"The bundled record of {sid} is used unless you give a record file."
        if has
        else f"No record ships for {sid}: give the path of a record file (docs/backtest.md)."
    )
    return html.Div(
        [
            html.H2("Backtest"),
            html.P(
                "How well do this scenario's runs forecast what actually happened? Each entry "
                "of the record is scored against the share of runs in which it holds, for the "
                "scenario, for every actor choosing at random and for every actor holding.",
                className="info",
            ),
            html.P(note, className="hint"),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("record file (optional)", htmlFor="backtest-record"),
                            dcc.Input(
                                id="backtest-record",
                                type="text",
                                placeholder=("bundled record" if has else "path/to/record.yaml"),
                                style={"width": "26em"},
                            ),
                        ],
                        className="control",
                    ),
                    html.Div(
                        [
                            html.Label("runs per ensemble", htmlFor="backtest-seeds"),
                            dcc.Input(
                                id="backtest-seeds", type="number", value=DEFAULT_SEEDS, step=1
                            ),
                            html.Span(f"10 to {MAX_SEEDS}", className="hint"),
                        ],
                        className="control",
                    ),
                    html.Button("Run backtest", id="backtest-run", n_clicks=0),
                ],
                className="controls",
            ),
            dcc.Loading(html.Div(id="backtest-message", className="message")),
            html.Div(id="backtest-results"),
        ]
    )


def compute(ctx: Any, key: Any, record: Any, seeds: int) -> dict[str, Any]:
    """The backtest of scenario ``key`` (bundled, or the file given on the command line)."""
    from ..backtest.core import run_backtest
    from ..backtest.play import SerialExecutor
    from ..backtest.record import load_record
    from ..engine.registry import bundled

    loaded = ctx.scenario(key)
    if key in bundled():
        ref = key
    elif isinstance(key, str) and key.startswith("file:"):
        ref = loaded.source
    else:
        raise InputError("backtests run on bundled scenarios and the file given on the "
                         "command line, not on uploaded ones")  # fmt: skip
    path = None
    if isinstance(record, str) and record.strip():
        if len(record) > 4096:
            raise InputError("the record path is too long")
        path = Path(record.strip()).expanduser()
    rec = load_record(path, loaded)
    work = 3 * seeds * loaded.spec.meta.turns
    if work > MAX_WORK:
        raise InputError(f"too much work for one click ({work:,} turns; at most {MAX_WORK:,}): "
                         "use fewer runs, or `summitsim backtest` on the command line")  # fmt: skip
    cache_key = (loaded.sha256, rec.sha256, seeds)
    with _LOCK:
        hit = _CACHE.get(cache_key)
    if hit is not None:
        return hit
    data = run_backtest(ref, seeds=seeds, executor=SerialExecutor(), loaded_record=rec).to_dict()
    with _LOCK:
        _CACHE[cache_key] = data
        while len(_CACHE) > 16:
            _CACHE.popitem(last=False)
    return data


def results(data: dict[str, Any]) -> list[Any]:
    from ..backtest import report as R
    from ..cli.backtest import verdict

    def tbl(headers: list[str], rows: list[list[Any]]) -> Any:
        return html.Table(
            [html.Thead(html.Tr([html.Th(h) for h in headers])),
             html.Tbody([html.Tr([html.Td(str(c)) for c in r]) for r in rows])],
            className="log",
        )  # fmt: skip

    scores = [[R.NAMES.get(e, e), R._num(s["brier"]), R._num(s["log"])]
              for e, s in data["scores"].items()]  # fmt: skip
    skill = []
    for ref, v in (data.get("skill") or {}).items():
        skill.append([R.NAMES.get(ref, ref),
                      f"{R._num(v['brier']['value'], sign=True)} [{R._num(v['brier']['ci95'][0], 2, True)}, {R._num(v['brier']['ci95'][1], 2, True)}]",  # noqa: E501
                      f"{R._num(v['log']['value'], sign=True)} [{R._num(v['log']['ci95'][0], 2, True)}, {R._num(v['log']['ci95'][1], 2, True)}]",  # noqa: E501
                      verdict(v)])  # fmt: skip
    figs = [("backtest-entries", R.entries_figure(data)),
            ("backtest-reliability", R.reliability_figure(data)),
            ("backtest-brier", R.brier_figure(data))]  # fmt: skip
    entries = [
        [e["date"], e["summary"], e["describe"],
         f"{'yes' if e['observed'] else 'no'} ({e['confidence']:.2f})",
         f"{e['scenario']['share']:.2f} [{e['scenario']['ci95'][0]:.2f}, "
         f"{e['scenario']['ci95'][1]:.2f}]",
         f"{e['random']['share']:.2f}", f"{e['hold']['share']:.2f}"]
        for e in data["entries"]
    ]  # fmt: skip
    out: list[Any] = [
        html.H3(
            f"Scores ({data['n_entries']} entries, {data['seeds']:,} runs per ensemble; "
            "lower is better)"
        ),
        tbl(["ensemble", "Brier", "log score"], scores),
        html.H3("Skill of the scenario (1 − S/S_baseline; above 0 beats the baseline)"),
        tbl(["baseline", "Brier skill [95%]", "log skill [95%]", "verdict"], skill),
    ]
    for i, fig in figs:
        if fig is not None:
            out.append(html.Div(dcc.Graph(id=i, figure=fig, config={"displaylogo": False}),
                                className="panel"))  # fmt: skip
    if data.get("reliability") is None:
        out.append(html.P(f"No reliability diagram: {data['n_entries']} entries (it needs at "
                          "least 10).", className="hint"))  # fmt: skip
    out += [
        html.H3("Entries"),
        tbl(
            ["date", "what happened", "check", "record", "scenario [95%]", "random", "hold"],
            entries,
        ),
    ]
    return out


def callbacks(app: Any, ctx: Any) -> None:
    @app.callback(
        Output("backtest-results", "children"),
        Output("backtest-message", "children"),
        Input("backtest-run", "n_clicks"),
        State("scenario", "value"),
        State("backtest-record", "value"),
        State("backtest-seeds", "value"),
        prevent_initial_call=True,
    )
    @safe_callback(2, 1)
    def run(n: Any, key: Any, record: Any, seeds: Any) -> Any:
        if not n:
            raise PreventUpdate
        k = as_int(seeds, "runs per ensemble", 10, MAX_SEEDS)
        data = compute(ctx, key, record, k)
        msg = html.Div(
            f"Backtest of {escape(data['scenario']['id'])} against "
            f"{escape(data['record']['source'])}: {data['seconds']:.1f} s",
            className="ok",
        )
        return results(data), msg


register_page(Page(key="backtest", name="Backtest", layout=layout, callbacks=callbacks, order=50))
