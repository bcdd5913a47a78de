"""Components shared by the pages: parameter controls built from a scenario, tables, panels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import dcc, html

from ..scenario.schema import Parameter, Scenario


def _range_hint(p: Parameter) -> str:
    if p.kind == "bool":
        return "yes or no"
    if p.kind == "choice":
        return "one of: " + ", ".join(str(c) for c in p.choices or [])
    assert p.range is not None
    lo, hi = p.range
    whole = " (whole number)" if p.kind == "int" else ""
    return f"from {lo:g} to {hi:g}{whole}; default {p.default}"


def param_control(name: str, p: Parameter, id_: Mapping[str, Any], value: Any = None) -> html.Div:
    """One labelled input for a parameter, built from its declared range or choices.

    Numbers use a plain number box (no browser-side clamping): the server checks the range and
    refuses an out-of-range value with a message."""
    value = p.default if value is None else value
    component: Any
    if p.kind == "bool":
        component = dcc.RadioItems(
            id=dict(id_),
            options=[{"label": "yes", "value": True}, {"label": "no", "value": False}],
            value=bool(value),
            inline=True,
        )
    elif p.kind == "choice":
        component = dcc.Dropdown(
            id=dict(id_),
            options=[{"label": str(c), "value": c} for c in p.choices or []],
            value=value,
            clearable=False,
        )
    else:
        component = dcc.Input(
            id=dict(id_),
            type="number",
            value=value,
            step=1 if p.kind == "int" else "any",
            debounce=False,
        )
    return html.Div(
        [
            html.Label(name, title=p.description),
            component,
            html.Span(_range_hint(p), className="hint"),
        ],
        className="control",
        title=p.description,
    )


def param_controls(
    spec: Scenario, id_type: str, extra: Mapping[str, Any] | None = None
) -> list[html.Div]:
    return [
        param_control(name, p, {"type": id_type, **(extra or {}), "name": name})
        for name, p in spec.parameters.items()
    ]


def int_control(id_: str, label: str, value: int, hint: str) -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=id_),
            dcc.Input(id=id_, type="number", value=value, step=1),
            html.Span(hint, className="hint"),
        ],
        className="control",
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], class_name: str = "log") -> Any:
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in headers])),
            html.Tbody([html.Tr([html.Td(_cell(c)) for c in r]) for r in rows]),
        ],
        className=class_name,
    )


def _cell(c: Any) -> str:
    if c is None:
        return ""
    if isinstance(c, float):
        return f"{c:.4g}"
    return str(c)


def graph(fig: Any, id_: Any, height: int) -> dcc.Graph:
    fig.update_layout(height=height)
    return dcc.Graph(
        id=id_,
        figure=fig,
        config={"displaylogo": False, "responsive": True},
        style={"height": f"{height}px"},
    )
