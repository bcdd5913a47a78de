"""A small HTTP client for the classroom server, speaking to it as a browser's Dash page
does (login form, CSRF header, ``/_dash-update-component`` callbacks).

The tests and benchmarks use it; an instructor can script a game with it too.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

TEAM_VIEW = [
    ("t-status", "children"),
    ("t-move", "options"),
    ("t-briefing", "children"),
    ("t-world", "children"),
    ("t-history", "children"),
    ("t-chart", "children"),
    ("t-seen", "data"),
    ("t-move", "value"),
    ("t-why", "value"),
    ("t-last", "children"),
    ("t-move-title", "children"),
    ("t-move-note", "children"),
    ("t-rules", "data"),
    ("t-msg-box", "hidden"),
]
INSTRUCTOR_VIEW = [
    ("i-status", "children"),
    ("i-teams", "children"),
    ("i-history", "children"),
    ("i-chart", "children"),
    ("i-seen", "data"),
    ("i-pause", "hidden"),
    ("i-resume", "hidden"),
    ("i-run-state", "children"),
    ("i-close-confirm", "message"),
    ("i-undo-confirm", "message"),
    ("i-close", "children"),
    ("i-last", "children"),
]
# the instructor's buttons, in the order of the control callback's inputs; Close turn and
# Undo ask for confirmation first (their input is the dialog's OK)
CONTROLS = [
    ("close", "i-close-confirm", "submit_n_clicks"),
    ("pause", "i-pause", "n_clicks"),
    ("resume", "i-resume", "n_clicks"),
    ("undo", "i-undo-confirm", "submit_n_clicks"),
    ("inject", "i-inject", "n_clicks"),
    ("adjust", "i-adjust", "n_clicks"),
]


Prop = tuple[Any, str, Any]  # (component id, property, value)


def prop_spec(p: Prop | list[Prop]) -> Any:
    """One input or state of a request; a list of them for a wildcard (``ALL``) id."""
    if isinstance(p, list):
        return [prop_spec(x) for x in p]
    i, prop, v = p
    return {"id": i, "property": prop, "value": v}


def output_spec(outputs: list[tuple[str, str]]) -> tuple[str, Any]:
    if len(outputs) == 1:
        i, p = outputs[0]
        return f"{i}.{p}", {"id": i, "property": p}
    text = ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".."
    return text, [{"id": i, "property": p} for i, p in outputs]


class Client:
    """One browser's worth of state: cookies and the CSRF token."""

    def __init__(self, base: str, timeout: float = 30.0):
        import requests

        self.base = base.rstrip("/")
        self.http = requests.Session()
        self.timeout = timeout

    # ----- plain pages -----------------------------------------------------------------
    def login(self, code: str) -> Any:
        r = self.http.get(self.base + "/login", timeout=self.timeout)
        m = re.search(r'name="csrf" value="([^"]+)"', r.text)
        csrf = m.group(1) if m else ""
        return self.http.post(
            self.base + "/login",
            data={"code": code, "csrf": csrf},
            allow_redirects=False,
            timeout=self.timeout,
        )

    @property
    def csrf(self) -> str:
        return str(self.http.cookies.get("_csrf_token") or "")

    def get(self, path: str) -> Any:
        return self.http.get(self.base + path, timeout=self.timeout, allow_redirects=False)

    # ----- Dash callbacks --------------------------------------------------------------
    def callback(
        self,
        outputs: list[tuple[str, str]],
        inputs: list[Prop | list[Prop]],
        state: list[Prop | list[Prop]] = (),  # type: ignore[assignment]
        changed: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        text, spec = output_spec(outputs)
        body = {
            "output": text,
            "outputs": spec,
            "inputs": [prop_spec(p) for p in inputs],
            "state": [prop_spec(p) for p in state],
            "changedPropIds": [changed or f"{inputs[0][0]}.{inputs[0][1]}"],
        }
        h = {"X-CSRFToken": self.csrf} if headers is None else headers
        return self.http.post(
            self.base + "/_dash-update-component", json=body, headers=h, timeout=self.timeout
        )

    @staticmethod
    def message(resp: Any, output: str) -> Any:
        if resp.status_code != 200:
            return None
        return resp.json()["response"][output]["children"]

    def submit(self, move: str | list[str], why: str = "") -> tuple[int, Any, float]:
        """Submit a team's move (a list of moves for an actor that may take several a
        turn); returns (HTTP status, the message shown, seconds)."""
        t = time.perf_counter()
        r = self.callback(
            [("t-msg", "children")],
            [("t-submit", "n_clicks", 1)],
            [("t-move", "value", move), ("t-why", "value", why)],
        )
        return r.status_code, self.message(r, "t-msg"), time.perf_counter() - t

    def team_view(self, seen: Any = -1) -> Any:
        return self.callback(
            TEAM_VIEW,
            [("t-tick", "n_intervals", 1), ("t-msg", "children", None)],
            [("t-seen", "data", seen)],
        )

    def instructor_view(self, seen: int = -1) -> Any:
        return self.callback(
            INSTRUCTOR_VIEW,
            [("i-tick", "n_intervals", 1), ("i-msg", "children", None)],
            [("i-seen", "data", seen)],
        )

    def control(
        self,
        what: str,
        missing: str = "ai",
        inject: str | None = None,
        variable: str | None = None,
        delta: Any = None,
    ) -> tuple[int, Any]:
        """An instructor's button (confirmed, for close and undo): close, pause, resume, undo,
        inject or adjust."""
        pressed = next(((i, p) for w, i, p in CONTROLS if w == what), ("i-" + what, "n_clicks"))
        r = self.callback(
            [("i-msg", "children")],
            [(i, p, 1 if w == what else 0) for w, i, p in CONTROLS],
            [
                ("i-missing", "value", missing),
                ("i-inject-id", "value", inject),
                ("i-adjust-var", "value", variable),
                ("i-adjust-delta", "value", delta),
            ],
            changed=f"{pressed[0]}.{pressed[1]}",
        )
        return r.status_code, self.message(r, "i-msg")

    def drop(self, actor: str) -> tuple[int, Any]:
        """The instructor's *Drop* button (confirmed) for a team's submitted move."""
        key = {"type": "i-drop", "actor": actor}
        r = self.callback(
            [("i-drop-msg", "children")],
            [[(key, "submit_n_clicks", 1)]],
            changed=json.dumps(key, sort_keys=True, separators=(",", ":")) + ".submit_n_clicks",
        )
        return r.status_code, self.message(r, "i-drop-msg")

    # ----- negotiations (a game whose scenario has deals) ------------------------------
    def talks_view(self, seen: Any = None) -> Any:
        """The team's negotiation section (``t-talks``), as its page asks for it."""
        return self.callback(
            [("t-talks", "children"), ("t-talks-seen", "data")],
            [("t-tick", "n_intervals", 1), ("t-deal-msg", "children", None)],
            [("t-talks-seen", "data", seen)],
        )

    def reply(
        self, deal: str, seq: int, kind: str, terms: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """The team's *Send reply*: ``kind`` accept, offer (``terms``: issue id -> level
        id) or walk, to ``deal``'s ``seq``-th reply the page asked for."""
        terms = terms or {}
        r = self.callback(
            [("t-deal-msg", "children")],
            [("t-deal-send", "n_clicks", 1)],
            [
                ("t-deal-kind", "value", kind),
                [({"type": "t-deal-term", "issue": i}, "value", v) for i, v in terms.items()],
                ("t-deal-due", "data", {"deal": deal, "seq": seq}),
            ],
        )
        return r.status_code, self.message(r, "t-deal-msg")

    def instructor_talks(self) -> Any:
        return self.callback(
            [("i-talks", "children")],
            [("i-tick", "n_intervals", 1), ("i-talks-msg", "children", None)],
        )

    def talks_deadline(self, minutes: float | None) -> tuple[int, Any]:
        """The instructor's *Set deadline* (``minutes`` from now) or, with None, *No
        deadline*."""
        button = "i-talks-deadline" if minutes is not None else "i-talks-clear"
        r = self.callback(
            [("i-talks-msg", "children")],
            [
                ("i-talks-deadline", "n_clicks", 1 if minutes is not None else 0),
                ("i-talks-clear", "n_clicks", 1 if minutes is None else 0),
            ],
            [("i-talks-minutes", "value", minutes)],
            changed=f"{button}.n_clicks",
        )
        return r.status_code, self.message(r, "i-talks-msg")
