"""What the team and instructor pages show, read in headless Chromium (Debian's) from the
real server on 127.0.0.1: the team's first screen (last turn first, then the moves with
escalation, red-line consequences and cooldowns, the calendar month), the instructor's
confirmations and states, and names, never ids, on both pages for each bundled scenario.

Without Chromium the tests skip locally and fail when CI=true."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from _browser import CHROMIUM_ARGS, require_browser
from _names import JS_PAGE_TEXT, ids_of, page_texts, snake_case_words, visible_ids
from summitsim.classroom.game import new_def
from summitsim.classroom.server import make_server
from summitsim.classroom.store import GameStore, create
from summitsim.engine.observation import option_label

WAIT = 30_000  # ms

pytestmark = pytest.mark.browser


@contextlib.contextmanager
def served(tmp_path: Any, scenario: str, teams: list[str], turns: int = 4) -> Iterator[Any]:
    gdef = new_def(scenario, teams, seed=1, turns=turns)
    db = tmp_path / f"{scenario}.sqlite"
    codes, instructor = create(db, gdef, deadline_minutes=6)
    store = GameStore(db)
    srv = make_server(store, "127.0.0.1", 0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}", codes, instructor, store
    finally:
        srv.shutdown()
        srv.server_close()


@contextlib.contextmanager
def browser() -> Iterator[Any]:
    exe = require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def enter(b: Any, base: str, code: str) -> Any:
    page = b.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    page.goto(base + "/")
    page.fill("#code", code)
    page.click("#enter")
    page.wait_for_load_state()
    return page


def wait_text(page: Any, selector: str, text: str) -> None:
    page.wait_for_function(
        "([s, t]) => (document.querySelector(s)?.textContent || '').includes(t)",
        arg=[selector, text],
        timeout=WAIT,
    )


def wait_option(page: Any, text: str) -> None:
    """Wait until an open dropdown lists an option with ``text``."""
    page.wait_for_function(
        "t => Array.from(document.querySelectorAll('.dash-dropdown-option'))"
        ".some(o => o.innerText.includes(t))",
        arg=text,
        timeout=WAIT,
    )


def option_text(page: Any, move: str) -> str:
    return str(
        page.evaluate(
            "m => document.querySelector(`#t-move input[value='${m}']`).closest('label').innerText",
            move,
        )
    )


def disabled(page: Any) -> dict[str, bool]:
    return dict(
        page.evaluate(
            "() => Array.from(document.querySelectorAll('#t-move input'))"
            ".map(i => [i.value, i.disabled])"
        )
    )


def close_turn(page: Any, accept: bool = True) -> str:
    """Click Close turn and answer its dialog; returns the dialog's message."""
    seen: list[str] = []

    def answer(d: Any) -> None:
        seen.append(d.message)
        d.accept() if accept else d.dismiss()

    page.once("dialog", answer)
    page.click("#i-close")
    page.wait_for_function("() => true")  # let the dialog event arrive
    for _ in range(50):
        if seen:
            break
        page.wait_for_timeout(100)
    assert seen, "Close turn did not ask for confirmation"
    return seen[0]


