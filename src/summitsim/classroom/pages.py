"""The pieces of the team and instructor pages, as Dash components built from
:mod:`.views` (what to say) and :mod:`.game` (what a player may see).

Pure functions of their arguments: the server's callbacks decide who may see what and call
these to lay it out.
"""

from __future__ import annotations

import time
from typing import Any

from ..engine.compiled import Compiled
from ..viz.negotiation import deal_name, negotiation_lines
from .game import NeedsReply, OpenTalks, public_state, redact_talks
from .views import (
    Line,
    MoveChoice,
    OfferWorth,
    chance,
    changes,
    counter_menu,
    escalation_of,
    labels,
    move_name,
    offer_worth,
    talks_heading,
    turn_story,
    turn_title,
    unit_of,
    variable_name,
)

STYLE = """
body{font-family:system-ui,sans-serif;max-width:70em;margin:1em auto;padding:0 1em;color:#1d1d1d}
h1{font-size:1.6em;margin:.3em 0} h2{font-size:1.25em;margin-top:1.2em;border-bottom:1px solid #ddd}
h3{font-size:1.05em} .status{background:#f3f6fa;padding:.5em .8em;border-radius:6px}
#t-clock,#i-clock{font-weight:600}
button{font-size:1em;padding:.35em .9em;margin:.2em .3em .2em 0;cursor:pointer;
border:1px solid #888;border-radius:5px;background:#fff} button:hover{background:#eef}
#t-submit,#i-close{background:#0b5394;color:#fff;border-color:#0b5394}
#t-move label{display:flex;gap:.5em;align-items:flex-start;padding:.35em .2em;
border-bottom:1px solid #eee}
#t-move input{margin-top:.3em}
.move-name{font-weight:600} .move-meta{color:#555;font-size:.9em}
.move-desc{font-size:.95em} .risk{color:#b34700;font-size:.92em;font-weight:600}
.why-not{color:#777;font-size:.9em;font-style:italic} .unavailable{color:#888}
#t-msg,#i-msg,#i-drop-msg{margin:.4em 0;font-weight:600;color:#0b5394}
table{border-collapse:collapse}
td,th{border-bottom:1px solid #eee;padding:.25em .6em;vertical-align:top;text-align:left}
tr.submitted td{background:#eef7ee}
small.why{color:#555} .logout{margin-top:2em}
ul.story li{margin:.2em 0} li.red_line{color:#b34700;font-weight:600} li.approached{color:#8a6d00}
li.you{font-weight:600} .changes li{font-size:.95em}
.state-on{color:#1a7f37;font-weight:600} .state-off{color:#b34700;font-weight:600}
.note{color:#555}
.talks{background:#f7f4ec;padding:.3em .9em .6em;border-radius:6px;margin:.6em 0}
.worth td:last-child{text-align:right;font-variant-numeric:tabular-nums}
#t-deal-send{background:#0b5394;color:#fff;border-color:#0b5394}
#t-deal-msg,#i-talks-msg{margin:.4em 0;font-weight:600;color:#0b5394}
"""


def _h() -> Any:
    from dash import html

    return html


# ------------------------------------------------------------------------------------------
# Moves
# ------------------------------------------------------------------------------------------
def move_label(m: MoveChoice) -> Any:
    """A move as the player reads it beside its radio button or checkbox."""
    html = _h()
    meta = []
    if m.move != "hold":
        meta.append(f"escalation {m.escalation:+g}")
        if m.channel:
            meta.append(f"{m.channel} channel")
        if m.needs:
            meta.append(f"needs the consent of {m.needs}")
        meta.extend(m.limits)
    kids: list[Any] = [html.Span(m.name, className="move-name")]
    if meta:
        kids += [" ", html.Span(f"({'; '.join(meta)})", className="move-meta")]
    kids += [html.Br(), html.Span(m.description, className="move-desc")]
    for r in m.red_lines:
        kids += [html.Br(), html.Span(f"⚠ Red line: {r}", className="risk")]
    if not m.available:
        kids += [html.Br(), html.Span(f"Not available: {m.reason}", className="why-not")]
    return html.Span(kids, className="" if m.available else "unavailable")


