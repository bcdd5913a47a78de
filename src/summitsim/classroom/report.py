"""The after-action report: the run's report plus the people's choices beside the AI's.

It uses the static HTML report of :mod:`summitsim.viz.report` when that is available, with
one extra section of its own; otherwise it writes a small self-contained page.
"""

from __future__ import annotations

import html
from typing import Any

from ..policies.base import Decision, sentence
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


def choices_html(rows: list[dict[str, Any]], heading: bool = True) -> str:
    """The section that sets each team's choices beside the AI's (all text escaped)."""
    e = html.escape
    out = [
        "<h2>The teams' choices beside the AI's</h2>" if heading else "",
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


def rationales_html(result: dict[str, Any]) -> str:
    """Every actor's move and rationale, turn by turn."""
    e = html.escape
    out = ["<h2>Every move and its rationale</h2>"]
    for t in result["turns"][1:]:
        out.append(f"<h3>Turn {t['turn']}</h3><ul>")
        for a in t["actions"]:
            r = a.get("rationale") or {}
            who = result["actors"].get(a.get("actor"), "Event") if a.get("actor") else "Event"
            just = r.get("justification")
            extra = f" <em>Team: {e(just)}</em>" if just else ""
            out.append(
                f"<li><b>{e(str(who))}</b>: {e(str(a['move']))} ({e(a['by'])}, {e(a['status'])})"
                f" — {e(str(r.get('sentence', '')))}{extra}</li>"
            )
        for rl in t["red_lines"]:
            out.append(
                f"<li>Red line {e(rl['red_line'])} of {e(str(result['actors'][rl['owner']]))}: "
                f"{e(rl['status'])}{' and answered' if rl['responded'] else ''}</li>"
            )
        out.append("</ul>")
    return "\n".join(out)


STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;text-align:left}
tr.differs td:nth-child(3){background:#fff4d6}
"""


def standalone_html(result: dict[str, Any], rows: list[dict[str, Any]], title: str) -> str:
    e = html.escape
    outcomes = "".join(
        f"<tr><td>{e(k)}</td><td>{e(str(v))}</td></tr>" for k, v in result["outcomes"].items()
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{e(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{e(title)}</h1><p>Scenario {e(result['scenario']['id'])}, seed "
        f"{e(str(result['seed']))}, {result['n_turns']} turns.</p>"
        f"<h2>Outcomes</h2><table><tbody>{outcomes}</tbody></table>"
        f"{choices_html(rows)}{rationales_html(result)}</body></html>"
    )


def after_action(gdef: GameDef, closed: list[ClosedTurn], title: str = "") -> str:
    """The after-action report as one HTML page."""
    result, rows = choices(gdef, closed)
    title = title or f"After-action report: {result['scenario']['title']}"
    import importlib

    try:
        viz_report: Any = importlib.import_module("summitsim.viz.report")
    except ImportError:
        viz_report = None
    build = getattr(viz_report, "build_report", None)
    if build is not None:
        try:
            return str(
                build(
                    result,
                    extra_sections=[
                        ("The teams' choices beside the AI's", choices_html(rows, heading=False))
                    ],
                    title=title,
                )
            )
        except TypeError:
            pass
    return standalone_html(result, rows, title)
