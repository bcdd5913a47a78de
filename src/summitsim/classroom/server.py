"""The classroom web app (Dash on Flask): a page for each team and one for the instructor.

Security model (see docs/classroom.md):
- identity comes only from the join code, exchanged at ``POST /login`` for a random
  session id; the id is kept in Flask's signed session cookie (HttpOnly, SameSite=Strict)
  and resolved on the server through the game file's ``sessions`` table;
- every state-changing request (any method but GET/HEAD/OPTIONS, Dash callbacks included)
  must carry the session's CSRF token (the ``X-CSRFToken`` header that Dash's renderer sends
  from the ``_csrf_token`` cookie, or a ``csrf`` form field) and, when the browser says where
  it comes from, the same origin;
- every callback re-checks who is asking and what they may do: nothing the browser sends
  (component values, ``dcc.Store`` data) is trusted for identity or rules;
- wrong codes are slowed down per client address, one attempt at a time once an address
  has failed (:mod:`.login`); codes are compared in constant time;
- sessions expire (``GameStore.session_ttl``); the server serves a bounded number of
  connections, each with a read timeout, and refuses malformed callback bodies with 400
  (:mod:`summitsim.web`).
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from ..web import MAX_CONNECTIONS, READ_TIMEOUT, BoundedServer, check_callback_bodies
from . import login as signin
from . import talks_web
from .game import MAX_TEXT, GameError, briefing, hidden_red_lines, redact
from .pages import STYLE, event_text, last_turn, move_options, presence
from .pages import briefing as briefing_view
from .pages import charts as charts_view
from .pages import history as history_view
from .pages import world as world_view
from .store import SESSION_HOURS, GameStore, Identity
from .views import (
    calendar,
    capacity_note,
    move_menu,
    move_name,
    turn_title,
    unit_of,
    variable_name,
)

REFRESH_MS = 2000
MAX_BODY = 64 * 1024


INDEX = (
    "<!DOCTYPE html><html lang='en'><head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}"
    "<style>" + STYLE + "</style></head><body>{%app_entry%}<footer>{%config%}{%scripts%}"
    "{%renderer%}</footer></body></html>"
)


def csrf_token() -> str:
    """This browser session's CSRF token (made on first use)."""
    import flask

    tok = flask.session.get("csrf")
    if not isinstance(tok, str) or len(tok) < 20:
        tok = secrets.token_urlsafe(32)
        flask.session["csrf"] = tok
    return tok


def same_origin() -> bool:
    """False when the browser says the request comes from another origin."""
    import flask

    origin = flask.request.headers.get("Origin") or flask.request.headers.get("Referer")
    if not origin:
        return True
    return urlparse(origin).netloc == flask.request.host