def move_options(menu: list[MoveChoice], multi: bool) -> list[dict[str, Any]]:
    """The options of the move chooser (for several moves a turn, hold is "choose none")."""
    return [
        {"label": move_label(m), "value": m.move, "disabled": not m.available}
        for m in menu
        if not (multi and m.move == "hold")
    ]


# ------------------------------------------------------------------------------------------
# Turns
# ------------------------------------------------------------------------------------------
def story_list(lines: list[Line], you: str | None = None) -> Any:
    html = _h()
    items = []
    for ln in lines:
        mine = bool(you) and ln.actor == you
        text = ln.text
        if mine and ln.who and text.startswith(ln.who):
            text = f"{ln.who} (you){text[len(ln.who) :]}"
        kids: list[Any] = [text]
        if ln.why:
            kids += [html.Br(), html.Small(ln.why, className="why")]
        cls = ln.kind + (" you" if mine else "")
        items.append(html.Li(kids, className=cls))
    return html.Ul(items, className="story")


def changes_list(c: Compiled, result: dict[str, Any], turn: int, limit: int = 10) -> Any:
    html = _h()
    ch = changes(c, result, turn)
    items = [html.Li(x.text()) for x in ch[:limit]]
    if len(ch) > limit:
        items.append(html.Li(f"… and {len(ch) - limit} smaller changes (see The world now)"))
    if not items:
        items = [html.Li("Nothing measurable changed.")]
    esc = escalation_of(result, turn)
    return html.Div(
        [
            html.H3("What changed"),
            html.Ul(items, className="changes"),
            html.P(f"Escalation this turn: {esc:g}", id="last-escalation"),
        ]
    )


def last_turn(
    c: Compiled, result: dict[str, Any], *, you: str | None = None, rationales: bool = False
) -> Any:
    """The first thing a player reads: what happened in the last closed turn, and what
    changed; before the first turn, what to do."""
    html = _h()
    n = len(result["turns"]) - 1
    if n < 1:
        return html.Div(
            [
                html.H2(f"{turn_title(c, 1)} is the first turn"),
                html.P(
                    "Nothing has happened yet. Read your briefing below, then choose your move.",
                    className="note",
                ),
            ]
        )
    return html.Div(
        [
            html.H2(f"What happened in {turn_title(c, n, 'turn')}"),
            story_list(turn_story(c, result, n, rationales=rationales), you),
            changes_list(c, result, n),
        ]
    )


def history(
    c: Compiled,
    result: dict[str, Any],
    *,
    you: str | None = None,
    rationales: bool = False,
    skip_last: bool = True,
) -> Any:
    """Earlier turns, newest first (the last one is shown at the top of the page)."""
    html = _h()
    n = len(result["turns"]) - 1
    last = n - 1 if skip_last else n
    rows = []
    for t in range(last, 0, -1):
        rows.append(
            html.Div(
                [
                    html.H3(turn_title(c, t)),
                    story_list(turn_story(c, result, t, rationales=rationales), you),
                ]
            )
        )
    title = "Earlier turns" if skip_last else "History"
    return html.Div([html.H2(title), *rows] if rows else [html.H2(title), "None yet."])


def world(model: Any) -> Any:
    """The state of the world as a collapsed table (the changes are at the top)."""
    html = _h()
    c = model.compiled
    rows = []
    for r in public_state(model):
        slot = r["name"]
        unit = unit_of(c, slot)
        rel = slot.startswith("rel:")
        value = f"{r['value']:.2f}" if rel else f"{r['value']:.3g}" + (f" {unit}" if unit else "")
        rows.append(
            html.Tr([html.Td(variable_name(c, slot)), html.Td(value), html.Td(r["description"])])
        )
    return html.Details(
        [
            html.Summary(f"The world now ({len(rows)} quantities)"),
            html.Table(html.Tbody(rows)),
        ],
        id="world-details",
    )


