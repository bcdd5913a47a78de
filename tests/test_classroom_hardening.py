"""The classroom server against a hostile student on the same network (issue 11), over real
HTTP on 127.0.0.1: text that could break the report, the login slowdown, parallel guessing,
held connections, session expiry, the game file's mode, malformed callback bodies, and the
warning for a network address. Every test is bounded in requests and time."""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import stat
import threading
import time

import pytest

from _classroom import Live
from summitsim.classroom.client import Client
from summitsim.classroom.login import Throttle
from summitsim.classroom.store import import_game
from summitsim.web import exposure_warning

WRONG = "AAAA-BBBB-CCCC-DDDD"


@pytest.fixture
def live(tmp_path):
    lv = Live(tmp_path)
    yield lv
    lv.stop()


def store_raw_submission(live: Live, actor: str, move: str, why: str) -> None:
    """A submission written straight into the game file, as an older version accepted it."""
    data = {"actor": actor, "move": move, "justification": why, "by": "human"}
    with sqlite3.connect(live.db) as c:
        c.execute(
            "INSERT INTO log (at, kind, turn, actor, data) VALUES (?, 'submit', 1, ?, ?)",
            (time.time(), actor, json.dumps(data)),
        )


# ----- text that could break the after-action report ----------------------------------------
@pytest.mark.parametrize(
    "why",
    ["lone \ud800 surrogate", "bidi \u202e override", "isolate \u2066x\u2069", "bell \x07"],
)
def test_invalid_code_points_are_refused(live, why):
    ru = live.team("russia")
    status, msg, _ = ru.submit("consult_beijing", why)
    assert status == 200 and "not allowed" in msg, msg
    assert live.submissions() == []
    status, msg, _ = ru.submit("consult_beijing", "plain text, accents é and 한국어")
    assert "received" in msg


def test_report_survives_bad_text_already_stored(live):
    store_raw_submission(live, "russia", "consult_beijing", "x\ud800y \u202eevil")
    ins = live.instructor()
    assert ins.control("close", "hold") == (200, "Turn 1 closed.")
    r = ins.get("/report.html")
    assert r.status_code == 200
    replaced, no_bidi = "x\ufffdy" in r.text, "\u202e" not in r.text
    assert replaced and no_bidi
    assert r.headers["Content-Type"].startswith("text/html")


def test_instructor_drops_a_team_move(live):
    ru, kr = live.team("russia"), live.team("south_korea")
    assert "received" in ru.submit("consult_beijing", "to be dropped")[1]
    assert "received" in kr.submit("joint_drills", "kept")[1]
    ins = live.instructor()
    view = json.dumps(ins.instructor_view().json())
    # each submitted move has a Drop button that asks for confirmation first
    assert view.count('"ConfirmDialogProvider"') == 2 and '"i-drop"' in view
    assert ru.drop("russia")[0] == 403  # teams cannot drop moves
    assert ins.drop("russia") == (200, "Russia's move for turn 1 was dropped.")
    assert "no move to drop" in ins.drop("russia")[1]
    assert "not played by a team" in ins.drop("china")[1]
    s = live.store.state()
    assert "russia" not in s.pending and s.pending["south_korea"].move.move == "joint_drills"
    assert "not submitted" in json.dumps(ru.team_view().json())
    assert ins.control("close", "hold") == (200, "Turn 1 closed.")
    closed = live.store.state().closed[-1].moves
    assert closed["russia"].by == "hold" and closed["south_korea"].justification == "kept"
    assert ins.drop("south_korea")[1].endswith("has no move to drop.")  # turn 2 is empty
    exported = ins.get("/export.json").json()
    assert [r["kind"] for r in exported["log"]].count("drop") == 1


def test_a_stored_bad_move_can_be_reopened_and_dropped(live):
    store_raw_submission(live, "russia", "consult_beijing", "bad\ud800text")
    ins = live.instructor()
    ins.control("close", "hold")
    assert ins.control("undo") == (200, "Turn 1 reopened.")
    assert ins.drop("russia")[0] == 200
    ins.control("close", "hold")
    r = ins.get("/report.html")
    gone = "bad\ufffdtext" not in r.text  # (not r.text itself: a failure would print 5 MB)
    assert r.status_code == 200 and gone


