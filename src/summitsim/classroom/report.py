"""The after-action report: the run's report plus the people's choices beside the AI's.

It is the static HTML report of :mod:`summitsim.viz.report` with one extra section.
"""

from __future__ import annotations

from typing import Any

from ..policies.base import Decision, sentence
from ..viz.report import escape
from .game import ClosedTurn, GameDef, replay


def choices(gdef: GameDef, closed: list[ClosedTurn]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Replay the game and return its result and, for each turn and human actor, what the
    team chose (and why) beside what the AI would have chosen in its place (and why)."""
    advice: dict[str, dict[int, Decision]] = {}
    model = replay(gdef, closed, advice=advice)
    result = model.result().to_dict()
    c = model.compiled
    rows = []
    for ct in closed:
        for actor in gdef.humans:
            m = ct.moves.get(actor)
            d = advice.get(actor, {}).get(ct.turn)
            played = _played(result, ct.turn, actor)
            ai_move = c.action_label(d.action) if d is not None else ""
            ai_why = sentence(c, d.rationale) if d is not None and d.rationale else ""
            rows.append(
                {
                    "turn": ct.turn,
                    "actor": actor,
                    "actor_name": c.actors[c.actor_index[actor]].name,
                    "move": played.get("move", m.move if m else "hold"),
                    "status": played.get("status", ""),
                    "by": m.by if m else "hold",
                    "justification": m.justification if m else "",
                    "ai_move": ai_move,
                    "ai_rationale": ai_why,
                    "same": d is not None and ai_move == played.get("move"),
                }
            )
    return result, rows


def _played(result: dict[str, Any], turn: int, actor: str) -> dict[str, Any]:
    for a in result["turns"][turn]["actions"]:
        if a.get("actor") == actor and a.get("by") != "red_line":
            return dict(a)
    return {}


def choices_html(rows: list[dict[str, Any]]) -> str:
    """The section that sets each team's choices beside the AI's (all text escaped)."""
    e = escape
    out = [
        "<p>For each turn: what the team did and why, and what the AI advisor would have "
        "chosen in the same position, and why.</p>",
        '<table class="choices"><thead><tr><th>Turn</th><th>Actor</th><th>Team\'s move</th>'
        "<th>Team's justification</th><th>AI would have chosen</th><th>AI's reasoning</th>"
        "</tr></thead><tbody>",
    ]
    for r in rows:
        who = {"ai": " (AI played: no submission)", "hold": " (held: no submission)"}.get(
            r["by"], ""
        )
        status = " (refused)" if r["status"] == "refused" else ""
        mark = "" if r["same"] else ' class="differs" style="background:#fff4d6"'
        out.append(
            f"<tr{mark}><td>{r['turn']}</td><td>{e(r['actor_name'])}</td>"
            f"<td>{e(r['move'])}{e(status)}{e(who)}</td><td>{e(r['justification'])}</td>"
            f"<td>{e(r['ai_move'])}</td><td>{e(r['ai_rationale'])}</td></tr>"
        )
    out.append("</tbody></table>")
    return "\n".join(out)


def after_action(gdef: GameDef, closed: list[ClosedTurn], title: str = "") -> str:
    """The after-action report as one HTML page."""
    from ..viz.report import build_report

    result, rows = choices(gdef, closed)
    title = title or f"After-action report: {result['scenario']['title']}"
    section = ("The teams' choices beside the AI's", choices_html(rows))
    return build_report(result, extra_sections=[section], title=title, scenario=gdef.loaded().spec)
