"""Charts of a game so far, for the team and instructor pages.

They use the dashboard's figure functions (:mod:`summitsim.viz.figures`) when those are
available, and a plain Plotly line chart of the variables otherwise.
"""

from __future__ import annotations

from typing import Any


def state_figure(result: dict[str, Any]) -> Any:
    """The variables, turn by turn, as a Plotly figure."""
    import importlib

    try:
        figures: Any = importlib.import_module("summitsim.viz.figures")
    except ImportError:
        figures = None
    timeline = getattr(figures, "timeline_figure", None)
    if timeline is not None:
        try:
            return timeline(result)
        except Exception:  # the dashboard's figures are optional here: fall back
            pass
    return plain_figure(result)


def plain_figure(result: dict[str, Any]) -> Any:
    import plotly.graph_objects as go

    turns = [t["turn"] for t in result["turns"]]
    fig = go.Figure()
    names = [k for k in result["turns"][0]["state"] if not k.startswith("rel:")]
    for name in names:
        fig.add_trace(
            go.Scatter(
                x=turns,
                y=[t["state"][name] for t in result["turns"]],
                mode="lines+markers",
                name=name,
            )
        )
    fig.update_layout(
        title="The world, turn by turn",
        xaxis_title="turn",
        height=420,
        margin={"l": 40, "r": 10, "t": 50, "b": 40},
        template="plotly_white",
    )
    return fig
