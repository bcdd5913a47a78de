"""Negotiating on the classroom pages: the teams' reply form and the instructor's view of
the talks, with the talks' deadline. Present only in a game whose scenario has deals.

The rules live in the store (:meth:`.store.GameStore.reply`, ``talks``): whose reply is due,
on what, and whether the deadline has passed. Every callback re-checks who asks (the
session's team, or the instructor); the browser's values are only the choice made.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .pages import talks_panel
from .store import GameStore

TALKS_MINUTES = 5  # the instructor's suggested deadline


def team_parts() -> list[Any]:
    """The team page's negotiation section (filled in by :func:`register`)."""
    from dash import dcc, html

    return [
        dcc.Store(id="t-talks-seen", data=None),
        html.Div(id="t-talks"),
        html.Div(id="t-deal-msg", role="status"),
    ]


def instructor_parts() -> list[Any]:
    """The instructor's negotiation section: the talks as they go, and the deadline."""
    from dash import dcc, html

    return [
        html.Div(id="i-talks"),
        html.Div(
            [
                html.H3("Deadline for this turn's talks"),
                html.Label("minutes from now ", htmlFor="i-talks-minutes"),
                dcc.Input(
                    id="i-talks-minutes",
                    type="number",
                    min=0.1,
                    max=240,
                    value=TALKS_MINUTES,
                    style={"width": "6em"},
                ),
                html.Button("Set deadline", id="i-talks-deadline", n_clicks=0),
                html.Button("No deadline", id="i-talks-clear", n_clicks=0),
                html.P(
                    "When it passes, a team whose reply is still due walks away.",
                    className="note",
                ),
                html.Div(id="i-talks-msg", role="status"),
            ],
            id="i-talks-controls",
        ),
    ]


def register(
    app: Any,
    store: GameStore,
    team_actor: Callable[[], str],
    is_instructor: Callable[[], bool],
    guarded: Callable[..., Any],
    forbidden: Callable[[], Exception],
) -> None:
    """The negotiation callbacks of the classroom app."""
    from dash import ALL, Input, Output, State, ctx, no_update

    c = store.compiled

    @app.callback(
        Output("t-talks", "children"),
        Output("t-talks-seen", "data"),
        Input("t-tick", "n_intervals"),
        Input("t-deal-msg", "children"),
        State("t-talks-seen", "data"),
    )
    def team_talks(_: Any, __: Any, seen: Any) -> Any:
        actor = team_actor()
        s, ot = store.talks()
        due = ot.due.actor if ot.due is not None else None
        key = [*s.talks_key, due, s.talks_deadline]
        if seen == key:
            return no_update, no_update  # the form keeps what the team has chosen
        return talks_panel(c, ot, actor, s.talks_deadline), key

    @app.callback(
        Output("t-deal-msg", "children"),
        Input("t-deal-send", "n_clicks"),
        State("t-deal-kind", "value"),
        State({"type": "t-deal-term", "issue": ALL}, "value"),
        State("t-deal-due", "data"),
        prevent_initial_call=True,
    )
    @guarded
    def send(n: Any, kind: Any, _: Any, due: Any) -> Any:
        actor = team_actor()
        if not n:
            return no_update
        if kind not in ("accept", "offer", "walk"):
            return "Choose accept, an offer, or walk away first."
        if not isinstance(due, dict):
            return "The talks have moved on; look again."
        chosen = {
            st["id"]["issue"]: st.get("value")
            for st in ctx.states_list[1]
            if isinstance(st, dict) and isinstance(st.get("id"), dict)
        }
        deal = next((d for d in c.deals if d.id == due.get("deal")), None)
        terms = [chosen.get(i.id) for i in deal.issues] if deal is not None else []
        ans = store.reply(actor, due.get("deal"), due.get("seq"), kind, terms)
        done = {"accept": "you accepted the offer", "walk": "you walked away"}
        return f"Reply sent: {done.get(ans.kind, 'your offer is on the table')}."

    @app.callback(
        Output("i-talks", "children"),
        Input("i-tick", "n_intervals"),
        Input("i-talks-msg", "children"),
    )
    def instructor_talks(_: Any, __: Any) -> Any:
        if not is_instructor():
            raise forbidden()
        s, ot = store.talks()
        return talks_panel(c, ot, None, s.talks_deadline) or ["No negotiation under way this turn."]

    @app.callback(
        Output("i-talks-msg", "children"),
        Input("i-talks-deadline", "n_clicks"),
        Input("i-talks-clear", "n_clicks"),
        State("i-talks-minutes", "value"),
        prevent_initial_call=True,
    )
    @guarded
    def deadline(set_: Any, clear: Any, minutes: Any) -> Any:
        if not is_instructor():
            raise forbidden()
        if ctx.triggered_id == "i-talks-clear" and clear:
            store.set_talks_deadline(None)
            return "The talks have no deadline."
        if ctx.triggered_id != "i-talks-deadline" or not set_:
            return no_update
        if minutes is None or minutes == 0:
            return "Give the deadline in minutes (more than 0)."
        at = store.set_talks_deadline(minutes)
        assert at is not None
        return f"The talks must be done by {time.strftime('%H:%M:%S', time.localtime(at))}."
