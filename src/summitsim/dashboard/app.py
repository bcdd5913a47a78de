"""The Dash app: scenario choice, page routing, validation of every input, offline assets.

>>> from summitsim.dashboard.app import create_app
>>> app = create_app("hanoi-2019")          # doctest: +SKIP
>>> app.run(host="127.0.0.1", port=8050)    # doctest: +SKIP
"""

from __future__ import annotations

import functools
import importlib
import json
import logging
import pkgutil
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dash import Dash, Input, Output, dcc, html, no_update
from dash.exceptions import PreventUpdate

from ..engine.compiled import coerce_params, slot_names
from ..engine.registry import bundled, default_scenario, load_scenario
from ..errors import UserError
from ..scenario import LoadedScenario, ScenarioError
from ..web import check_callback_bodies
from .layout import Layout, layout_for
from .pages import Page, registered_pages

log = logging.getLogger("summitsim.dashboard")

MAX_UPLOADS = 20
MAX_TURNS = 240  # the most turns the Run and Compare pages accept
MAX_REQUEST_BYTES = 4_000_000
PACKAGE_DIR = Path(__file__).resolve().parent
ASSETS = PACKAGE_DIR / "assets"


class InputError(UserError):
    """A value from the browser that the dashboard refuses; the message is shown to the user.
    ``field`` names the parameter at fault, if one is (the page highlights it)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


USER_ERRORS = (ScenarioError, UserError)  # shown to the user as a message


@dataclass(frozen=True)
class PageRequest:
    """What a page layout function gets: the chosen scenario and its layout."""

    key: str  # the scenario key as the scenario menu knows it
    scenario: LoadedScenario
    layout: Layout
    search: str = ""


class DashContext:
    """Server-side state shared by the pages: which scenarios may be opened, and layouts.

    Only bundled ids, the file given on the command line and files uploaded through the Scenario
    page can be opened: a scenario key from the browser is looked up here, never used as a path.
    """

    def __init__(self, scenario: str | Path | None = None, layout: str | Path | None = None):
        self.files: dict[str, LoadedScenario] = {}
        self.uploads: OrderedDict[str, LoadedScenario] = OrderedDict()
        self.layout_override = layout
        self._layouts: dict[str, Layout] = {}
        self._lock = threading.Lock()
        ref = default_scenario() if scenario is None else str(scenario)
        if ref not in bundled():
            loaded = load_scenario(ref)
            key = f"file:{Path(ref).name}"
            self.files[key] = loaded
            self.default = key
        else:
            load_scenario(ref)  # fail early on a broken bundled file
            self.default = ref

    # ----- scenarios -------------------------------------------------------------------------
    def options(self) -> list[dict[str, str]]:
        opts = [{"label": f"{sid} (bundled)", "value": sid} for sid in bundled()]
        opts += [{"label": f"{k[5:]} (file)", "value": k} for k in self.files]
        opts += [{"label": f"{v.id} (uploaded {k.split(':')[-1]})", "value": k} for k, v in
                 self.uploads.items()]  # fmt: skip
        return opts

    def scenario(self, key: Any) -> LoadedScenario:
        if not isinstance(key, str) or not key:
            raise InputError("no scenario chosen")
        if key in self.files:
            return self.files[key]
        if key in self.uploads:
            return self.uploads[key]
        if key in bundled():
            return load_scenario(key)
        raise InputError(f"unknown scenario {key[:80]!r}; choose one from the scenario menu")

    def add_upload(self, loaded: LoadedScenario) -> str:
        key = f"upload:{loaded.id}:{loaded.sha256[:10]}"
        with self._lock:
            self.uploads[key] = loaded
            self.uploads.move_to_end(key)
            while len(self.uploads) > MAX_UPLOADS:
                self.uploads.popitem(last=False)
        return key

    # ----- layouts ---------------------------------------------------------------------------
    def layout(self, loaded: LoadedScenario) -> Layout:
        """The scenario's layout, checked against its variables (:class:`ScenarioError` if it
        is malformed or names an unknown one); loaded once per scenario content."""
        hit = self._layouts.get(loaded.sha256)
        if hit is None:
            slots = slot_names(loaded.spec)
            hit = layout_for(loaded.spec.meta.dashboard, self.layout_override).check(slots).layout
            self._layouts[loaded.sha256] = hit
        return hit

    def request(self, key: Any, search: str = "") -> PageRequest:
        loaded = self.scenario(key)
        return PageRequest(key=key, scenario=loaded, layout=self.layout(loaded), search=search)


# ----- helpers for pages ------------------------------------------------------------------------
def error_box(message: str) -> html.Div:
    return html.Div(message, className="error", role="alert")


def user_message(exc: BaseException) -> str:
    if isinstance(exc, ScenarioError):
        return "\n".join(exc.problems)
    return f"error: {exc}"


def safe_callback(n_outputs: int, message_index: int) -> Callable[[Callable[..., Any]], Any]:
    """Wrap a callback so bad input becomes a message in output ``message_index`` (others are
    left unchanged), and an unexpected failure is logged and shown as one line, never as a
    traceback."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def inner(*args: Any) -> Any:
            try:
                return fn(*args)
            except PreventUpdate:
                raise
            except USER_ERRORS as exc:
                msg: Any = error_box(user_message(exc))
            except Exception as exc:
                log.exception("callback %s failed", fn.__name__)
                msg = error_box(f"error: the request could not be handled ({type(exc).__name__})")
            out: list[Any] = [no_update] * n_outputs
            out[message_index] = msg
            return tuple(out) if n_outputs > 1 else out[0]

        return inner

    return wrap


