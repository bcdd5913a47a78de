"""Two teams negotiate a deal through the real team pages in headless Chromium (Debian's),
against the real classroom server on 127.0.0.1, while the instructor's page follows the
offers. Without Chromium the test skips locally and fails when CI=true."""

from __future__ import annotations

from pathlib import Path

import pytest

from _browser import CHROMIUM_ARGS
from summitsim.classroom.game import new_def
from summitsim.classroom.server import make_server
from summitsim.classroom.store import GameStore, create
from test_classroom_browser import WAIT, chromium, enter, wait_text

DATA = Path(__file__).parent / "data" / "deal-split.yaml"


@pytest.fixture
def server(tmp_path):
    import threading

    gdef = new_def(str(DATA), ["a", "b"], seed=0, turns=4)
    codes, instructor = create(tmp_path / "g.sqlite", gdef)
    store = GameStore(tmp_path / "g.sqlite")
    srv = make_server(store, "127.0.0.1", 0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}", codes, instructor, store
    srv.shutdown()
    srv.server_close()


def send(page, kind: str, terms: dict[str, str] | None = None) -> None:
    page.wait_for_selector("#deal-form", timeout=WAIT)
    page.check(f'#t-deal-kind input[value="{kind}"]')
    if terms:
        if not page.is_visible("#t-deal-terms input"):
            page.click("#t-deal-terms summary")
        for issue, level in terms.items():
            page.check(f'#t-deal-terms div[id*=\'"issue":"{issue}"\'] input[value="{level}"]')
    page.click("#t-deal-send")
    wait_text(page, "#t-deal-msg", "Reply sent")


@pytest.mark.browser
def test_two_teams_negotiate_the_split_in_the_browser(server):
    exe = chromium()
    from playwright.sync_api import sync_playwright

    base, codes, instructor_code, store = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        try:
            a = enter(browser.new_context(), base, codes["a"])
            b = enter(browser.new_context(), base, codes["b"])
            ins = enter(browser.new_context(), base, instructor_code)
            wait_text(a, "#t-talks", "Make the opening offer")
            wait_text(a, "#t-talks", "8 (worth +0.80 to you)")
            wait_text(b, "#t-talks", "Waiting for Party A to reply")
            assert b.query_selector("#deal-form") is None
            wait_text(ins, "#i-talks", "Waiting for Party A to reply")

            send(a, "offer", {"pot": "8"})
            wait_text(b, "#t-talks", "Party A opens with A's part of the pot: 8")
            wait_text(b, "#t-deal-verdict", "In all -0.80 to you")
            assert "+0.80" not in b.inner_text("#t-talks")  # A's worth is A's alone
            wait_text(a, "#t-talks", "Waiting for Party B to reply")
            wait_text(ins, "#i-talks", "Party A opens with A's part of the pot: 8")

            send(b, "offer", {"pot": "3"})
            wait_text(a, "#t-deal-verdict", "In all +0.30 to you")
            send(a, "accept")
            wait_text(a, "#t-talks", "Signed: A's part of the pot: 3")
            wait_text(b, "#t-talks", "Signed: A's part of the pot: 3")
            wait_text(ins, "#i-talks", "Signed: A's part of the pot: 3")
            for pg in (a, b, ins):
                assert pg.errors == []  # type: ignore[attr-defined]
                assert pg.outside == []  # type: ignore[attr-defined]
        finally:
            browser.close()
    _, ot = store.talks()
    assert ot.negotiations[0]["outcome"] == "signed"
    assert ot.negotiations[0]["terms"] == {"pot": "3"}
