"""Two teams and an instructor play three turns through the real pages, in headless Chromium
(Debian's), against the real server on 127.0.0.1. Without Chromium the test skips locally and
fails when CI=true."""

from __future__ import annotations

import re
import threading

import pytest

from _browser import CHROMIUM_ARGS, chromium_path
from conftest import need
from summitsim.classroom.game import new_def, options
from summitsim.classroom.server import make_server
from summitsim.classroom.store import GameStore, create

WAIT = 30_000  # ms


def chromium() -> str:
    path = chromium_path()
    need(path is not None, "chromium is not installed (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        need(False, "playwright is not installed")
    assert path is not None
    return path


@pytest.fixture
def server(tmp_path):
    gdef = new_def("pyongyang-2024", ["russia", "south_korea"], seed=1, turns=4)
    codes, instructor = create(tmp_path / "g.sqlite", gdef, deadline_minutes=10)
    store = GameStore(tmp_path / "g.sqlite")
    srv = make_server(store, "127.0.0.1", 0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}", codes, instructor, store
    srv.shutdown()
    srv.server_close()


def enter(ctx, base: str, code: str):
    page = ctx.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith(("http://127.0.0.1", "data:")) else outside.append(r.url)
        ),
    )
    page.goto(base + "/")
    assert page.url.endswith("/login")
    page.fill("#code", code)
    page.click("#enter")
    page.wait_for_load_state()
    page.errors, page.outside = errors, outside  # type: ignore[attr-defined]
    return page


def submit(page, move: str, why: str, name: str) -> None:
    """Choose ``move`` (moves joined by ``+`` for an actor with several a turn; ``hold``)
    and submit it; ``name`` is what the page calls it once received."""
    page.wait_for_selector("#t-move input", timeout=WAIT)
    for box in page.query_selector_all("#t-move input[type=checkbox]:checked"):
        box.uncheck()
    for m in move.split("+"):
        if m != "hold" or page.query_selector('#t-move input[value="hold"]'):
            page.check(f'#t-move input[value="{m}"]', timeout=WAIT)
    page.fill("#t-why", why)
    page.click("#t-submit")
    wait_text(page, "#t-msg", "received")
    wait_text(page, "#t-my-move", name)


def close_turn(page) -> None:
    """The instructor's Close turn, confirmed in the dialog it opens."""
    page.once("dialog", lambda d: d.accept())
    page.click("#i-close")


def wait_text(page, selector: str, text: str) -> None:
    page.wait_for_function(
        "([s, t]) => (document.querySelector(s)?.textContent || '').includes(t)",
        arg=[selector, text],
        timeout=WAIT,
    )