# ----- the team's first screen --------------------------------------------------------------
def test_team_first_screen_puts_last_turn_first(tmp_path):
    """cuba-1962, Washington: two moves a day, one per channel."""
    with served(tmp_path, "cuba-1962", ["united_states", "soviet_union"]) as (
        base, codes, ins, st,
    ):  # fmt: skip
        spec = st.compiled.spec
        with browser() as b:
            us = enter(b, base, codes["united_states"])
            wait_text(us, "#t-clock", "Turn 1 of 4")
            wait_text(us, "#t-last", "is the first turn")
            wait_text(us, "#t-chart", "The charts appear once the first turn has closed")
            us.wait_for_selector('#t-move input[value="air_strike"]', timeout=WAIT)
            # every move: its escalation score; a move that crosses a known red line: whose,
            # and the response, beside it
            for m in ("quarantine", "warn_publicly", "air_strike"):
                assert f"escalation {spec.moves[m].escalation:+g}" in option_text(us, m)
            strike = option_text(us, "air_strike")
            assert "⚠ Red line: crosses Soviet Union's red line" in strike
            assert "⚠" not in option_text(us, "warn_publicly")
            assert "2 of 2 uses left" in option_text(us, "warn_publicly")
            # two moves a turn, one per channel: the page keeps the choice legal
            assert "up to 2 moves this turn, at most one per channel" in us.inner_text(
                "#t-move-note"
            )
            us.check('#t-move input[value="quarantine"]')
            us.wait_for_function(
                "() => document.querySelector(\"#t-move input[value='air_strike']\").disabled",
                timeout=WAIT,
            )
            us.check('#t-move input[value="warn_publicly"]')
            us.wait_for_function(
                "() => document.querySelector(\"#t-move input[value='take_to_un']\").disabled",
                timeout=WAIT,
            )
            assert not disabled(us)["quarantine"] and not disabled(us)["warn_publicly"]
            us.fill("#t-why", "a quarantine and a warning")
            us.click("#t-submit")
            wait_text(us, "#t-msg", "Move for turn 1 received")
            us.wait_for_selector("#t-msg", state="visible", timeout=WAIT)
            both = f"{spec.moves['quarantine'].name} and {spec.moves['warn_publicly'].name}"
            wait_text(us, "#t-my-move", both)

            i = enter(b, base, ins)
            wait_text(i, "#i-team-table", both)
            close_turn(i)
            wait_text(i, "#i-msg", "Turn 1 closed.")

            # turn 2: the stale "received" is gone; what happened comes first
            wait_text(us, "#t-clock", "Turn 2 of 4")
            us.wait_for_selector("#t-msg", state="hidden", timeout=WAIT)
            wait_text(us, "#t-last", "What happened in turn 1")
            last = us.inner_text("#t-last")
            assert f"United States (you): {both}" in last and "a quarantine and a warning" in last
            assert "What changed" in last and "Escalation this turn:" in last
            changed = last.split("What changed")[1]
            assert spec.variables["quarantine"].label in changed  # 0 → 1
            order = us.evaluate(
                "() => ['#t-last', '#move-form', '#t-world', '#t-briefing', '#t-history',"
                " '#t-chart'].map(s => document.querySelector(s).getBoundingClientRect().top)"
            )
            assert order == sorted(order), order
            assert order[0] < 300  # on the first screen, under the status line
            # a used move keeps its place, greyed, with the reason; one use of two left
            assert disabled(us)["quarantine"] and not disabled(us)["warn_publicly"]
            assert "Not available: already used" in option_text(us, "quarantine")
            assert "1 of 2 uses left" in option_text(us, "warn_publicly")
            # charts over the game's four turns, with every actor's row
            us.wait_for_selector("#t-chart .js-plotly-plot", timeout=WAIT)
            xr = us.evaluate(
                "() => Array.from(document.querySelectorAll('#t-chart .js-plotly-plot'))"
                ".map(g => g.layout.xaxis.range)"
            )
            assert xr[0] == [-0.5, 4.5] and xr[1] == [0.5, 4.5] and xr[2] == [0.5, 4.5]
            rows = us.evaluate(
                "() => { const g = document.querySelectorAll('#t-chart .js-plotly-plot')[2];"
                " return [...new Set(g.data.flatMap(t => Array.from(t.y || [])))]; }"
            )
            assert {a.name for a in spec.actors.values()} <= set(rows)
            assert us.errors == [] and i.errors == []  # type: ignore[attr-defined]


