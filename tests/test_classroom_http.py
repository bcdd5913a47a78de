"""The classroom server's rules, checked over real HTTP on 127.0.0.1: identity, CSRF, what
each team may see and do, forged Dash callbacks, input validation and escaping."""

from __future__ import annotations

import json
import time

import pytest

from _classroom import Live, served_game
from summitsim.classroom.client import Client


@pytest.fixture
def live(tmp_path):
    lv = Live(tmp_path)
    yield lv
    lv.stop()


def view_text(resp) -> str:
    assert resp.status_code == 200, resp.text[:300]
    return json.dumps(resp.json())


# ----- identity -----------------------------------------------------------------------------
def test_wrong_code_is_refused_and_slowed(live):
    c = Client(live.base)
    times = []
    for _ in range(3):
        t = time.perf_counter()
        r = c.login("AAAA-BBBB-CCCC-DDDD")
        times.append(time.perf_counter() - t)
        assert r.status_code == 401 and "not valid" in r.text
    assert times[0] >= 0.2 and times[2] >= times[0] + 0.4  # grows with each failure
    assert c.get("/").status_code == 302  # still not in
    assert c.team_view().status_code == 403
    # the right code from the same client still works (and resets the delay)
    assert c.login(live.codes["russia"]).status_code == 302


def test_session_cookie_flags_and_no_debug(live):
    c = Client(live.base)
    r = c.login(live.codes["russia"])
    cookie = r.headers["Set-Cookie"]
    session = next(p for p in r.raw.headers.getlist("Set-Cookie") if "summitsim_session" in p)
    assert "HttpOnly" in session and "SameSite=Strict" in session
    assert "_csrf_token" in cookie
    assert r.headers["X-Frame-Options"] == "DENY"
    # a broken request gives a plain error, not a debugger or a traceback
    bad = c.http.post(
        live.base + "/_dash-update-component",
        data="{not json",
        headers={"X-CSRFToken": c.csrf, "Content-Type": "application/json"},
    )
    assert bad.status_code >= 400
    assert "Traceback" not in bad.text and "Werkzeug Debugger" not in bad.text


def test_identity_comes_from_the_server_session(live):
    ru = live.team("russia")
    # a forged cookie (not signed with the game's key) gives no identity
    forged = Client(live.base)
    forged.http.cookies.set("summitsim_session", ru.http.cookies.get("summitsim_session") + "x")
    forged.http.cookies.set("_csrf_token", ru.csrf)
    assert forged.team_view().status_code in (400, 403)
    # leaving ends the session on the server: the old cookie is useless afterwards
    stolen = dict(ru.http.cookies)
    r = ru.callback([("loc", "href")], [("logout", "n_clicks", 1)])
    assert r.status_code == 200 and r.json()["response"]["loc"]["href"] == "/login"
    again = Client(live.base)
    for k, v in stolen.items():
        again.http.cookies.set(k, v)
    assert again.team_view().status_code == 403


# ----- CSRF ---------------------------------------------------------------------------------
def test_state_changes_need_the_csrf_token(live):
    ru = live.team("russia")
    args = ([("t-msg", "children")], [("t-submit", "n_clicks", 1)])
    state = [("t-move", "value", "consult_beijing"), ("t-why", "value", "")]
    assert ru.callback(*args, state, headers={}).status_code == 403
    assert ru.callback(*args, state, headers={"X-CSRFToken": "x" * 43}).status_code == 403
    # the right token from another origin is refused too
    h = {"X-CSRFToken": ru.csrf, "Origin": "http://evil.example"}
    assert ru.callback(*args, state, headers=h).status_code == 403
    assert live.submissions() == []
    # login and logout forms need it as well
    anon = Client(live.base)
    r = anon.http.post(live.base + "/login", data={"code": live.codes["russia"]})
    assert r.status_code == 403
    assert ru.http.post(live.base + "/logout").status_code == 403
    status, msg, _ = ru.submit("consult_beijing")
    assert status == 200 and "received" in msg
    assert live.submissions() == [("russia", "consult_beijing")]


# ----- teams --------------------------------------------------------------------------------
def test_team_sees_only_its_own_briefing(live):
    spec = live.store.compiled.spec
    ru = live.team("russia")
    text = view_text(ru.team_view())
    assert spec.actors["russia"].briefing.private.strip()[:50] in text
    for aid in ("south_korea", "united_states", "china"):
        private = spec.actors[aid].briefing.private.strip()
        if private:
            assert private[:50] not in text
    assert spec.red_lines["washington_satellites"].description.strip() not in text
    us = live.team("united_states")
    assert spec.red_lines["washington_satellites"].description.strip() in view_text(us.team_view())


