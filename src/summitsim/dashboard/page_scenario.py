"""The Scenario page: actors with interests and red lines, moves, parameters, variables,
events and sources, written for a student to read; and opening a scenario file."""

from __future__ import annotations

import base64
from pathlib import PurePath
from typing import Any

from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from ..scenario.schema import Scenario
from ..viz import sentences as S
from ..viz.labels import Labels, escalation_level
from .app import DashContext, InputError, PageRequest, safe_callback
from .pages import Page, register_page
from .widgets import table

MAX_UPLOAD_BYTES = 1_000_000


def escalation_badge(score: float) -> html.Span:
    """A move's escalation score, coloured by its level (calming green to severe dark red)."""
    name, colour = escalation_level(score)
    return html.Span(
        f"escalation {score:g} · {name}",
        className=f"badge {name}",
        style={"background": colour},
        title="calming below 0, neutral 0, low up to 4, medium up to 12, high up to 28, "
        "severe above",
    )


def scenario_view(spec: Scenario) -> html.Div:
    labels = Labels.from_spec(spec)
    m = spec.meta
    blocks: list[Any] = [
        html.Div(
            [
                html.H2(m.title),
                html.P(m.summary),
                html.P(
                    f"{m.turns} turns of a {m.turn_length}, from {m.start_date}. "
                    f"Layout: {m.dashboard or 'default'}. Conditions and weights below are "
                    "worked out with the default parameter values.",
                    className="info",
                ),
            ],
            className="card",
            id="scenario-summary",
        )
    ]
    actors = []
    for aid, a in spec.actors.items():
        red = [
            html.Li(
                [
                    html.B(labels.name("red_line", rid)),
                    f": {' '.join(rl.description.split())}. ",
                    html.Br(),
                    f"Crossed when {S.condition(rl.trigger, spec, labels)}",
                    (
                        f"; approached when {S.condition(rl.warning, spec, labels)}"
                        if rl.warning is not None
                        else ""
                    ),
                    f". Then: {rl.response.description} "
                    f"(credibility {S.credibility(rl.credibility, spec, labels)}).",
                    html.Span("private", className="tag private") if not rl.public else "",
                ]
            )
            for rid, rl in spec.red_lines.items()
            if rl.owner == aid
        ]
        moves = [
            html.Li([html.B(mv.name), f": {mv.description}", escalation_badge(mv.escalation)])
            for mv in spec.moves.values()
            if aid in mv.actors
        ]
        actors.append(
            html.Div(
                [
                    html.H3([a.name, html.Span(f"{a.policy} policy", className="tag")]),
                    html.P(a.description),
                    html.P(a.briefing.public, className="info"),
                    html.H4("Interests"),
                    html.Ul(
                        [
                            html.Li(
                                [
                                    S.interest(it, spec, labels),
                                    html.Span("private", className="tag private")
                                    if it.private
                                    else "",
                                ]
                            )
                            for it in a.interests
                        ]
                    ),
                    html.H4("Red lines"),
                    html.Ul(red) if red else html.P("None declared.", className="info"),
                    html.H4("Moves"),
                    html.Ul(moves) if moves else html.P("None.", className="info"),
                ],
                className="card actor",
                id=f"actor-{aid}",
            )
        )
    blocks.append(html.H2("Actors"))
    blocks.append(html.Div(actors, className="grid2"))
    blocks.append(html.H2("Parameters (what-if knobs)"))
    blocks.append(
        table(
            ["parameter", "what it means", "default", "range or choices"],
            [
                [
                    labels.with_unit("parameter", k),
                    p.description,
                    p.default,
                    f"{p.range[0]:g} to {p.range[1]:g}"
                    if p.range
                    else ", ".join(map(str, p.choices or [True, False])),
                ]
                for k, p in spec.parameters.items()
            ],
        )
    )
    blocks.append(html.H2("Variables (the state of the world)"))
    blocks.append(
        table(
            ["variable", "description", "start", "bounds", "unit"],
            [
                [
                    labels.name("variable", k),
                    v.description,
                    v.initial,
                    f"{v.bounds[0]:g} to {v.bounds[1]:g}",
                    v.unit,
                ]
                for k, v in spec.variables.items()
            ],
        )
    )
    if spec.relations:
        blocks.append(html.H2("Relations"))
        blocks.append(
            table(
                ["relation", "start", "description"],
                [
                    [
                        labels.name("relation", f"rel:{r.between[0]}:{r.between[1]}"),
                        r.initial,
                        r.description,
                    ]
                    for r in spec.relations
                ],
            )
        )
    blocks.append(html.H2("Moves"))
    blocks.append(
        table(
            ["move", "who", "description", "escalation", "needs consent of", "only when"],
            [
                [
                    mv.name,
                    ", ".join(labels.actor(x) for x in mv.actors),
                    mv.description,
                    escalation_badge(mv.escalation),
                    labels.actor(mv.consent) if mv.consent else "",
                    ""
                    if mv.when is True or mv.when == "True"
                    else S.condition(mv.when, spec, labels),
                ]
                for mv in spec.moves.values()
            ],
        )
    )
    if spec.deals:
        blocks.append(html.H2("Deals (negotiated at the start of a turn)"))
        blocks.extend(deal_block(spec, did, labels) for did in spec.deals)
    if spec.injects:
        blocks.append(html.H2("Events (injects)"))
        blocks.append(
            table(
                ["event", "when", "description"],
                [
                    [
                        inj.name,
                        f"turn {inj.at_turn}"
                        if inj.at_turn
                        else S.condition(inj.when, spec, labels),
                        inj.description,
                    ]
                    for inj in spec.injects.values()
                ],
            )
        )
    blocks.append(html.H2("Outcomes"))
    blocks.append(
        table(
            ["outcome", "description"],
            [[labels.with_unit("outcome", k), o.description] for k, o in spec.outcomes.items()],
        )
    )
    blocks.append(html.H2("Sources"))
    blocks.append(
        html.Ul(
            [
                html.Li(
                    [
                        html.B(s.title),
                        f" — {s.publisher or ''} {s.date or ''}".rstrip(),
                        html.P(s.notes, className="info") if s.notes else "",
                    ]
                )
                for s in m.sources
            ]
        )
    )
    return html.Div(blocks)


