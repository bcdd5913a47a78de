"""The after-action report: the run's report plus the people's choices beside the AI's.

It is the static HTML report of :mod:`summitsim.viz.report` with one extra section.
"""

from __future__ import annotations

from typing import Any

from ..engine.observation import option_label
from ..policies.base import Decision, sentence
from ..viz.negotiation import negotiation_lines, signed_entry
from ..viz.report import escape
from .game import ClosedTurn, GameDef, replay
from .views import labels, move_name


def choices(gdef: GameDef, closed: list[ClosedTurn]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Replay the game and return its result and, for each turn and human actor, what the
    team chose (and why) beside what the AI would have chosen in its place (and why).

    A team that did not submit was played by the AI (then the AI's choice is the move
    played, and the row agrees with itself) or held."""
    advice: dict[str, dict[int, Decision]] = {}
    model = replay(gdef, closed, advice=advice)
    result = model.result().to_dict()
    c = model.compiled
    rows = []
    for ct in closed:
        for actor in gdef.humans:
            m = ct.moves.get(actor)
            by = m.by if m else "hold"
            d = advice.get(actor, {}).get(ct.turn)
            played = _played(result, ct.turn, actor)
            played_move = "+".join(a["move"] for a in played if a["move"] != "hold") or "hold"
            ai_move = option_label(c, d.option) if d is not None else ""
            ai_why = sentence(c, d.rationale) if d is not None and d.rationale else ""
            refused = [a["move"] for a in played if a.get("status") == "refused"]
            rows.append(
                {
                    "turn": ct.turn,
                    "actor": actor,
                    "actor_name": c.actors[c.actor_index[actor]].name,
                    "move": played_move,
                    "move_name": move_name(c, played_move),
                    "refused": [move_name(c, r) for r in refused],
                    "by": by,
                    "justification": m.justification if m else "",
                    "ai_move": ai_move,
                    "ai_move_name": move_name(c, ai_move) if ai_move else "",
                    "ai_rationale": ai_why,
                    "same": by == "ai" or (d is not None and ai_move == played_move),
                }
            )
    return result, rows


def _played(result: dict[str, Any], turn: int, actor: str) -> list[dict[str, Any]]:
    """The actor's own actions in ``turn`` (not red-line responses)."""
    return [
        dict(a)
        for a in result["turns"][turn]["actions"]
        if a.get("actor") == actor and a.get("by") != "red_line"
    ]


def choices_html(rows: list[dict[str, Any]]) -> str:
    """The section that sets each team's choices beside the AI's (all text escaped). A turn
    the AI played for a team that did not submit says so once, and is no disagreement."""
    e = escape
    out = [
        "<p>For each turn: what the team did and why, and what the AI advisor would have "
        "chosen in the same position, and why. Highlighted rows are where they differ.</p>",
        '<table class="choices"><thead><tr><th>Turn</th><th>Actor</th><th>Team\'s move</th>'
        "<th>Team's justification</th><th>AI would have chosen</th><th>AI's reasoning</th>"
        "</tr></thead><tbody>",
    ]
    for r in rows:
        status = f" ({', '.join(r['refused'])} refused)" if r["refused"] else ""
        if r["by"] == "ai":
            team = f"{r['move_name']}{status} (no submission: the AI played)"
            ai, why = "(the AI played this turn)", r["ai_rationale"]
        else:
            held = " (no submission: held)" if r["by"] == "hold" else ""
            team = f"{r['move_name']}{status}{held}"
            ai, why = r["ai_move_name"], r["ai_rationale"]
        mark = "" if r["same"] else ' class="differs" style="background:#fff4d6"'
        out.append(
            f"<tr{mark}><td>{r['turn']}</td><td>{e(r['actor_name'])}</td>"
            f"<td>{e(team)}</td><td>{e(r['justification'])}</td>"
            f"<td>{e(ai)}</td><td>{e(why)}</td></tr>"
        )
    out.append("</tbody></table>")
    return "\n".join(out)


def talks_html(gdef: GameDef, result: dict[str, Any]) -> str:
    """The section with each negotiation: who took part (team or AI), every offer and reply
    with the reason given (a team's walk-out at the deadline or at the close says so), and
    how it ended (all text escaped)."""
    e = escape
    c = gdef.compiled()
    out = [
        '<table class="talks"><thead><tr><th>Turn</th><th>Deal</th><th>Parties</th>'
        "<th>Offers and replies</th></tr></thead><tbody>"
    ]
    for t in result["turns"]:
        for neg in t.get("negotiations", []):
            parties = ", ".join(
                f"{c.actors[c.actor_index[p]].name} ({'team' if p in gdef.humans else 'AI'})"
                for p in neg["parties"]
            )
            signed = signed_entry(result, neg, t["turn"])
            _, *steps, end = negotiation_lines(neg, labels(c), signed)
            items = "".join(f"<li>{e(x)}</li>" for x in steps)
            out.append(
                f"<tr><td>{t['turn']}</td><td>{e(neg['name'])}</td><td>{e(parties)}</td>"
                f"<td><ol>{items}</ol><b>{e(end)}</b></td></tr>"
            )
    out.append("</tbody></table>")
    return "\n".join(out)


def after_action(
    gdef: GameDef, closed: list[ClosedTurn], title: str = "", plotly_src: str | None = None
) -> str:
    """The after-action report as one HTML page (``plotly_src``: a light report that loads
    plotly.js from that address; see :func:`summitsim.viz.report.write_plotly_beside`)."""
    from ..viz.report import build_report

    result, rows = choices(gdef, closed)
    title = title or f"After-action report: {result['scenario']['title']}"
    sections = [("The teams' choices beside the AI's", choices_html(rows))]
    if any(t.get("negotiations") for t in result["turns"]):
        sections.append(("Negotiations", talks_html(gdef, result)))
    spec = gdef.loaded().spec
    return build_report(
        result, extra_sections=sections, title=title, scenario=spec, plotly_src=plotly_src
    )