def test_team_cannot_act_for_another(live):
    ru = live.team("russia")
    # South Korea's move, submitted from Russia's session
    status, msg, _ = ru.submit("arm_ukraine", "for Seoul")
    assert status == 200 and "no such move" in msg
    # extra, forged inputs naming another actor are ignored: identity is the session's
    r = ru.callback(
        [("t-msg", "children")],
        [("t-submit", "n_clicks", 1), ("actor", "value", "south_korea")],
        [("t-move", "value", "hold"), ("t-why", "value", "x")],
    )
    assert r.status_code in (200, 400, 500)
    assert all(a == "russia" for a, _ in live.submissions())
    assert "south_korea" not in {a for a, _ in live.submissions()}


def test_moves_are_validated(live):
    ru = live.team("russia")
    # veto_sanctions is Russia's, but nothing is tabled to veto on turn 1
    bad_moves = ("no_such_move", "veto_sanctions", "", None, 42, ["hold"], "x" * 1000)
    # Russia takes one move a turn: never two, or three
    too_many = (["consult_beijing", "buy_munitions"], ["hold", "consult_beijing"])
    for bad in (*bad_moves, *too_many, ["buy_munitions", "consult_beijing", "warn_seoul"]):
        status, msg, _ = ru.submit(bad)  # type: ignore[arg-type]
        assert status == 200 and "received" not in str(msg), (bad, msg)
    for bad_text in ("x" * 501, "null\x00byte", {"not": "text"}):
        status, msg, _ = ru.submit("hold", bad_text)  # type: ignore[arg-type]
        assert status == 200 and "received" not in str(msg), (bad_text, msg)
    assert live.submissions() == []
    # far too large a request is cut off before it reaches the game
    r = ru.callback(
        [("t-msg", "children")],
        [("t-submit", "n_clicks", 1)],
        [("t-move", "value", "hold"), ("t-why", "value", "y" * 100_000)],
    )
    assert r.status_code == 413
    assert live.submissions() == []


@pytest.fixture
def cuba(tmp_path):
    """cuba-1962 served, Washington (two moves a turn, one per channel) played by a team."""
    yield from served_game(tmp_path, "cuba-1962", ["united_states"], seed=1, turns=3)


def test_sets_of_moves_are_validated(cuba):
    store, clients = cuba
    us = clients["united_states"]
    for bad, why in (
        (["warn_publicly", "take_to_un"], "both diplomatic moves"),
        (["step_up_surveillance", "warn_publicly", "take_to_un"], "at most 2 moves"),
        (["invade", "warn_publicly"], "not possible this turn"),  # only after an air strike
        (["hold", "warn_publicly"], "again"),
    ):
        status, msg, _ = us.submit(bad)  # type: ignore[arg-type]
        assert status == 200 and why in str(msg) and "received" not in str(msg), (bad, msg)
    assert [r for r in store.rows() if r[2] == "submit"] == []
    status, msg, _ = us.submit(["warn_publicly", "step_up_surveillance"], "both")
    assert status == 200 and "received" in msg
    assert store.state().pending["united_states"].move.move == "step_up_surveillance+warn_publicly"


def test_script_text_is_stored_as_text_and_escaped(live):
    ru = live.team("russia")
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    _, msg, _ = ru.submit("consult_beijing", evil)
    assert "received" in msg
    ins = live.instructor()
    text = view_text(ins.instructor_view())
    assert evil in json.loads(text)["response"]["i-teams"]["children"].__str__()  # as data
    ins.control("close", "hold")
    report = ins.get("/report.html")
    assert report.status_code == 200
    assert evil not in report.text and "&lt;script&gt;alert(" in report.text


def test_others_moves_hidden_until_the_turn_closes(live):
    ru, kr = live.team("russia"), live.team("south_korea")
    assert "received" in ru.submit("consult_beijing", "moscow-reason")[1]
    assert "received" in kr.submit("joint_drills", "seoul-reason")[1]
    seen = view_text(kr.team_view())
    assert "consult_beijing" not in seen and "moscow-reason" not in seen
    assert "joint_drills" in seen  # its own move
    ins = live.instructor()
    assert ins.control("close", "ai") == (200, "Turn 1 closed.")
    after = view_text(kr.team_view())
    assert "consult_beijing" in after  # now public
    assert "moscow-reason" not in after  # another team's words stay private until the debrief
    # moves can be changed until the turn closes, and not after
    assert "received" in ru.submit("hold", "a")[1]
    assert "received" in ru.submit("buy_munitions", "b")[1]
    s = live.store.state()
    assert s.turn == 2 and s.pending["russia"].move.move == "buy_munitions"