def deal_block(spec: Scenario, did: str, labels: Any) -> html.Div:
    """One deal: who negotiates and when, and each issue's levels with their commitments."""
    d = spec.deals[did]
    when = f"turn {d.at_turn}" if d.at_turn else S.condition(d.when, spec, labels)
    parties = ", ".join(labels.actor(p) for p in d.parties)
    rows = []
    for issue in d.issues.values():
        if issue.options is not None:
            levels = "; ".join(o.name for o in issue.options)
            commits = [ob.description for o in issue.options for ob in o.obligations]
        else:
            lo, hi = issue.range or (0.0, 0.0)
            levels = f"{lo:g} to {hi:g} {issue.unit}".strip() + f" ({issue.steps} levels)"
            commits = [ob.description for ob in issue.obligations]
        rows.append([issue.name, levels, "; ".join(commits)])
    return html.Div(
        [
            html.H3(d.name),
            html.P(
                f"{d.description} Parties: {parties} ({labels.actor(d.parties[0])} opens); "
                f"negotiated {when}; at most {d.rounds} offers.",
                className="info",
            ),
            table(["issue", "levels", "commitments it can create"], rows),
        ]
    )


def layout(ctx: DashContext, req: PageRequest) -> Any:
    return html.Div(
        [
            html.Div(
                [
                    html.B("Open a scenario file: "),
                    dcc.Upload(
                        id="scenario-upload",
                        children=html.Button("Choose a .yaml file…", className="secondary"),
                        accept=".yaml,.yml",
                        max_size=MAX_UPLOAD_BYTES,
                        multiple=False,
                    ),
                    html.Span(" or pick a bundled scenario in the menu above.", className="info"),
                ],
                className="card",
            ),
            scenario_view(req.scenario.spec),
        ],
        id="scenario-page",
    )


def load_upload(contents: Any, filename: Any) -> tuple[str, bytes]:
    """Decode a ``dcc.Upload`` data URL; only the file's base name is kept (for messages)."""
    if not isinstance(contents, str) or "," not in contents:
        raise InputError("malformed upload")
    if len(contents) > MAX_UPLOAD_BYTES * 4 // 3 + 200:
        raise InputError(f"file is larger than {MAX_UPLOAD_BYTES} bytes")
    _, data = contents.split(",", 1)
    try:
        raw = base64.b64decode(data, validate=True)
    except ValueError:
        raise InputError("malformed upload (not base64)") from None
    name = PurePath(str(filename or "upload.yaml").replace("\\", "/")).name[:100] or "upload.yaml"
    return name, raw


def callbacks(app: Any, ctx: DashContext) -> None:
    from ..engine.compiled import compile_scenario
    from ..scenario import ScenarioError, load_text

    @app.callback(
        Output("scenario", "options"),
        Output("scenario", "value"),
        Output("flash", "children"),
        Input("scenario-upload", "contents"),
        State("scenario-upload", "filename"),
        prevent_initial_call=True,
    )
    @safe_callback(3, 2)
    def upload(contents: Any, filename: Any) -> Any:
        if contents is None:  # the upload box was just drawn
            raise PreventUpdate
        name, raw = load_upload(contents, filename)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ScenarioError([f"{name}:1:1: not UTF-8 text (byte {exc.start})"]) from None
        loaded = load_text(text, name)
        compile_scenario(loaded)
        ctx.layout(loaded)  # refuse a scenario its layout does not fit
        key = ctx.add_upload(loaded)
        return (
            ctx.options(),
            key,
            html.Div(f"Opened {name}: {loaded.spec.meta.title}", className="ok"),
        )


register_page(Page(key="scenario", name="Scenario", layout=layout, callbacks=callbacks, order=10))
