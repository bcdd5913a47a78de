"""What the two web servers (``summitsim dashboard`` and ``summitsim classroom serve``) share:
the warning for a non-loopback address, the check of Dash callback bodies, and a threaded
HTTP server whose threads and connection read time are bounded.

Kept apart from ``dashboard/`` and ``classroom/`` because both use it and neither should
import the other.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from .errors import UserError

log = logging.getLogger("summitsim.web")

CALLBACK_PATH = "/_dash-update-component"
MAX_CONNECTIONS = 256  # threads serving connections at once; more are answered 503
READ_TIMEOUT = 30.0  # seconds a connection may stay silent, mid-request or between requests
BUSY_REPLY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nRetry-After: 2\r\n"
    b"Content-Length: 31\r\nConnection: close\r\n\r\nserver busy: try again shortly\n"
)


# ----- the listening address ---------------------------------------------------------------
def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, what: str) -> str | None:
    """One line to print when ``host`` opens ``what`` to other machines, else None."""
    if is_loopback(host):
        return None
    return (
        f"warning: {what} listens on {host}: anyone who can reach this machine can connect, "
        "over plain HTTP (no TLS); see 'Running behind a TLS proxy' in docs/classroom.md."
    )


# ----- Dash callback bodies ----------------------------------------------------------------
def _is_prop(x: Any) -> bool:
    return (
        isinstance(x, dict)
        and isinstance(x.get("id"), str | dict)
        and (isinstance(x.get("property"), str))
    )


def _is_slot(x: Any) -> bool:
    """One input, state or output of a request: a property, or a list of them (a wildcard)."""
    return _is_prop(x) or (isinstance(x, list) and all(_is_prop(p) for p in x))


def callback_problem(body: Any, callback_map: dict[str, Any]) -> str | None:
    """What is wrong with a Dash callback request's body, or None if its shape is what the
    callback it names expects (the values themselves are the callback's to check)."""
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    key = body.get("output")
    cb = callback_map.get(key) if isinstance(key, str) else None
    if cb is None:
        return "no such callback"
    outputs = body.get("outputs")
    declared = cb["output"]
    if isinstance(declared, list):
        if not isinstance(outputs, list) or len(outputs) != len(declared):
            return "the outputs do not match the callback"
        outputs_ok = all(_is_slot(o) for o in outputs)
    else:
        outputs_ok = _is_slot(outputs)
    if not outputs_ok:
        return "the outputs do not match the callback"
    for part in ("inputs", "state"):
        sent = body.get(part, [])
        if not isinstance(sent, list) or len(sent) != len(cb.get(part) or []):
            return f"the {part} do not match the callback"
        if not all(_is_slot(x) for x in sent):
            return f"malformed {part}"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "malformed changedPropIds"
    return None


def check_callback_bodies(dash_app: Any) -> None:
    """Refuse a malformed callback request with 400 and one log line, before Dash reads it
    (otherwise Dash fails on it with a 500 and a traceback in the log)."""
    import flask

    def check() -> Any:
        req = flask.request
        if req.path != CALLBACK_PATH or req.method != "POST":
            return None
        try:
            body = json.loads(req.get_data(cache=True) or b"null")
            problem = callback_problem(body, dash_app.callback_map)
        except (ValueError, RecursionError):
            problem = "the body is not valid JSON (or is nested too deeply)"
        if problem is None:
            return None
        log.warning("refused a malformed callback request: %s", problem)
        return flask.jsonify(error=f"malformed request: {problem}"), 400

    dash_app.server.before_request(check)


# ----- a server with bounded threads -------------------------------------------------------
class ListenError(UserError):
    """The address cannot be listened on (taken, or not this machine's)."""


class BoundedServer(ThreadedWSGIServer):
    """Werkzeug's threaded server with at most ``max_connections`` connections served at once
    (a connection beyond that is answered 503 and closed) and a read timeout on each."""

    def __init__(
        self,
        host: str,
        port: int,
        app: Any,
        handler: type[WSGIRequestHandler],
        max_connections: int = MAX_CONNECTIONS,
        timeout: float = READ_TIMEOUT,
    ) -> None:
        handler = type("TimedHandler", (handler,), {"timeout": timeout})
        super().__init__(host, port, app, handler=handler)
        self.slots = threading.BoundedSemaphore(max_connections)

    def server_bind(self) -> None:
        try:
            super().server_bind()
        except OSError as exc:  # werkzeug would print it and exit 1
            where = f"{self.host}:{self.port}"
            raise ListenError(f"cannot listen on {where}: {exc.strerror or exc}") from None

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            _refuse(request)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


def _refuse(request: Any) -> None:
    try:
        request.settimeout(1.0)
        request.sendall(BUSY_REPLY)
    except OSError:
        pass
