"""Signing in with a join code: the form, and the slowdown of wrong codes per address.

A wrong code from an address makes that address's next attempts wait 0.5 s, 1 s, 2 s ...
up to ``max_delay``; the count is forgotten after ten minutes without a failure. While an
address has recent failures, it gets one attempt at a time: another one sent meanwhile is
refused at once (429), so parallel connections cannot guess faster than one at a time.
Addresses without failures are not limited, so a class behind one address can sign in at once.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .store import GameStore

MAX_DELAY = 8.0  # seconds
FORGET_AFTER = 600.0  # seconds without a failure
MAX_ADDRESSES = 10_000

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>summitsim classroom</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:32em;margin:4em auto;padding:0 1em}}
input{{font-size:1.2em;padding:.3em;width:100%;box-sizing:border-box;margin:.5em 0}}
button{{font-size:1.1em;padding:.4em 1.2em}} .error{{color:#b00020}}</style></head>
<body><h1>{title}</h1><p>Enter the join code your instructor gave your team.</p>
{error}<form method="post" action="/login">
<input type="hidden" name="csrf" value="{csrf}">
<label for="code">Join code</label>
<input id="code" name="code" autocomplete="off" autofocus maxlength="64"
 placeholder="your join code">
<button id="enter" type="submit">Enter</button></form></body></html>
"""
WRONG = "That code is not valid."
BUSY = "Another sign-in from your address is being checked; try again in a few seconds."


class Throttle:
    """Wrong codes per client address: how long the next attempt waits, and whether one is
    already under way."""

    def __init__(self, max_delay: float = MAX_DELAY, forget_after: float = FORGET_AFTER):
        self.max_delay = max_delay
        self.forget_after = forget_after
        self.fails: dict[str, tuple[int, float]] = {}
        self.pending: dict[str, int] = {}
        self.lock = threading.Lock()

    def _recent(self, addr: str) -> int:
        n, last = self.fails.get(addr, (0, 0.0))
        return n if n and time.monotonic() - last <= self.forget_after else 0

    def delay(self, addr: str) -> float:
        """Seconds the next attempt from ``addr`` waits (capped, for any number of failures)."""
        with self.lock:
            n = self._recent(addr)
        return 0.0 if n == 0 else min(self.max_delay, 0.25 * 2.0 ** min(n, 32))

    @contextmanager
    def attempt(self, addr: str) -> Iterator[float | None]:
        """An attempt from ``addr``: yields the seconds to wait first, or None when the
        address has recent failures and another attempt of its is under way (refuse it)."""
        with self.lock:
            busy = self.pending.get(addr, 0)
            if busy and self._recent(addr):
                refused = True
            else:
                refused = False
                self.pending[addr] = busy + 1
        if refused:
            yield None
            return
        try:
            yield self.delay(addr)
        finally:
            with self.lock:
                left = self.pending.pop(addr, 1) - 1
                if left:
                    self.pending[addr] = left

    def failed(self, addr: str) -> None:
        with self.lock:
            n = self._recent(addr)
            self.fails[addr] = (n + 1, time.monotonic())
            if len(self.fails) > MAX_ADDRESSES:
                self.fails = {a: v for a, v in self.fails.items() if self._recent(a)}
            if len(self.fails) > MAX_ADDRESSES:  # many addresses failing at once
                self.fails.clear()

    def succeeded(self, addr: str) -> None:
        with self.lock:
            self.fails.pop(addr, None)


def page(title: str, csrf: str, error: str = "") -> str:
    """The sign-in form (``error``: a line shown above it)."""
    err = f'<p class="error" id="error">{html.escape(error)}</p>' if error else ""
    return PAGE.format(title=html.escape(title), error=err, csrf=html.escape(csrf))


def check(store: GameStore, throttle: Throttle, addr: str, code: Any) -> tuple[Any, int]:
    """The identity a submitted code gives, after the address's wait: ``(identity, 200)``,
    ``(None, 401)`` for a wrong code, ``(None, 429)`` while another attempt is under way."""
    with throttle.attempt(addr) as wait:
        if wait is None:
            return None, 429
        time.sleep(wait)
        ident = store.check_code(code[:64]) if isinstance(code, str) else None
        if ident is None:
            throttle.failed(addr)
            time.sleep(0.2)
            return None, 401
        throttle.succeeded(addr)
        return ident, 200