def briefing(b: dict[str, Any], open_: bool) -> Any:
    html = _h()

    def listing(heading: str, items: list[str]) -> list[Any]:
        return [html.H3(heading), html.Ul([html.Li(t) for t in items])]

    kids: list[Any] = [html.Summary("Your briefing"), html.P(b["public"])]
    if b["private"]:
        kids.append(html.P([html.B("For your eyes only: "), b["private"]], id="private"))
    kids += listing(
        "Your interests",
        [i["description"] + (" (private)" if i["private"] else "") for i in b["interests"]],
    )
    if b["red_lines"]:
        kids += listing(
            "Your red lines",
            [f"{r['description']}: you would {r['response']}" for r in b["red_lines"]],
        )
    if b["known_red_lines"]:
        kids += listing(
            "Others' red lines you know of",
            [
                f"{r['owner']}: {r['description']} (it would {r['response']}; you think "
                f"{chance(r['belief'])})"
                for r in b["known_red_lines"]
            ],
        )
    kids.append(html.H3("The other actors"))
    for o in b["others"]:
        kids.append(
            html.Details(
                [
                    html.Summary(o["name"]),
                    html.P(o["briefing"]),
                    html.Ul([html.Li(i) for i in o["interests"]]),
                ]
            )
        )
    return html.Details(kids, open=open_, id="briefing-details")


def charts(c: Compiled, result: dict[str, Any], turns: int) -> Any:
    """The charts of the game so far; none before the first turn has closed (a chart of
    one starting point says nothing)."""
    html = _h()
    from dash import dcc

    from .charts import figures

    if len(result["turns"]) < 2:
        return html.P("The charts appear once the first turn has closed.", className="note")
    figs = figures(c, result, turns)
    return [dcc.Graph(figure=fig, config={"displaylogo": False}) for fig in figs]


# ------------------------------------------------------------------------------------------
# The instructor's table of teams
# ------------------------------------------------------------------------------------------
def presence(seen: float | None, signed_in: bool, now: float | None = None) -> str:
    """ "connected", "signed in, last seen 3 min ago", "not signed in"."""
    now = time.time() if now is None else now
    if seen is not None and now - seen < 10:
        return "connected"
    if seen is not None:
        ago = int(now - seen)
        when = f"{ago // 60} min" if ago >= 120 else f"{ago} s"
        return f"last seen {when} ago"
    return "signed in" if signed_in else "not signed in"


def event_text(c: Compiled, e: dict[str, Any]) -> str:
    """A queued instructor event, by name."""
    if "inject" in e:
        inj = next((i for i in c.injects if i.id == e["inject"]), None)
        return f"Event: {inj.name if inj else 'unknown event'}"
    slot = str(e.get("variable"))
    unit = unit_of(c, slot)
    return f"Change: {variable_name(c, slot)} {float(e['delta']):+g}" + (f" {unit}" if unit else "")


def submitted_move(c: Compiled, move: str) -> str:
    return move_name(c, move)


# ------------------------------------------------------------------------------------------
# Negotiations
# ------------------------------------------------------------------------------------------
def deadline_text(deadline: float | None, now: float | None = None, countdown: bool = True) -> str:
    """The talks' deadline in words ("" when there is none); ``countdown``: with the time
    left (for a view drawn anew every refresh)."""
    if deadline is None:
        return ""
    now = time.time() if now is None else now
    at = time.strftime("%H:%M:%S", time.localtime(deadline))
    if now >= deadline:
        return f"The talks' deadline ({at}) has passed: a reply still due counts as walking away."
    left = int(deadline - now)
    rest = f" ({left // 60}:{left % 60:02d} left)" if countdown else ""
    return f"The talks must be done by {at}{rest}: a reply still due then counts as walking away."