# ----- the login slowdown --------------------------------------------------------------------
def test_login_slowdown_is_capped_and_a_right_code_never_fails(tmp_path):
    throttle = Throttle(max_delay=0.3)
    throttle.fails["127.0.0.1"] = (5000, time.monotonic())  # far past 2**1024
    live = Live(tmp_path, throttle=throttle)
    try:
        c = Client(live.base)
        t = time.perf_counter()
        assert c.login(WRONG).status_code == 401
        assert c.login(live.codes["russia"]).status_code == 302
        assert time.perf_counter() - t < 3
    finally:
        live.stop()
    assert Throttle().delay("x") == 0.0
    many = Throttle()
    many.fails["x"] = (10**6, time.monotonic())
    assert many.delay("x") == 8.0


def _post_logins(base: str, code: str, n: int) -> list[tuple[int, float]]:
    """``n`` logins from ``n`` connections, sent at the same moment: (status, seconds) each."""
    clients = []
    for _ in range(n):
        c = Client(base, timeout=20)
        c.get("/login")
        clients.append(c)
    go = threading.Barrier(n)
    out: list[tuple[int, float]] = []

    def one(c: Client) -> None:
        go.wait(timeout=10)
        t = time.perf_counter()
        r = c.http.post(
            base + "/login", data={"code": code, "csrf": c.csrf}, allow_redirects=False, timeout=20
        )
        out.append((r.status_code, time.perf_counter() - t))

    threads = [threading.Thread(target=one, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return out


def test_parallel_guesses_from_one_address_are_one_at_a_time(live):
    guesser = Client(live.base)
    for _ in range(2):  # the address has failed twice: its next attempt waits 1 s
        assert guesser.login(WRONG).status_code == 401
    results = _post_logins(live.base, WRONG, 8)
    statuses = sorted(s for s, _ in results)
    assert statuses.count(401) == 1, statuses  # one guess checked, the rest refused at once
    assert statuses.count(429) == 7, statuses
    assert max(t for s, t in results if s == 429) < 0.8
    # once it is over, the right code from that address still works
    assert Client(live.base).login(live.codes["russia"]).status_code == 302


def test_a_class_behind_one_address_signs_in_at_once(live):
    codes = [live.codes[a] for a in ("russia", "south_korea", "united_states")]
    go = threading.Barrier(3)
    out: list[int] = []

    def one(code: str) -> None:
        c = Client(live.base)
        c.get("/login")
        go.wait(timeout=10)
        out.append(c.login(code).status_code)

    threads = [threading.Thread(target=one, args=(k,)) for k in codes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert out == [302, 302, 302]


# ----- threads and held connections ----------------------------------------------------------
def test_connections_are_bounded_and_time_out(tmp_path):
    live = Live(tmp_path, max_connections=4, timeout=1.0)
    addr = ("127.0.0.1", live.srv.server_port)
    held: list[socket.socket] = []
    try:
        before = threading.active_count()
        for _ in range(12):  # requests sent only in part, as a slow attacker does
            s = socket.create_connection(addr, timeout=5)
            s.sendall(b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n")
            held.append(s)
        time.sleep(0.3)
        assert threading.active_count() - before <= 4  # one thread per served connection
        busy = [s.recv(200) for s in held[4:]]
        assert all(b.startswith(b"HTTP/1.1 503") for b in busy), busy
        t = time.perf_counter()
        for s in held[:4]:  # the four being served are dropped after the read timeout
            assert s.recv(200) == b""
        assert time.perf_counter() - t < 3
        assert Client(live.base).get("/login").status_code == 200
    finally:
        for s in held:
            s.close()
        live.stop()


# ----- sessions and the game file ------------------------------------------------------------
def test_expired_session_is_refused(live):
    ru, kr = live.team("russia"), live.team("south_korea")
    assert live.store.session_ttl > 3600  # a lesson at least
    with sqlite3.connect(live.db) as c:  # Russia signed in longer ago than a session lasts
        c.execute(
            "UPDATE sessions SET created = created - ? WHERE actor = 'russia'",
            (live.store.session_ttl + 1,),
        )
    r = ru.team_view()
    assert r.status_code == 403 and "not signed in" in r.text
    assert ru.get("/").status_code == 302  # back to the sign-in form
    assert kr.team_view().status_code == 200
    assert live.team("russia").team_view().status_code == 200  # the code still works


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_game_file_is_private(live, tmp_path):
    assert _mode(live.db) == 0o600
    _, msg, _ = live.team("russia").submit("consult_beijing")  # the server writes its log
    assert "received" in msg
    wal = live.db.with_name(live.db.name + "-wal")
    assert wal.exists() and _mode(wal) == 0o600
    copy = tmp_path / "copy.sqlite"
    import_game(live.store.export(), copy)
    assert _mode(copy) == 0o600


# ----- malformed callback bodies -------------------------------------------------------------
T_MSG = {"output": "t-msg.children", "outputs": {"id": "t-msg", "property": "children"}}
CLICK = [{"id": "t-submit", "property": "n_clicks", "value": 1}]
STATE = [
    {"id": "t-move", "property": "value", "value": "hold"},
    {"id": "t-why", "property": "value", "value": ""},
]
BAD_BODIES = {
    "empty list": "[]",
    "null": "null",
    "a number": "7",
    "empty object": "{}",
    "30,000-deep nesting": "[" * 30_000 + "]" * 30_000,
    "deep inside a value": json.dumps({**T_MSG, "inputs": CLICK, "state": 0}).replace(
        "0}", "[" * 30_000 + "]" * 30_000 + "}"
    ),
    "inputs of the wrong type": json.dumps({**T_MSG, "inputs": None, "state": None}),
    "inputs that are numbers": json.dumps({**T_MSG, "inputs": [1, 2, 3], "state": STATE}),
    "too few states": json.dumps({**T_MSG, "inputs": CLICK, "state": STATE[:1]}),
    "mismatched outputs": json.dumps(
        {**T_MSG, "outputs": [T_MSG["outputs"], {"id": "x"}], "inputs": CLICK, "state": STATE}
    ),
    "one output for many": json.dumps(
        {**T_MSG, "output": "..t-status.children...t-move.options..", "inputs": CLICK}
    ),
    "an unknown output": json.dumps({**T_MSG, "output": "nope.children", "inputs": []}),
    "changedPropIds not a list": json.dumps(
        {**T_MSG, "inputs": CLICK, "state": STATE, "changedPropIds": 5}
    ),
}


@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_malformed_callback_bodies_get_400_without_traceback(live, caplog, name):
    ru = live.team("russia")
    caplog.set_level(logging.INFO)
    r = ru.http.post(
        live.base + "/_dash-update-component",
        data=BAD_BODIES[name],
        headers={"X-CSRFToken": ru.csrf, "Content-Type": "application/json"},
        timeout=10,
    )
    assert r.status_code == 400, (r.status_code, r.text[:200])
    assert "malformed request" in r.text and "Traceback" not in r.text
    assert "Traceback" not in caplog.text
    assert not any(rec.exc_info for rec in caplog.records)
    assert live.submissions() == []
    assert "received" in ru.submit("hold")[1]  # a well-formed one still works


# ----- the listening address -----------------------------------------------------------------
@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_addresses_get_no_warning(host):
    assert exposure_warning(host, "x") is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.org"])
def test_network_addresses_get_a_warning(host):
    text = exposure_warning(host, "x")
    assert text is not None and text.startswith("warning:") and "\n" not in text


def test_serve_warns_on_a_network_address(live):
    from typer.testing import CliRunner

    from summitsim.cli import app

    # 192.0.2.1 (TEST-NET-1) is no address of this machine: the warning, then no server
    res = CliRunner().invoke(app, ["classroom", "serve", str(live.db), "--host", "192.0.2.1"])
    assert res.exit_code == 2, res.output
    lines = res.stderr.splitlines()
    assert lines[0].startswith("warning: the classroom server listens on 192.0.2.1")
    assert lines[1].startswith("error: cannot listen on 192.0.2.1:8050")
    with socket.socket() as taken:  # loopback: no warning (a taken port, so no server)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        res = CliRunner().invoke(app, ["classroom", "serve", str(live.db), "--port", port])
    assert res.exit_code == 2 and res.stderr.startswith("error: cannot listen"), res.stderr
