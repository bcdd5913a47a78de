"""Charts of a game so far, for the team and instructor pages.

They are the dashboard's figures (:mod:`summitsim.viz.figures`) drawn from the game's result
(redacted for a team: see :func:`summitsim.classroom.game.redact`), with every variable and
move shown by its display name.
"""

from __future__ import annotations

from typing import Any

from ..engine.compiled import Compiled
from .views import labels, variable_name


def figures(c: Compiled, result: dict[str, Any], turns: int) -> list[Any]:
    """The world state, escalation and who-did-what timelines of the game so far, each over
    the game's whole length (``turns``), so the first turns do not fill a stretched axis."""
    from ..viz import figures as f

    names = {slot: variable_name(c, slot) for slot in c.slots}
    result = _named_adjustments(c, result)
    figs = [
        f.timeline_figure(result, labels=names, height=420),
        f.escalation_figure(result, height=320),
        f.action_timeline_figure(result, move_names=labels(c).moves, height=360),
    ]
    for i, fig in enumerate(figs):
        first = 0 if i == 0 else 1  # the state starts at turn 0; moves at turn 1
        fig.update_xaxes(range=[first - 0.5, turns + 0.5], autorange=False)
    return figs


def _named_adjustments(c: Compiled, result: dict[str, Any]) -> dict[str, Any]:
    """``result`` with the instructor's changes named by the variable's display name (the
    run result names them by its id)."""
    turns = []
    for t in result["turns"]:
        injects = [
            {
                **e,
                "name": f"Instructor's change: {variable_name(c, str(e['variable']))} "
                f"{float(e['delta']):+g}",
            }
            if e.get("inject") == "adjustment"
            else e
            for e in t.get("injects", [])
        ]
        turns.append({**t, "injects": injects})
    return {**result, "turns": turns}