def as_int(value: Any, name: str, lo: int, hi: int) -> int:
    """An integer from a browser input, or :class:`InputError`."""
    if value is None or value == "":
        raise InputError(f"{name}: enter a whole number from {lo} to {hi}")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InputError(f"{name}: {str(value)[:40]!r} is not a whole number")
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"{name}: {str(value)[:40]!r} is not a whole number") from None
    if not number.is_integer():
        raise InputError(f"{name}: {value!r} is not a whole number")
    if not lo <= number <= hi:
        raise InputError(f"{name}: {int(number)} is outside the range {lo} to {hi}")
    return int(number)


def parse_params(loaded: LoadedScenario, ids: Sequence[Any], values: Sequence[Any]) -> dict:
    """Parameter values from the browser, checked against the scenario (range, type, choices).
    A refusal names the parameter by its display name and says which one (``field``)."""
    from ..engine.compiled import ParamError
    from ..viz.labels import Labels

    spec = loaded.spec
    labels = Labels.from_spec(spec)
    if (
        not isinstance(ids, list | tuple)
        or not isinstance(values, list | tuple)
        or len(ids) != len(values)
    ):
        raise InputError("malformed parameter values")
    overrides: dict[str, Any] = {}
    for pid, value in zip(ids, values, strict=True):
        name = pid.get("name") if isinstance(pid, dict) else None
        if not isinstance(name, str) or name not in spec.parameters:
            raise InputError(f"unknown parameter {str(name)[:40]!r}")
        p = spec.parameters[name]
        label = labels.name("parameter", name)
        if value is None or value == "":
            lo_hi = f" from {p.range[0]:g} to {p.range[1]:g}" if p.range else ""
            raise InputError(f"{label}: enter a value{lo_hi}", name)
        if isinstance(value, dict | list):
            raise InputError(f"{label}: not a single value", name)
        if p.kind in ("int", "float") and isinstance(value, bool):
            raise InputError(f"{label}: {value!r} is not a number", name)
        try:
            coerce_params(spec, {name: value})
        except ParamError as exc:
            text = str(exc).replace(f"parameter {name!r}", label, 1)
            for kind, words in (
                ("float", "a number"),
                ("int", "a whole number"),
                ("bool", "yes or no"),
                ("choice", "one of the choices"),
            ):
                text = text.replace(f"is not a valid {kind}", f"is not {words}")  # fmt: skip
            if p.range is not None and "outside range" in text:
                text = f"{label}: {value} is outside its range, {p.range[0]:g} to {p.range[1]:g}"
            raise InputError(text, name) from None
        overrides[name] = value
    return coerce_params(spec, overrides)


