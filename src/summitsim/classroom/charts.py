"""Charts of a game so far, for the team and instructor pages.

They are the dashboard's figures (:mod:`summitsim.viz.figures`) drawn from the game's result
(redacted for a team: see :func:`summitsim.classroom.game.redact`).
"""

from __future__ import annotations

from typing import Any


def figures(result: dict[str, Any]) -> list[Any]:
    """The world state, escalation and who-did-what timelines of the game so far."""
    from ..viz import figures as f

    return [
        f.timeline_figure(result, height=420),
        f.escalation_figure(result, height=320),
        f.action_timeline_figure(result, height=360),
    ]
