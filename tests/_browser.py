"""Helpers for driving the dashboard in Debian's headless Chromium through Playwright.

Used by the browser tests and by benchmarks/bench_dashboard.py. Without a browser the tests
skip locally and FAIL when ``CI=true``."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summitsim.cli import command

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CLI = command()


def chromium_path() -> str | None:
    """$CHROMIUM if set (and only it), else Debian's /usr/bin/chromium or chromium on PATH."""
    if os.environ.get("CHROMIUM"):
        cands: tuple[str | None, ...] = (os.environ["CHROMIUM"],)
    else:
        cands = ("/usr/bin/chromium", shutil.which("chromium"))
    for cand in cands:
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    return None


def require_browser() -> str:
    """The chromium path; skip (locally) or fail (CI=true) when it or Playwright is missing."""
    import pytest

    in_ci = os.environ.get("CI", "").lower() == "true"
    path = chromium_path()
    missing = None
    if path is None:
        missing = "chromium is not installed (apt-get install chromium chromium-driver)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "the playwright package is not installed (uv sync)"
    if missing is not None:
        if in_ci:
            pytest.fail(f"browser tests need a browser in CI: {missing}")
        pytest.skip(missing)
    assert path is not None
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path


@contextlib.contextmanager
def dashboard_server(*args: str, timeout: float = 90.0) -> Iterator[Server]:
    """``summitsim dashboard ARGS --port P`` in a subprocess, polled until it answers."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="summitsim-dash-") as tmp:
        log = Path(tmp) / "server.log"
        with log.open("wb") as fh:
            proc = subprocess.Popen(
                [*CLI, "dashboard", *args, "--host", "127.0.0.1", "--port", str(port)],
                stdout=fh,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"dashboard exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
                    )
                try:
                    with urllib.request.urlopen(url + "/", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"dashboard did not answer within {timeout} s")
                time.sleep(0.2)
            yield Server(url=url, proc=proc, log=log)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@dataclass
class Watch:
    """Console errors, page errors and requests that left 127.0.0.1, seen by one page."""

    errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> Any:
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on(
            "request",
            lambda r: (
                None
                if r.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))
                else self.external.append(r.url)
            ),
        )
        page.on("requestfailed", lambda r: self.failed.append(r.url))
        return page


@contextlib.contextmanager
def browser_context(executable: str) -> Iterator[Any]:
    """A Playwright browser context on the system's Chromium with a fresh user-data folder."""
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory(prefix="summitsim-chromium-") as profile,
        sync_playwright() as p,
    ):
        ctx = p.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield ctx
        finally:
            ctx.close()


# JavaScript snippets the tests and the benchmark share.
JS_GRAPH_COUNT = "sel => document.querySelectorAll(sel + ' .js-plotly-plot .main-svg').length"
# The y values of the first chart's trace whose id (meta) or name is `name`.
JS_TRACE_Y = """([sel, name]) => {
  const gd = document.querySelector(sel + ' .js-plotly-plot');
  if (!gd || !gd.data) return null;
  const t = gd.data.find(t => t.meta === name) || gd.data.find(t => t.name === name);
  return t ? Array.from(t.y) : null;
}"""
# Where a point of a chart is on the page: [x, y] in CSS pixels, for a real mouse click.
JS_POINT_XY = """([gd, curve, point]) => {
  const t = gd._fullData[curve];
  const xa = gd._fullLayout[(t.xaxis || 'x').replace('x', 'xaxis')];
  const ya = gd._fullLayout[(t.yaxis || 'y').replace('y', 'yaxis')];
  const r = gd.getBoundingClientRect();
  return [r.left + xa._offset + xa.d2p(t.x[point]), r.top + ya._offset + ya.d2p(t.y[point])];
}"""
# Records, from now on, whether an element ever got a class or attribute (a busy state that
# may come and go between two polls): window.__seen[key] becomes true.
JS_WATCH = """([key, sel, test]) => {
  window.__seen = window.__seen || {};
  window.__seen[key] = false;
  const check = new Function('el', 'return ' + test);
  const obs = new MutationObserver(() => {
    const el = document.querySelector(sel);
    if (el && check(el)) { window.__seen[key] = true; }
  });
  obs.observe(document.body, {subtree: true, attributes: true, childList: true});
}"""


def param_selector(name: str, setting: int | None = None, kind: str = "param") -> str:
    """CSS selector of a parameter input built by summitsim.dashboard.widgets."""
    sel = f'[id*=\'"name":"{name}"\'][id*=\'"type":"{kind}"\']'
    if setting is not None:
        sel += f"[id*='\"setting\":{setting}']"
    return "input" + sel