# ----- the app ----------------------------------------------------------------------------------
def warm_up(loaded: LoadedScenario) -> None:
    """Import and compile the engine and Plotly's figure classes now, so that the first Run or
    Compare click does not pay for them (about a second each, once per process)."""
    from ..api import run
    from ..viz import figures as F

    result = run(loaded, seed=0, turns=2).to_dict()
    groups = {"a": [result], "b": [result]}
    F.timeline_figure(result)
    F.escalation_figure(result)
    F.action_timeline_figure(result)
    F.relations_figure(result)
    F.outcomes_figure(result)
    F.outcome_frequency_figure(groups)
    F.first_crossed_figure(groups)
    F.outcome_distribution_figure(groups)
    F.difference_figure(groups)
    for v in F.variables_of(result)[:1]:
        F.compare_bands_figure(groups, v).to_plotly_json()


_BUILTIN = ("page_scenario", "page_run", "page_compare")


def load_page_modules() -> None:
    """Import the built-in pages and every ``page_*`` module of this package (they register)."""
    names = set(_BUILTIN) | {
        m.name for m in pkgutil.iter_modules([str(PACKAGE_DIR)]) if m.name.startswith("page_")
    }
    for name in sorted(names):
        importlib.import_module(f"{__package__}.{name}")


# Dash's page, with the language declared (screen readers, hyphenation, translation).
# ``[[preload]]`` and ``[[start_plotly]]`` are filled in by ``index_string``.
INDEX = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
        [[preload]]
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
            [[start_plotly]]
        </footer>
    </body>