@pytest.mark.browser
def test_two_teams_and_instructor_play_three_turns(server):
    exe = chromium()
    from playwright.sync_api import sync_playwright

    base, codes, instructor_code, store = server
    spec = store.compiled.spec
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        try:
            # separate contexts: separate cookie jars, as on three machines
            ru = enter(browser.new_context(), base, codes["russia"])
            kr = enter(browser.new_context(), base, codes["south_korea"])
            ins = enter(browser.new_context(), base, instructor_code)
            wrong = browser.new_context().new_page()
            wrong.goto(base + "/login")
            wrong.fill("#code", "AAAA-BBBB-CCCC-DDDD")
            wrong.click("#enter")
            assert "not valid" in wrong.inner_text("#error")

            wait_text(ru, "#team-name", "Russia")
            wait_text(ru, "#t-briefing", spec.actors["russia"].briefing.private.strip()[:40])
            wait_text(kr, "#t-briefing", "Your briefing")
            kr_text = kr.inner_text("body")
            assert spec.actors["russia"].briefing.private.strip()[:40] not in kr_text
            wait_text(ins, "#i-status", "Turn 1 of 4")
            wait_text(ins, "#i-clock", "time left")

            # turn 1: both submit; Russia changes its mind before the turn closes
            consult = spec.moves["consult_beijing"].name
            submit(ru, "warn_seoul", "first thoughts", spec.moves["warn_seoul"].name)
            submit(ru, "consult_beijing", "keep Beijing close", consult)
            reassure = spec.moves["ask_us_reassurance"].name
            submit(kr, "ask_us_reassurance", "we want Washington close", reassure)
            assert consult not in kr.inner_text("#t-last")  # hidden before the close
            wait_text(ins, "#i-count", "Submissions: 2 of 2")
            wait_text(ins, "#i-team-table", "keep Beijing close")
            wait_text(ins, "#i-team-table", consult)
            close_turn(ins)
            wait_text(ins, "#i-msg", "Turn 1 closed.")
            wait_text(ins, "#i-status", "Turn 2 of 4")
            wait_text(kr, "#t-last", f"Russia: {consult}")  # now every team sees it
            assert "keep Beijing close" not in kr.inner_text("#t-last")

            # turn 2: only Seoul submits; the instructor injects an event and lets the AI
            # play Moscow
            wait_text(kr, "#t-clock", "Turn 2")
            submit(kr, "joint_drills", "show resolve", spec.moves["joint_drills"].name)
            ins.click("#i-inject-id")
            ins.keyboard.type("Winter")
            ins.keyboard.press("Enter")
            ins.click("#i-inject")
            wait_text(ins, "#i-msg", "will happen when this turn closes")
            ins.check('#i-missing input[value="ai"]')
            close_turn(ins)
            wait_text(ins, "#i-status", "Turn 3 of 4")
            wait_text(ru, "#t-clock", "Turn 3")
            wait_text(ru, "#t-last", "What happened in turn 2")
            wait_text(ru, "#t-history", "Turn 1")

            # turn 3: both submit; close with missing = hold
            s3 = store.state()
            # the last of Russia's own moves open now (not a commitment it could break)
            third = [
                o["move"] for o in options(store.model(s3), "russia") if o["move"] in spec.moves
            ][-1]
            submit(ru, third, "shells", spec.moves[third].name)
            submit(kr, "hold", "", "Hold")
            ins.check('#i-missing input[value="hold"]')
            close_turn(ins)
            wait_text(ins, "#i-status", "Turn 4 of 4")
            wait_text(kr, "#t-last", "What happened in turn 3")

            # the instructor sees every actor's rationale and the charts
            wait_text(ins, "#i-last", "What happened in turn 3")
            result = store.result(store.state())
            ai = [a for a in result["turns"][3]["actions"] if a["by"] == "ai"]
            hist = ins.inner_text("#i-last")
            assert ai and all(a["rationale"]["sentence"][:40] in hist for a in ai)
            ins.wait_for_selector("#i-chart .js-plotly-plot", timeout=WAIT)
            ru.wait_for_selector("#t-chart .js-plotly-plot", timeout=WAIT)

            # after-action report, opened from the instructor page
            with ins.expect_popup() as pop:
                ins.click("text=After-action report")
            report = pop.value
            report.wait_for_load_state()
            body = report.inner_text("body")
            assert "keep Beijing close" in body and "we want Washington close" in body
            # a team cannot open it
            r = ru.request.get(base + "/report.html")
            assert r.status == 403

            for pg in (ru, kr, ins):
                assert pg.errors == []  # type: ignore[attr-defined]
                assert pg.outside == []  # type: ignore[attr-defined]
        finally:
            browser.close()

    state = store.state()
    assert state.turn == 4
    moves = [{a: m.move for a, m in ct.moves.items()} for ct in state.closed]
    assert moves[0] == {"russia": "consult_beijing", "south_korea": "ask_us_reassurance"}
    assert moves[1]["south_korea"] == "joint_drills" and state.closed[1].moves["russia"].by == "ai"
    assert state.closed[1].events == [{"inject": "winter_shortage"}]
    assert moves[2] == {"russia": third, "south_korea": "hold"}
    assert re.match(r"^\w", state.closed[2].moves["russia"].justification)