def create_app(store: GameStore, throttle: signin.Throttle | None = None) -> Any:
    """The Dash app for one game file (``throttle``: the wrong-code slowdown to use)."""
    import flask
    from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

    server = flask.Flask("summitsim.classroom")
    server.secret_key = store.secret_key()
    server.config.update(
        SESSION_COOKIE_NAME="summitsim_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=MAX_BODY,
        DEBUG=False,
        TESTING=False,
        PROPAGATE_EXCEPTIONS=False,
    )
    throttle = throttle or signin.Throttle()
    title = store.compiled.spec.meta.title

    def who() -> Identity | None:
        """The signed-in identity, looked up once per request (the guard and the callback
        both ask)."""
        if "who" not in flask.g:
            flask.g.who = store.session(flask.session.get("sid"))
        ident: Identity | None = flask.g.who
        return ident

    def is_instructor() -> bool:
        w = who()
        return w is not None and w.role == "instructor"

    def team_actor() -> str:
        """The actor of the signed-in team; Forbidden for anyone else."""
        w = who()
        if w is None or w.role != "team" or w.actor is None:
            raise _forbidden()
        return w.actor

    @server.before_request
    def guard() -> Any:
        req = flask.request
        token = csrf_token()
        if req.method not in ("GET", "HEAD", "OPTIONS"):
            sent = req.headers.get("X-CSRFToken") or ""
            if not sent and req.mimetype == "application/x-www-form-urlencoded":
                sent = req.form.get("csrf", "")
            if not (sent and hmac.compare_digest(str(sent), token) and same_origin()):
                return flask.Response("forbidden: missing or wrong CSRF token\n", 403)
            if req.path.startswith("/_dash-") and who() is None:
                return flask.Response("forbidden: not signed in\n", 403)
        if req.method == "GET" and req.path == "/" and who() is None:
            return flask.redirect("/login")
        return None

    @server.after_request
    def headers(resp: Any) -> Any:
        tok = flask.session.get("csrf")
        if isinstance(tok, str) and flask.request.cookies.get("_csrf_token") != tok:
            resp.set_cookie("_csrf_token", tok, samesite="Strict", httponly=False, path="/")
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Referrer-Policy"] = "same-origin"  # "no-referrer" makes Origin: null
        if not flask.request.path.startswith("/_dash-component-suites/"):
            resp.headers["Cache-Control"] = "no-store"  # game pages; scripts may be cached
        return resp

    @server.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        req = flask.request
        status = 200
        if req.method == "POST":
            addr = req.remote_addr or "?"
            ident, status = signin.check(store, throttle, addr, req.form.get("code", ""))
            if ident is not None:
                old = flask.session.get("sid")
                if old:
                    store.end_session(old)
                flask.session.clear()
                flask.session["sid"] = store.new_session(ident)
                csrf_token()
                return flask.redirect("/")
        error = {401: signin.WRONG, 429: signin.BUSY}.get(status, "")
        resp = flask.Response(signin.page(title, csrf_token(), error), status, mimetype="text/html")
        if status == 429:
            resp.headers["Retry-After"] = "2"
        return resp

    @server.route("/logout", methods=["POST"])
    def logout() -> Any:
        store.end_session(flask.session.get("sid"))
        flask.session.clear()
        return flask.redirect("/login")

    @server.route("/export.json")
    def export() -> Any:
        if not is_instructor():
            flask.abort(403)
        resp = flask.jsonify(store.export())
        resp.headers["Content-Disposition"] = "attachment; filename=game-export.json"
        return resp

    @server.route("/report.html")
    def report() -> Any:
        if not is_instructor():
            flask.abort(403)
        from .report import after_action

        page = after_action(store.gdef, store.state().closed)
        # the report replaces characters it may not show; "replace" is the last guard
        return flask.Response(page.encode("utf-8", "replace"), mimetype="text/html")

    @server.errorhandler(413)
    def too_big(_: Any) -> Any:
        return flask.Response("request too large\n", 413)

    app = Dash(
        "summitsim.classroom",
        server=server,  # type: ignore[arg-type]
        title=f"summitsim classroom: {title}",
        suppress_callback_exceptions=True,
        update_title=None,  # type: ignore[arg-type]
        serve_locally=True,
    )

    app.index_string = INDEX
    check_callback_bodies(app)
    c = store.compiled
    seen_at: dict[str, float] = {}  # team actor -> when its page last refreshed

    # ----- layouts ---------------------------------------------------------------------
    def logout_form() -> Any:
        return html.Div(
            [
                html.Button("Leave", id="logout", n_clicks=0, className="logout"),
                dcc.Location(id="loc", refresh=True),
            ]
        )

    def layout() -> Any:
        try:
            w = who()
        except RuntimeError:  # outside a request (Dash validates the layout at start)
            w = None

        def common(px: str) -> list[Any]:
            return [
                dcc.Interval(id=px + "tick", interval=REFRESH_MS, n_intervals=0),
                dcc.Store(id=px + "seen", data=-1),
            ]

        if w is None:
            return html.Div([html.H1(title), html.A("Enter your join code", href="/login")])
        if w.role == "team":
            assert w.actor is not None
            return team_layout(w.actor, common("t-"))
        return instructor_layout(common("i-"))

    def team_layout(actor: str, common: list[Any]) -> Any:
        me = c.actors[c.actor_index[actor]]
        multi = me.capacity > 1
        chooser = (
            dcc.Checklist(id="t-move", options=[], value=[])
            if multi
            else dcc.RadioItems(id="t-move", options=[], value=None)
        )
        return html.Div(
            [
                *common,
                dcc.Store(id="t-rules", data=None),
                html.H1(me.name, id="team-name"),
                html.Div(id="t-status", className="status"),
                html.Div(id="t-last"),
                *(talks_web.team_parts() if c.deals else []),
                html.Div(
                    [
                        html.H2("Your move", id="t-move-title"),
                        html.P(id="t-move-note", className="note"),
                        chooser,
                        html.Label("Why? (optional)", htmlFor="t-why"),
                        dcc.Textarea(
                            id="t-why", maxLength=MAX_TEXT, style={"width": "100%"}, value=""
                        ),
                        html.Button("Submit move", id="t-submit", n_clicks=0),
                        html.Div(html.Div(id="t-msg", role="status"), id="t-msg-box"),
                    ],
                    id="move-form",
                ),
                html.Div(id="t-world"),
                html.Div(id="t-briefing"),
                html.Div(id="t-history"),
                html.Div(id="t-chart"),
                logout_form(),
            ],
            className="team",
        )

    def instructor_layout(common: list[Any]) -> Any:
        inject_opts = [{"label": i.name, "value": i.id} for i in c.injects]
        var_opts = [
            {
                "label": variable_name(c, v) + (f" ({unit_of(c, v)})" if unit_of(c, v) else ""),
                "value": v,
            }
            for v in c.slots[: c.n_vars]
        ]
        return html.Div(
            [
                *common,
                html.H1(f"Instructor: {title}"),
                html.Div(id="i-status", className="status"),
                html.Div(id="i-teams"),
                html.Div(id="i-drop-msg", role="status"),
                *(talks_web.instructor_parts() if c.deals else []),
                html.Div(
                    [
                        html.H2("Control"),
                        html.Label("Teams that have not submitted are played by"),
                        dcc.RadioItems(
                            id="i-missing",
                            options=[
                                {"label": "the AI", "value": "ai"},
                                {"label": "hold (no move)", "value": "hold"},
                            ],
                            value="ai",
                            inline=True,
                        ),
                        dcc.ConfirmDialogProvider(
                            html.Button("Close turn", id="i-close"),
                            id="i-close-confirm",
                            message="Close this turn?",
                        ),
                        html.Button("Pause", id="i-pause", n_clicks=0, hidden=True),
                        html.Button("Resume", id="i-resume", n_clicks=0, hidden=True),
                        dcc.ConfirmDialogProvider(
                            html.Button("Undo last turn", id="i-undo"),
                            id="i-undo-confirm",
                            message="Undo the last closed turn?",
                        ),
                        html.Span(id="i-run-state"),
                        html.H3("Inject an event"),
                        dcc.Dropdown(
                            id="i-inject-id",
                            options=inject_opts,
                            placeholder=f"Choose one of {len(inject_opts)} events…"
                            if inject_opts
                            else "This scenario declares no events",
                            disabled=not inject_opts,
                        ),
                        html.Button("Inject", id="i-inject", n_clicks=0),
                        html.H3("Change a variable"),
                        dcc.Dropdown(
                            id="i-adjust-var",
                            options=var_opts,
                            placeholder="Choose a variable…",
                        ),
                        dcc.Input(
                            id="i-adjust-delta", type="number", placeholder="change, e.g. -10"
                        ),
                        html.Button("Apply change", id="i-adjust", n_clicks=0),
                        html.Div(id="i-msg", role="status"),
                        html.P(
                            [
                                html.A("Export the game (JSON)", href="/export.json"),
                                " · ",
                                html.A("After-action report", href="/report.html", target="_blank"),
                            ]
                        ),
                    ],
                    id="i-controls",
                ),
                html.Div(id="i-last"),
                html.Div(id="i-history"),
                html.Div(id="i-chart"),
                logout_form(),
            ],
            className="instructor",
        )

    app.layout = layout

    # ----- rendering -------------------------------------------------------------------
    def clock(s: Any) -> str:
        if store.finished(s):
            return "The game is over."
        parts = [f"Turn {s.turn} of {store.gdef.turns}"]
        when = calendar(c, s.turn)
        if when:
            parts.append(when)
        if s.paused:
            parts.append("paused")
        if store.deadline_minutes > 0:
            left = store.deadline_minutes * 60 - s.elapsed()
            if left >= 0:
                parts.append(f"time left {int(left) // 60}:{int(left) % 60:02d}")
            else:
                parts.append(f"deadline passed {int(-left) // 60}:{int(-left) % 60:02d} ago")
        return " · ".join(parts)

    def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any) -> Any:
            try:
                return fn(*args)
            except GameError as exc:
                return str(exc)

        wrapper.__name__ = fn.__name__
        return wrapper

    if c.deals:
        talks_web.register(app, store, team_actor, is_instructor, guarded, _forbidden)

    # ----- team callbacks --------------------------------------------------------------
    @app.callback(
        Output("t-status", "children"),
        Output("t-move", "options"),
        Output("t-briefing", "children"),
        Output("t-world", "children"),
        Output("t-history", "children"),
        Output("t-chart", "children"),
        Output("t-seen", "data"),
        Output("t-move", "value"),
        Output("t-why", "value"),
        Output("t-last", "children"),
        Output("t-move-title", "children"),
        Output("t-move-note", "children"),
        Output("t-rules", "data"),
        Output("t-msg-box", "hidden"),
        Input("t-tick", "n_intervals"),
        Input("t-msg", "children"),
        State("t-seen", "data"),
    )
    def team_view(_: Any, __: Any, seen: Any) -> Any:
        actor = team_actor()
        seen_at[actor] = time.time()
        s = store.state()
        mine = s.pending.get(actor)
        status: list[Any] = [html.Span(clock(s), id="t-clock")]
        if mine is not None:
            m = mine.move
            status += [
                html.Br(),
                html.Span(f"Your move this turn: {move_name(c, m.move)}", id="t-my-move"),
            ]
            if m.justification:
                status += [" — ", html.Em(m.justification)]
        elif not store.finished(s):
            status += [html.Br(), html.Span("You have not submitted a move yet.", id="t-my-move")]
        fresh = ctx.triggered_id == "t-msg"
        key = list(s.talks_key)  # a close or undo, or a negotiation reply of the open turn
        if seen == key:
            return (status, *[no_update] * 12, False if fresh else no_update)
        new_turn = not isinstance(seen, list) or not seen or seen[0] != s.version
        model = store.model(s)
        me = c.actor_index[actor]
        multi = c.actors[me].capacity > 1
        opts: list[dict[str, Any]] = []
        note, rules, heading = "", None, "Your move"
        if not store.finished(s):
            chosen_in = store.menu_model(s)  # after the open turn's talks, once they are over
            obs = chosen_in.observe(me)
            menu = move_menu(chosen_in, obs)
            opts = move_options(menu, multi)
            note = capacity_note(c, obs)
            heading = f"Your move for {turn_title(c, s.turn, 'turn')}"
            if multi:
                rules = {
                    "capacity": c.actors[me].capacity,
                    "channel": {m.move: m.channel for m in menu if m.channel},
                    "unavailable": [m.move for m in menu if not m.available],
                }
        else:
            note = "The game is over."
        result = redact(store.result(s), actor, hidden_red_lines(model, actor))
        return (
            status,
            opts,
            briefing_view(briefing(model, actor), open_=not s.closed),
            world_view(model),
            history_view(c, result, you=actor),
            charts_view(c, result, store.gdef.turns),
            key,
            # a new turn (or a fresh page): no move chosen yet; a reply in the talks keeps it
            ([] if multi else None) if new_turn else no_update,
            "" if new_turn else no_update,
            last_turn(c, result, you=actor),
            heading,
            note,
            rules,
            not fresh,  # an old turn's "received" is not left standing
        )

    # several moves a turn: at most `capacity`, one per channel (the server checks again)
    app.clientside_callback(
        """
        function(value, options, rules) {
            if (!rules || !options) { return window.dash_clientside.no_update; }
            const chosen = value || [];
            const used = new Set(chosen.map(m => rules.channel[m]).filter(Boolean));
            return options.map(o => {
                const picked = chosen.includes(o.value);
                const ch = rules.channel[o.value];
                const off = rules.unavailable.includes(o.value) ||
                    (!picked && (chosen.length >= rules.capacity || (ch && used.has(ch))));
                return Object.assign({}, o, {disabled: off});
            });
        }
        """,
        Output("t-move", "options", allow_duplicate=True),
        Input("t-move", "value"),
        State("t-move", "options"),
        State("t-rules", "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("t-msg", "children"),
        Input("t-submit", "n_clicks"),
        State("t-move", "value"),
        State("t-why", "value"),
        prevent_initial_call=True,
    )
    @guarded
    def submit(_: Any, move: Any, why: Any) -> Any:
        actor = team_actor()
        if isinstance(move, list):  # the checkboxes of an actor with several moves a turn
            ok = all(isinstance(m, str) and m and m != "hold" for m in move)
            if not ok or len(move) > 8:
                return "Choose your moves again."
            move = "+".join(move) if move else "hold"
        if not isinstance(move, str) or not move:
            return "Choose a move first."
        if why is not None and not isinstance(why, str):
            return "The justification must be text."
        turn = store.submit(actor, move, why or "")
        mine = store.state().pending.get(actor)
        name = move_name(c, mine.move.move) if mine is not None else move_name(c, move)
        return f"Move for turn {turn} received: {name}. You can change it until the turn closes."

    # ----- instructor callbacks --------------------------------------------------------
    @app.callback(
        Output("i-status", "children"),
        Output("i-teams", "children"),
        Output("i-history", "children"),
        Output("i-chart", "children"),
        Output("i-seen", "data"),
        Output("i-pause", "hidden"),
        Output("i-resume", "hidden"),
        Output("i-run-state", "children"),
        Output("i-close-confirm", "message"),
        Output("i-undo-confirm", "message"),
        Output("i-close", "children"),
        Output("i-last", "children"),
        Input("i-tick", "n_intervals"),
        Input("i-msg", "children"),
        State("i-seen", "data"),
    )
    def instructor_view(_: Any, __: Any, seen: Any) -> Any:
        if not is_instructor():
            raise _forbidden()
        s = store.state()
        signed_in = store.signed_in_teams()
        now = time.time()
        rows = [
            html.Tr(
                [
                    html.Th("Team"),
                    html.Th("Connection"),
                    html.Th("Submitted"),
                    html.Th("Move"),
                    html.Th("Why"),
                    html.Th(""),
                ]
            )
        ]
        for a in store.gdef.humans:
            p = s.pending.get(a)
            name = c.actors[c.actor_index[a]].name
            conn = presence(seen_at.get(a), a in signed_in, now)
            if p is None:
                cells = [html.Td(name), html.Td(conn), html.Td("—"), html.Td(""), html.Td("")]
                rows.append(html.Tr([*cells, html.Td("")]))
            else:
                at = time.strftime("%H:%M:%S", time.localtime(p.at))
                rows.append(
                    html.Tr(
                        [
                            html.Td(name),
                            html.Td(conn),
                            html.Td(f"submitted {at}"),
                            html.Td(move_name(c, p.move.move)),
                            html.Td(p.move.justification),
                            html.Td(drop_button(a, name)),
                        ],
                        className="submitted",
                    )
                )
        events = [html.Li(event_text(c, e)) for e in s.events]
        n = sum(1 for a in store.gdef.humans if a in s.pending)
        teams = html.Div(
            [
                html.H2(f"Submissions: {n} of {len(store.gdef.humans)}", id="i-count"),
                html.Table(html.Tbody(rows), id="i-team-table"),
                html.Div([html.H3("Events for this turn"), html.Ul(events)] if events else []),
            ]
        )
        status = html.Span(clock(s), id="i-clock")
        over = store.finished(s)
        missing = [c.actors[c.actor_index[a]].name for a in store.gdef.humans if a not in s.pending]
        close_msg = f"Close turn {s.turn} now?"
        if missing:
            close_msg += (
                f" Not submitted yet: {', '.join(missing)} (played as you chose above: "
                "the AI, or hold)."
            )
        due = store.talks()[1].due if c.deals and not over else None
        if due is not None:
            close_msg += (
                f" The talks are under way: {due.obs.actor.name}'s reply is due (the AI "
                "replies for the team, or with hold it walks away)."
            )
        undo_msg = (
            f"Undo turn {len(s.closed)}? It reopens with the moves and events it had; moves "
            f"already submitted for turn {s.turn} are dropped."
            if s.closed
            else "No turn has been closed yet."
        )
        if s.paused:
            run = html.Span(
                "Paused: teams cannot submit and the clock is stopped.",
                className="state-off",
                id="i-paused",
            )
        elif over:
            run = html.Span("The game is over.", className="state-off")
        else:
            run = html.Span("Running: teams can submit.", className="state-on", id="i-running")
        live = (
            status,
            teams,
            no_update,
            no_update,
            no_update,
            s.paused or over,
            not s.paused or over,
            run,
            close_msg,
            undo_msg,
            "Close turn" if over else f"Close turn {s.turn}",
            no_update,
        )
        if seen == s.version:
            return live
        result = store.result(s)
        return (
            *live[:2],
            history_view(c, result, rationales=True),
            charts_view(c, result, store.gdef.turns),
            s.version,
            *live[5:11],
            last_turn(c, result, rationales=True),
        )

    @app.callback(
        Output("i-msg", "children"),
        Input("i-close-confirm", "submit_n_clicks"),
        Input("i-pause", "n_clicks"),
        Input("i-resume", "n_clicks"),
        Input("i-undo-confirm", "submit_n_clicks"),
        Input("i-inject", "n_clicks"),
        Input("i-adjust", "n_clicks"),
        State("i-missing", "value"),
        State("i-inject-id", "value"),
        State("i-adjust-var", "value"),
        State("i-adjust-delta", "value"),
        prevent_initial_call=True,
    )
    @guarded
    def control(*args: Any) -> Any:
        if not is_instructor():
            raise _forbidden()
        missing, inject_id, var, delta = args[6:]
        what = str(ctx.triggered_id or "").removeprefix("i-").removesuffix("-confirm")
        if not any(t.get("value") for t in ctx.triggered if isinstance(t, dict)):
            return no_update  # a button that was drawn, not pressed
        if what == "close":
            t = store.close_turn(missing if isinstance(missing, str) else "")
            return f"Turn {t} closed."
        if what == "pause":
            store.pause(True)
            return "Paused: teams cannot submit and the clock is stopped."
        if what == "resume":
            store.pause(False)
            return "Resumed."
        if what == "undo":
            t = store.undo()
            return f"Turn {t} reopened."
        if what == "inject":
            store.inject(inject_id)
            inj = next(i for i in c.injects if i.id == inject_id)
            return f"Event “{inj.name}” will happen when this turn closes."
        if what == "adjust":
            store.adjust(var, delta)
            return f"Change to {variable_name(c, var)} will apply when this turn closes."
        return no_update

    @app.callback(
        Output("i-drop-msg", "children"),
        Input({"type": "i-drop", "actor": ALL}, "submit_n_clicks"),
        prevent_initial_call=True,
    )
    @guarded
    def drop(_: Any) -> Any:
        if not is_instructor():
            raise _forbidden()
        actor = clicked_actor(ctx.triggered)
        if actor is None:
            return no_update
        turn = store.drop(actor)
        name = c.actors[c.actor_index[actor]].name
        return f"{name}'s move for turn {turn} was dropped."

    @app.callback(
        Output("loc", "href"),
        Input("logout", "n_clicks"),
        prevent_initial_call=True,
    )
    def leave(n: Any) -> Any:
        if not n:
            return no_update
        store.end_session(flask.session.get("sid"))
        flask.session.clear()
        return "/login"

    return app


def drop_button(actor: str, name: str) -> Any:
    """The instructor's button that drops a team's submitted move, after a confirmation."""
    from dash import dcc, html

    return dcc.ConfirmDialogProvider(
        html.Button("Drop", className="drop"),
        id={"type": "i-drop", "actor": actor},
        message=f"Drop {name}'s move for this turn? The team may submit again; if it does "
        "not, it is played as you choose when you close the turn.",
    )


def clicked_actor(triggered: Any) -> str | None:
    """The actor of the confirmed Drop button in Dash's ``triggered`` list, if any."""
    for t in triggered if isinstance(triggered, list) else []:
        prop = t.get("prop_id") if isinstance(t, dict) else None
        if not isinstance(prop, str) or not t.get("value"):
            continue
        try:
            key = json.loads(prop.rsplit(".", 1)[0])
        except ValueError:
            continue
        if isinstance(key, dict) and isinstance(key.get("actor"), str):
            return str(key["actor"])
    return None


def _forbidden() -> Exception:
    from werkzeug.exceptions import Forbidden

    return Forbidden("not allowed for this session")


def make_server(
    store: GameStore,
    host: str,
    port: int,
    *,
    throttle: signin.Throttle | None = None,
    max_connections: int = MAX_CONNECTIONS,
    timeout: float = READ_TIMEOUT,
) -> Any:
    """The game's HTTP server: at most ``max_connections`` served at once (more get 503),
    each dropped after ``timeout`` seconds without a byte from the client."""
    from werkzeug.serving import WSGIRequestHandler

    class KeepAlive(WSGIRequestHandler):
        protocol_version = "HTTP/1.1"  # browsers reuse one connection for the 2 s refreshes

    app = create_app(store, throttle)
    return BoundedServer(host, port, app.server, KeepAlive, max_connections, timeout)


def serve(
    path: str,
    host: str = "127.0.0.1",
    port: int = 8050,
    quiet: bool = False,
    session_hours: float | None = None,
) -> None:
    import logging

    hours = SESSION_HOURS if session_hours is None else session_hours
    store = GameStore(path, session_ttl=hours * 3600)
    srv = make_server(store, host, port)
    if quiet:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    print(f"summitsim classroom: serving {path} on http://{host}:{srv.server_port}/", flush=True)
    if host in ("0.0.0.0", "::"):
        print(f"  teams on the network open http://{lan_address()}:{srv.server_port}/", flush=True)
    print("  Ctrl-C stops the server; the game is kept in the file.", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


def lan_address() -> str:
    """This machine's address on its main network (no packet is sent), or a placeholder."""
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(("10.255.255.255", 1))
            return str(sock.getsockname()[0])
    except OSError:
        return "THIS-MACHINE'S-ADDRESS"