</html>"""

# Dash fetches Plotly.js (4.8 MB; ~0.1 s to start in the browser) only when the first chart
# is mounted, after the page's callbacks have answered. The page fetches it at once instead;
# ``window.summitsimStartPlotly()`` starts it (unless Dash has begun loading it already: Dash
# then finds ``window.Plotly`` set). The Run page calls it as it sends its first run to the
# server, so that Plotly.js starts while the server works; other pages start it when the
# browser is idle, a second after the page has loaded.
PLOTLY_JS = "_dash-component-suites/plotly/package_data/plotly.min.js"
JS_START_PLOTLY = """(function () {
    var url = %s;
    window.summitsimStartPlotly = function () {
        var scripts = Array.from(document.scripts);
        if (window.Plotly || scripts.some(function (e) { return e.getAttribute('src') === url; })) {
            return;
        }
        var s = document.createElement('script');
        s.src = url;
        s.async = true;
        document.head.appendChild(s);
    };
    window.addEventListener('load', function () {
        window.setTimeout(function () {
            if (window.requestIdleCallback) {
                window.requestIdleCallback(window.summitsimStartPlotly, {timeout: 2000});
            } else {
                window.summitsimStartPlotly();
            }
        }, 1000);
    });
})();"""


def index_string(prefix: str) -> str:
    """The page Dash serves, for an app at ``prefix`` (its ``requests_pathname_prefix``)."""
    from html import escape

    preload = f'<link rel="preload" href="{escape(prefix + PLOTLY_JS)}" as="script">'
    start = JS_START_PLOTLY % json.dumps(prefix + PLOTLY_JS).replace("</", "<\\/")
    return INDEX.replace("[[preload]]", preload).replace(
        "[[start_plotly]]", f"<script>{start}</script>"
    )


# Sets the tab's title for the page shown: "Run · <scenario id> · summitsim".
JS_TITLE = """function(path, key) {
    const links = Array.from(document.querySelectorAll('header.top nav a'));
    const here = links.find(a => a.getAttribute('href') === path) || links[0];
    const page = here ? here.textContent : '';
    document.title = [page, key, 'summitsim'].filter(Boolean).join(' · ');
    return document.title;
}"""


def page_title(page: str | None, scenario: str | None = None) -> str:
    return " · ".join(x for x in (page, scenario, "summitsim") if x)


def _install_error_handlers(server: Any) -> None:
    from werkzeug.exceptions import HTTPException

    def handle(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):
            return exc
        log.warning("refused a malformed request: %s: %s", type(exc).__name__, exc)
        return ({"error": "malformed request"}, 400)

    server.register_error_handler(Exception, handle)


def _titles_by_path(app: Dash, pages: Sequence[Page], ctx: DashContext) -> None:
    """Give the first HTML of each page its own title (the browser shows it before any
    JavaScript runs); JS_TITLE keeps it up to date afterwards."""
    from flask import request

    names = {p.path: p.name for p in pages}
    first = pages[0].name if pages else None
    interpolate = app.interpolate_index

    def with_title(**kw: Any) -> str:
        try:
            path = "/" + request.path.strip("/").split("/")[0]
        except RuntimeError:  # outside a request
            path = "/"
        kw["title"] = page_title(names.get(path, first), ctx.default)
        return interpolate(**kw)

    app.interpolate_index = with_title  # type: ignore[method-assign,assignment]


def create_app(
    scenario: str | Path | None = None,
    layout: str | Path | None = None,
    *,
    debug: bool = False,
    extra_pages: Sequence[Page] = (),
    warm: bool = True,
) -> Dash:
    """Build the dashboard for ``scenario`` (a bundled id or a path; it may be switched in the
    page). Raises :class:`ScenarioError` for a bad scenario or layout file."""
    ctx = DashContext(scenario, layout)
    first = ctx.scenario(ctx.default)
    ctx.layout(first)  # a malformed or mismatched layout fails here, before serving
    load_page_modules()
    extra = {p.key: p for p in extra_pages}  # for this app only; the registry is unchanged
    pages = sorted(
        [p for p in registered_pages() if p.key not in extra] + list(extra.values()),
        key=lambda p: (p.order, p.key),
    )
    if warm:
        warm_up(first)

    app = Dash(
        __name__,
        title="summitsim dashboard",
        assets_folder=str(ASSETS),
        serve_locally=True,
        suppress_callback_exceptions=True,
        update_title="",
        compress=False,
    )
    app.config.include_assets_files = True
    app.index_string = index_string(app.config.requests_pathname_prefix)
    _titles_by_path(app, pages, ctx)
    app.summitsim_ctx = ctx  # type: ignore[attr-defined]
    app.summitsim_debug = debug  # type: ignore[attr-defined]
    _install_error_handlers(app.server)
    check_callback_bodies(app)
    # Requests are small (an upload is at most ~1.4 MB as base64); refuse huge bodies (413).
    app.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES

    home = pages[0].path if pages else "/"
    app.layout = html.Div(
        [
            dcc.Location(id="url", refresh=False),
            dcc.Store(id="page-title"),
            html.Header(
                [
                    html.H1("summitsim"),
                    html.Nav(
                        [dcc.Link(p.name, href=p.path, id=f"nav-{p.key}") for p in pages],
                    ),
                    html.Div(
                        dcc.Dropdown(
                            id="scenario",
                            options=ctx.options(),
                            value=ctx.default,
                            clearable=False,
                        ),
                        className="scenario-pick",
                    ),
                ],
                className="top",
            ),
            html.Main([html.Div(id="flash", className="message"), html.Div(id="page")]),
        ]
    )

    by_path = {p.path: p for p in pages}
    app.clientside_callback(
        JS_TITLE, Output("page-title", "data"), Input("url", "pathname"), Input("scenario", "value")
    )
    from .widgets import register_callbacks

    register_callbacks(app)

    @app.callback(
        Output("page", "children"),
        Input("url", "pathname"),
        Input("url", "search"),
        Input("scenario", "value"),
    )
    def route(pathname: Any, search: Any, key: Any) -> Any:
        path = pathname if isinstance(pathname, str) else "/"
        page = by_path.get("/" + path.strip("/").split("/")[0]) if path.strip("/") else None
        if page is None and path.strip("/") == "":
            page = by_path.get(home)
        if page is None:
            return html.Div(
                [
                    html.H2("Page not found"),
                    html.P(["Pages: ", *[dcc.Link(p.name + " ", href=p.path) for p in pages]]),
                ]
            )
        try:
            req = ctx.request(key, search if isinstance(search, str) else "")
            return page.layout(ctx, req)
        except USER_ERRORS as exc:
            return error_box(user_message(exc))
        except Exception as exc:
            log.exception("page %s failed", page.key)
            return error_box(f"error: the page could not be built ({type(exc).__name__})")

    for page in pages:
        if page.callbacks is not None:
            page.callbacks(app, ctx)
    if warm:
        from .page_compare import start_pool

        start_pool()  # Compare's worker processes, forked before the server's threads start
    return app