# ----- the instructor -----------------------------------------------------------------------
def test_only_the_instructor_controls_the_game(live):
    ru = live.team("russia")
    for what in ("close", "undo", "pause", "resume", "inject", "adjust"):
        status, _ = ru.control(what, "ai", "winter_shortage", "regional_tension", 5)
        assert status == 403, what
    assert ru.instructor_view().status_code == 403
    assert ru.get("/export.json").status_code == 403
    assert ru.get("/report.html").status_code == 403
    assert Client(live.base).get("/export.json").status_code == 403
    s = live.store.state()
    assert s.turn == 1 and not s.events and not s.paused
    ins = live.instructor()
    assert ins.team_view().status_code == 403  # the instructor has no team page


def test_instructor_runs_turns_injects_pause_undo_export(live):
    ins = live.instructor()
    ru = live.team("russia")
    text = view_text(ins.instructor_view())
    assert "Submissions: 0 of 3" in text and "time left" in text
    ru.submit("consult_beijing", "why not")
    assert "Submissions: 1 of 3" in view_text(ins.instructor_view())
    assert ins.control("inject", inject="winter_shortage")[0] == 200
    assert ins.control("adjust", variable="regional_tension", delta=5)[0] == 200
    assert "must be" in ins.control("adjust", variable="regional_tension", delta="lots")[1]
    assert "unknown" in ins.control("inject", inject="<b>nope</b>")[1]
    assert "one of" in ins.control("close", missing="random")[1]
    assert ins.control("pause")[1].startswith("Paused")
    assert "paused" in ru.submit("hold")[1]
    assert "paused" in view_text(ins.instructor_view())
    ins.control("resume")
    assert ins.control("close", missing="hold") == (200, "Turn 1 closed.")
    text = view_text(ins.instructor_view())
    assert "Turn 2 of 4" in text
    # the instructor sees every actor's rationale
    result = live.store.result(live.store.state())
    ai = [a for a in result["turns"][1]["actions"] if a["by"] == "ai"]
    assert ai and all(a["rationale"]["sentence"] in text for a in ai)
    assert "Winter shortages" in text or "winter_shortage" in text
    assert ins.control("undo") == (200, "Turn 1 reopened.")
    assert live.store.state().turn == 1
    exp = ins.get("/export.json")
    assert exp.status_code == 200 and exp.json()["format"] == "summitsim-classroom-game"
    assert [r["kind"] for r in exp.json()["log"]].count("close") == 1


def test_forged_store_data_is_not_trusted(live):
    """The page's dcc.Store only saves bandwidth: a forged value never reveals anything."""
    kr = live.team("south_korea")
    live.team("russia").submit("consult_beijing", "moscow-secret")
    for seen in (-1, 0, 999, "'; drop table log; --", None):
        text = view_text(kr.team_view(seen=seen))  # type: ignore[arg-type]
        assert "moscow-secret" not in text and "consult_beijing" not in text
    assert live.store.state().pending["russia"].move.move == "consult_beijing"


def test_listens_on_loopback_by_default():
    import inspect

    from summitsim.classroom.server import serve
    from summitsim.cli.classroom import serve as cli_serve

    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(cli_serve).parameters["host"].default == "127.0.0.1"


def test_logout_form_and_null_origin(live):
    ru = live.team("russia")
    # a sandboxed or privacy-stripped page sends "Origin: null": refused like any other origin
    h = {"X-CSRFToken": ru.csrf, "Origin": "null"}
    r = ru.callback(
        [("t-msg", "children")],
        [("t-submit", "n_clicks", 1)],
        [("t-move", "value", "hold"), ("t-why", "value", "")],
        headers=h,
    )
    assert r.status_code == 403 and live.submissions() == []
    r = ru.http.post(live.base + "/logout", data={"csrf": ru.csrf}, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    ru.get("/login")  # a fresh CSRF token, so only the identity can be the reason for a 403
    r = ru.team_view()
    assert r.status_code == 403 and "not signed in" in r.text
    assert ru.get("/").status_code == 302
