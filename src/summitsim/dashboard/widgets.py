"""Components shared by the pages: parameter controls built from a scenario, tables, panels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import ALL, Input, Output, dcc, html

from ..scenario.schema import Parameter, Scenario
from ..viz.labels import Labels


def _range_hint(p: Parameter, unit: str = "") -> str:
    if p.kind == "bool":
        return "yes or no"
    if p.kind == "choice":
        return "one of: " + ", ".join(str(c) for c in p.choices or [])
    assert p.range is not None
    lo, hi = p.range
    whole = ", whole number" if p.kind == "int" else ""
    unit_text = f" ({unit})" if unit else ""
    return f"{lo:g} to {hi:g}{unit_text}{whole}; default {p.default}"


def _slider_step(lo: float, hi: float) -> float:
    return round((hi - lo) / 100, 6)


def uses_slider(p: Parameter) -> bool:
    """Numbers on a 0-1 scale (probabilities, shares) get a slider beside their box."""
    return p.kind == "float" and p.range is not None and tuple(p.range) == (0.0, 1.0)


def param_control(
    name: str,
    p: Parameter,
    id_: Mapping[str, Any],
    value: Any = None,
    labels: Labels | None = None,
) -> html.Div:
    """One labelled input for a parameter, built from its declared range or choices.

    Numbers get a number box bounded by the range (the browser will not step past it and
    marks a typed value outside it, which the page then refuses); 0-1 numbers also get a
    slider. The server checks every value again. The control's box carries
    ``data-param=NAME`` so the page can highlight a refused value."""
    labels = labels or Labels()
    value = p.default if value is None else value
    label = labels.name("parameter", name)
    unit = labels.unit("parameter", name)
    component: Any
    extra: list[Any] = []
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
        assert p.range is not None
        lo, hi = p.range
        component = dcc.Input(
            id=dict(id_),
            type="number",
            value=value,
            min=lo,
            max=hi,
            step=1 if p.kind == "int" else "any",
            debounce=False,
            className="number",
        )
        if uses_slider(p):
            extra.append(
                dcc.Slider(
                    id={**id_, "type": f"{id_['type']}-slider"},
                    min=lo,
                    max=hi,
                    step=_slider_step(lo, hi),
                    value=value,
                    marks={lo: f"{lo:g}", (lo + hi) / 2: f"{(lo + hi) / 2:g}", hi: f"{hi:g}"},
                    updatemode="drag",
                    allow_direct_input=False,  # the number box above is the one to type in
                    className="param-slider",
                )
            )
    return html.Div(
        [
            html.Label(label, title=p.description),
            component,
            *extra,
            html.Span(_range_hint(p, unit), className="hint"),
        ],
        className="control",
        title=p.description,
        **{"data-param": field_key(id_)},  # type: ignore[arg-type]
    )


def field_key(id_: Mapping[str, Any]) -> str:
    """How a control is named when the server refuses its value: the parameter, prefixed
    with the setting on the Compare page (``"1|alpha_credibility"``)."""
    name = str(id_.get("name"))
    return f"{id_['setting']}|{name}" if "setting" in id_ else name


def param_controls(
    spec: Scenario,
    id_type: str,
    extra: Mapping[str, Any] | None = None,
    labels: Labels | None = None,
) -> list[html.Div]:
    labels = labels or Labels.from_spec(spec)
    return [
        param_control(name, p, {"type": id_type, **(extra or {}), "name": name}, labels=labels)
        for name, p in spec.parameters.items()
    ]


# Keeps each 0-1 parameter's slider and number box in step: when one changes, the other
# follows (a box whose value is out of range or not a number leaves its slider where it was).
# One callback over every box and slider of the page, so that the two may drive each other.
JS_SYNC = """function(boxes, sliders) {
    const cc = dash_clientside.callback_context;
    const nu = dash_clientside.no_update;
    const outs = cc.outputs_list;
    const key = id => (id.setting === undefined ? '' : id.setting + '|') + id.name;
    const boxIds = outs[0].map(o => o.id), sliderIds = outs[1].map(o => o.id);
    const boxOut = boxIds.map(() => nu), sliderOut = sliderIds.map(() => nu);
    for (const t of cc.triggered || []) {
        const dot = t.prop_id.lastIndexOf('.');
        let id;
        try { id = JSON.parse(t.prop_id.slice(0, dot)); } catch (e) { continue; }
        const k = key(id);
        if (id.type.endsWith('-slider')) {
            const i = boxIds.findIndex(b => key(b) === k);
            if (i >= 0 && typeof t.value === 'number') boxOut[i] = t.value;
        } else {
            const i = sliderIds.findIndex(s => key(s) === k);
            if (i >= 0 && typeof t.value === 'number' && isFinite(t.value)) sliderOut[i] = t.value;
        }
    }
    return [boxOut, sliderOut];
}"""


def mark_invalid_js(scope: str) -> str:
    """A clientside callback that marks the control of the parameter the server refused
    (``field_key``) inside ``scope`` and unmarks the others."""
    return (
        "function(field) {\n"
        f"    document.querySelectorAll({scope!r} + ' .control[data-param]').forEach(el => {{\n"
        "        el.classList.toggle('invalid', !!field && el.dataset.param === field);\n"
        "    });\n"
        "    return field || '';\n"
        "}"
    )


def register_callbacks(app: Any) -> None:
    """Callbacks every page's parameter controls need (registered once by the app)."""
    for kind, keys in (("param", ("name",)), ("cmp-param", ("setting", "name"))):
        box = {"type": kind, **{k: ALL for k in keys}}
        slider = {"type": f"{kind}-slider", **{k: ALL for k in keys}}
        app.clientside_callback(
            JS_SYNC,
            Output(box, "value", allow_duplicate=True),
            Output(slider, "value", allow_duplicate=True),
            Input(box, "value"),
            Input(slider, "value"),
            prevent_initial_call=True,
        )


def int_control(id_: str, label: str, value: int, hint: str, lo: int, hi: int) -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=id_),
            dcc.Input(id=id_, type="number", value=value, step=1, min=lo, max=hi),
            html.Span(hint, className="hint"),
        ],
        className="control",
    )


def busy(id_: str, text: str) -> html.Span:
    """A spinner and a line of text, shown while a callback runs (see ``running=``)."""
    return html.Span(
        [html.Span(className="spinner"), text],
        id=id_,
        className="busy",
        role="status",  # a polite live region: screen readers announce it
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], class_name: str = "log") -> Any:
    return html.Div(
        html.Table(
            [
                html.Thead(html.Tr([html.Th(h) for h in headers])),
                html.Tbody([html.Tr([html.Td(_cell(c)) for c in r]) for r in rows]),
            ],
            className=class_name,
        ),
        className="table-wrap",
    )


def _cell(c: Any) -> Any:
    if c is None:
        return ""
    if isinstance(c, float):
        return f"{c:.4g}"
    if isinstance(c, html.Span | html.B | html.Div):
        return c
    return str(c)


def graph(fig: Any, id_: Any, height: int) -> dcc.Graph:
    """A chart of a figure (a :class:`plotly.graph_objects.Figure` or a figure dict, which is
    changed in place), at least ``height`` pixels high."""
    if isinstance(fig, dict):
        height = max(int(height), int(fig["layout"].get("height") or 0))
        fig["layout"]["height"] = height
    else:
        height = max(int(height), int(fig.layout.height or 0))
        fig.update_layout(height=height)
    return dcc.Graph(
        id=id_,
        figure=fig,
        config={"displaylogo": False, "responsive": True},
        style={"height": f"{height}px"},
    )