# ----- the instructor's controls ------------------------------------------------------------
def test_instructor_confirms_close_and_sees_pause_state(tmp_path):
    game = served(tmp_path, "pyongyang-2024", ["russia", "south_korea"])
    with game as (base, codes, ins, st), browser() as b:
        i = enter(b, base, ins)
        wait_text(i, "#i-run-state", "Running: teams can submit.")
        assert i.is_visible("#i-pause") and not i.is_visible("#i-resume")
        # connected teams: Seoul's page is open, Moscow has not signed in
        kr = enter(b, base, codes["south_korea"])
        wait_text(kr, "#t-clock", "Turn 1")
        i.wait_for_function(
            "() => { const t = document.querySelector('#i-team-table').innerText;"
            " return /South Korea\\s+connected/.test(t)"
            " && /Russia\\s+not signed in/.test(t); }",
            timeout=WAIT,
        )
        # Close turn asks first; dismissing it closes nothing
        message = close_turn(i, accept=False)
        assert message.startswith("Close turn 1 now?")
        assert "Not submitted yet: Russia, South Korea" in message
        i.wait_for_timeout(500)
        assert st.state().turn == 1 and "closed" not in i.inner_text("#i-msg")
        # Pause: the button becomes Resume, the state says so, teams see it
        i.click("#i-pause")
        wait_text(i, "#i-run-state", "Paused: teams cannot submit")
        i.wait_for_selector("#i-resume", state="visible", timeout=WAIT)
        assert not i.is_visible("#i-pause")
        wait_text(kr, "#t-clock", "paused")
        i.click("#i-resume")
        wait_text(i, "#i-run-state", "Running")
        i.wait_for_selector("#i-pause", state="visible", timeout=WAIT)
        assert not i.is_visible("#i-resume")
        assert st.state().paused is False
        # now close for real, then Undo: it asks too
        assert close_turn(i).startswith("Close turn 1 now?")
        wait_text(i, "#i-msg", "Turn 1 closed.")
        wait_text(i, "#i-close", "Close turn 2")
        seen: list[str] = []
        i.once("dialog", lambda d: (seen.append(d.message), d.dismiss()))
        i.click("#i-undo")
        i.wait_for_timeout(500)
        assert seen and seen[0].startswith("Undo turn 1?") and st.state().turn == 2
        # the menus name events and variables
        assert "Choose one of 5 events" in i.inner_text("#i-inject-id")
        assert "Choose a variable" in i.inner_text("#i-adjust-var")
        i.click("#i-inject-id")
        wait_option(i, st.compiled.spec.injects["winter_shortage"].name)
        i.keyboard.press("Escape")
        i.click("#i-adjust-var")
        wait_option(i, st.compiled.spec.variables["regional_tension"].label)
        assert i.errors == [] and kr.errors == []  # type: ignore[attr-defined]


# ----- names, never ids -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "scenario, teams, several",
    [
        ("pyongyang-2024", ["russia", "south_korea", "china"], "russia"),
        ("hanoi-2019", ["united_states", "south_korea", "north_korea"], "south_korea"),
    ],
)
def test_no_snake_case_id_on_the_team_and_instructor_pages(tmp_path, scenario, teams, several):
    """After two closed turns (moves, an event, an instructor's change, a pending move and a
    queued event), the rendered text of every team page and the instructor page (charts,
    menus and placeholders included) holds no id of the scenario."""
    with served(tmp_path, scenario, teams) as (base, codes, ins, st):
        c = st.compiled
        spec = c.spec
        ids = ids_of(spec)
        var = c.slots[0]
        inject = c.injects[0].id
        # two turns with moves (a set for the actor with several), an event and a change
        for _ in range(2):
            s = st.state()
            model = st.model(s)
            obs = model.observe(c.actor_index[several])
            two = next((o for o in obs.options if len(o) == 2), obs.options[-1])
            st.submit(several, option_label(c, two), "both")
            st.inject(inject)
            st.adjust(var, 1)
            st.close_turn("ai")
        st.submit(teams[1], "hold", "pending")
        st.inject(inject)
        st.adjust(var, -1)
        with browser() as b:
            pages = {}
            for team in teams:
                p = enter(b, base, codes[team])
                wait_text(p, "#t-last", "What happened in turn 2")
                p.wait_for_selector("#t-chart .js-plotly-plot", timeout=WAIT)
                pages[team] = p
            i = enter(b, base, ins)
            wait_text(i, "#i-last", "What happened in turn 2")
            wait_text(i, "#i-team-table", "pending")
            i.wait_for_selector("#i-chart .js-plotly-plot", timeout=WAIT)
            texts: dict[str, list[str]] = {}
            for team, p in pages.items():
                p.click("#briefing-details > summary")  # open every fold
                p.click("#world-details > summary")
                texts[team] = page_texts(p.evaluate(JS_PAGE_TEXT))
            found = page_texts(i.evaluate(JS_PAGE_TEXT))
            for menu in ("#i-inject-id", "#i-adjust-var"):  # each menu open, in turn
                i.click(menu)
                i.wait_for_selector(".dash-dropdown-option", timeout=WAIT)
                found += page_texts(i.evaluate(JS_PAGE_TEXT))
                i.keyboard.press("Escape")
            texts["instructor"] = found
            for who, t in texts.items():
                assert visible_ids(t, ids) == [], who
                assert snake_case_words(t) == [], who
            # and the names are there: the queued event and change, by name
            from summitsim.viz.labels import Labels

            queued = i.inner_text("#i-teams")
            assert f"Event: {c.injects[0].name}" in queued
            assert f"Change: {Labels.from_spec(spec).slot(var)} -1" in queued
            for p in (*pages.values(), i):
                assert p.errors == []  # type: ignore[attr-defined]
