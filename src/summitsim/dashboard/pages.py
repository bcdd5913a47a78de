"""The page registry: each dashboard page is a :class:`Page` registered by a module.

The built-in pages (Scenario, Run, Compare) live in ``page_scenario.py``, ``page_run.py`` and
``page_compare.py``. :func:`summitsim.dashboard.app.create_app` imports every module of this
package whose name starts with ``page_``, so another part of summitsim adds a page by dropping a
``page_<name>.py`` module here that calls :func:`register_page` at import time (see
docs/dashboard.md). A page may also be passed to ``create_app(extra_pages=[...])``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import DashContext, PageRequest


@dataclass(frozen=True)
class Page:
    """One page of the dashboard.

    ``layout(ctx, request)`` returns the page's Dash components for the chosen scenario;
    ``callbacks(app, ctx)`` registers the page's callbacks once, when the app is created.
    Component ids must be unique across pages: prefix them with the page's ``key``."""

    key: str  # e.g. "run"; the URL path is "/" + key
    name: str  # the link text, e.g. "Run"
    layout: Callable[[DashContext, PageRequest], Any]
    callbacks: Callable[[Any, DashContext], None] | None = None
    order: int = 100

    @property
    def path(self) -> str:
        return "/" + self.key


_PAGES: dict[str, Page] = {}


def register_page(page: Page) -> Page:
    """Add (or replace) a page; the key must be a lowercase word."""
    if not page.key.replace("-", "").replace("_", "").isalnum() or page.key != page.key.lower():
        raise ValueError(f"page key {page.key!r} must be a lowercase word")
    _PAGES[page.key] = page
    return page


def registered_pages() -> list[Page]:
    return sorted(_PAGES.values(), key=lambda p: (p.order, p.key))