def talks_panel(
    c: Compiled, ot: OpenTalks, viewer: str | None, deadline: float | None = None
) -> list[Any]:
    """This turn's negotiations: for a team (``viewer``) those its actor is party to (its
    own reasons only), with its reply form when its reply is due, else whom they wait for;
    for the instructor (``viewer=None``) all of them, with every reason given."""
    html = _h()
    if viewer is None:
        negs = ot.negotiations
    else:
        negs = [n for n in (redact_talks(n, {viewer}) for n in ot.party_to(viewer)) if n]
    if not negs:
        return []
    kids: list[Any] = [html.H2(f"Negotiations, turn {ot.turn}")]
    for neg in negs:
        _, *steps, end = negotiation_lines(neg, labels(c))
        kids.append(
            html.Div(
                [
                    html.H3(deal_name(neg, labels(c))),
                    html.Ol([html.Li(t) for t in steps], className="steps"),
                    html.P(end, className="outcome"),
                ],
                className="talks",
                id=f"talks-{neg['deal']}",
            )
        )
    due = ot.due
    if due is not None and due.actor == viewer:
        kids.append(reply_form(c, due))
    elif due is not None and (viewer is None or viewer in due.talks_parties):
        kids.append(html.P(f"Waiting for {due.obs.actor.name} to reply.", id="talks-waiting"))
    note = deadline_text(deadline, countdown=viewer is None) if due is not None else ""
    if note:
        kids.append(html.P(note, className="note", id="talks-deadline"))
    return kids


def worth_table(w: OfferWorth) -> Any:
    html = _h()
    rows = [html.Tr([html.Th("Issue"), html.Th("Term"), html.Th("Worth to you")])]
    rows += [html.Tr([html.Td(i), html.Td(t), html.Td(f"{v:+.2f}")]) for i, t, v in w.terms]
    rows.append(html.Tr([html.Td("Red-line risk"), html.Td(""), html.Td(f"{w.risk:+.2f}")]))
    return html.Div(
        [html.Table(html.Tbody(rows), className="worth"), html.P(w.verdict(), id="t-deal-verdict")]
    )


def reply_form(c: Compiled, due: NeedsReply) -> Any:
    """The due team's form: the offer on the table and its worth to the team, then accept,
    counter (a level per issue, each with its worth) or walk away."""
    html = _h()
    from dash import dcc

    talks, me = due.talks, due.obs.actor.index
    w = offer_worth(talks, me)
    kinds = [{"label": "Accept the offer", "value": "accept"}] if w is not None else []
    counter = "Counter-offer" if w is not None else "Make the opening offer"
    kinds += [
        {"label": counter, "value": "offer"},
        {"label": "Walk away (no deal)", "value": "walk"},
    ]
    issues = [
        html.Div(
            [
                html.Label(issue.name, className="move-name"),
                dcc.RadioItems(
                    id={"type": "t-deal-term", "issue": issue.id},
                    options=[
                        {"label": f"{name} (worth {v:+.2f} to you)", "value": lid}
                        for lid, name, v in issue.levels
                    ],
                    value=issue.current,
                ),
            ]
        )
        for issue in counter_menu(talks, me)
    ]
    table = (
        [html.H3("The offer on the table"), worth_table(w)]
        if w is not None
        else [html.P("No offer yet: you open the talks.", className="note")]
    )
    return html.Div(
        [
            html.H3(f"Your reply: {talks_heading(c, talks, me)}"),
            *table,
            dcc.RadioItems(id="t-deal-kind", options=kinds, value=None),
            html.Details(
                [html.Summary("Terms of your offer"), *issues], open=w is None, id="t-deal-terms"
            ),
            html.Button("Send reply", id="t-deal-send", n_clicks=0),
            dcc.Store(id="t-deal-due", data={"deal": talks.deal.id, "seq": due.seq}),
        ],
        id="deal-form",
        className="talks",
    )
