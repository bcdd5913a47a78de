"""``summitsim dashboard``: the Dash app, served locally and offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import ScenarioArg, app, fail, user_errors


@app.command()
def dashboard(
    scenario: ScenarioArg = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8050,
    layout: Annotated[
        str | None,
        typer.Option(help="A dashboards/*.yaml layout id or file (default: the scenario's)."),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Dash debug mode (tracebacks in the browser).")
    ] = False,
    sweep: Annotated[
        Path | None,
        typer.Option("--sweep", help="A sweep folder to open on the Sweep page (/sweep)."),
    ] = None,
) -> None:
    """Explore runs in the browser: the scenario, a Run page with charts, and Compare.

    Everything is served by the app itself (no CDN), so it works offline."""
    import logging
    import socket

    from ..dashboard.app import create_app
    from ..web import exposure_warning

    warning = exposure_warning(host, "the dashboard")
    if warning:
        typer.echo(warning, err=True)
    with user_errors():
        dash_app = create_app(scenario, layout, debug=debug)
    if sweep is not None:
        from ..dashboard.page_sweep import open_folder
        from ..sweep.spec import SweepError

        try:
            open_folder(sweep)
        except SweepError as exc:
            fail(f"error: {exc}")
    try:  # a clear message instead of a traceback when the port is taken
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except OSError as exc:
        fail(f"error: cannot listen on {host}:{port}: {exc.strerror}")
    if not debug:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    page = "sweep" if sweep is not None else ""
    typer.echo(f"summitsim dashboard on http://{host}:{port}/{page}  (Ctrl+C to stop)", err=True)
    dash_app.run(host=host, port=port, debug=debug, dev_tools_hot_reload=False, use_reloader=False)
