"""The dashboard as a user meets it: a real server on 127.0.0.1 and headless Chromium.

Skipped locally without a browser; a failure (not a skip) when CI=true."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import summitsim
from _browser import (
    JS_GRAPH_COUNT,
    JS_POINT_XY,
    JS_TRACE_Y,
    JS_WATCH,
    Watch,
    browser_context,
    dashboard_server,
    param_selector,
    require_browser,
)
from _names import JS_PAGE_TEXT, ids_of, page_texts, snake_case_words, visible_ids
from summitsim.engine.registry import bundled

pytestmark = pytest.mark.browser

TIMEOUT = 30_000  # ms, a bound on every wait; the figures in benchmarks/ are far below it


@pytest.fixture(scope="module")
def server():
    require_browser()
    with dashboard_server("pyongyang-2024") as srv:
        yield srv
        log = srv.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


@pytest.fixture(scope="module")
def browser():
    exe = require_browser()
    with browser_context(exe) as ctx:
        yield ctx


@pytest.fixture
def page(browser):
    pg = browser.new_page()
    watch = Watch()
    watch.attach(pg)
    pg.watch = watch
    yield pg
    pg.close()


def assert_clean(pg: Any) -> None:
    assert pg.watch.errors == [], pg.watch.errors
    assert pg.watch.external == [], pg.watch.external
    assert pg.watch.failed == [], pg.watch.failed


def wait_run(pg: Any, n: int) -> None:
    pg.wait_for_function(
        "n => (document.querySelector('#run-info')?.textContent || '').startsWith('Run ' + n)",
        arg=n,
        timeout=TIMEOUT,
    )
    pg.wait_for_function(f"() => ({JS_GRAPH_COUNT})('#run-panels') >= 4", timeout=TIMEOUT)


@pytest.mark.parametrize(
    ("path", "marker", "text"),
    [
        ("/scenario", "#scenario-summary", "Russia"),
        ("/run", "#run-panels .js-plotly-plot", "World state"),
        ("/compare", "#compare-button", "Compare settings"),
        ("/", "#scenario-summary", "Actors"),
    ],
)
def test_each_page_loads_without_console_errors(server, page, path, marker, text):
    page.goto(server.url + path)
    page.wait_for_selector(marker, timeout=TIMEOUT)
    page.wait_for_load_state("networkidle")
    assert text in page.inner_text("#page")
    assert page.locator(".error").count() == 0
    # the language is declared and each page has its own title
    assert page.evaluate("() => document.documentElement.lang") == "en"
    name = {"/run": "Run", "/compare": "Compare"}.get(path, "Scenario")
    page.wait_for_function(
        "t => document.title === t", arg=f"{name} · pyongyang-2024 · summitsim", timeout=TIMEOUT
    )
    assert_clean(page)


def test_change_a_parameter_press_run_and_the_charts_update(server, page):
    page.goto(server.url + "/run")
    wait_run(page, 1)
    before = page.evaluate(JS_TRACE_Y, ["#run-panels", "sanctions_integrity"])
    default = summitsim.run("pyongyang-2024", seed=0)
    assert before == pytest.approx(default.states["sanctions_integrity"].tolist())

    page.fill(param_selector("seoul_credibility"), "0.1")
    page.fill(param_selector("munitions_need"), "1.8")
    page.fill("#run-seed", "11")
    page.fill("#run-turns", "12")
    page.click("#run-button")
    wait_run(page, 2)
    info = page.inner_text("#run-info")
    assert "seed 11" in info and "12 turns" in info and "Seoul's credibility = 0.1" in info
    after = page.evaluate(JS_TRACE_Y, ["#run-panels", "sanctions_integrity"])
    expected = summitsim.run(
        "pyongyang-2024",
        seed=11,
        params={"seoul_credibility": 0.1, "munitions_need": 1.8},
        turns=12,
    )
    assert after == pytest.approx(expected.states["sanctions_integrity"].tolist())
    assert len(after) == 13 and after != before
    firepower = page.evaluate(JS_TRACE_Y, ["#run-panels", "russia_firepower"])
    assert firepower == pytest.approx(expected.states["russia_firepower"].tolist())
    same_seed_defaults = summitsim.run("pyongyang-2024", seed=11, turns=12)
    assert firepower != pytest.approx(same_seed_defaults.states["russia_firepower"].tolist())
    esc = page.evaluate(
        """() => { const g = document.querySelectorAll('#run-panels .js-plotly-plot')[1];
                   return Array.from(g.data.find(t => t.name === 'total').y); }"""
    )
    assert esc == pytest.approx([sum(row) for row in expected.escalation()])
    # the turn log table shows the rationales of this run
    log = page.frame_locator("#run-panels iframe").locator("table").inner_text()
    first = expected.actions.iloc[0]
    assert first["rationale"][:60] in " ".join(log.split())
    assert_clean(page)


def test_hovering_an_action_shows_its_rationale(server, page):
    page.goto(server.url + "/run")
    wait_run(page, 1)
    graph = page.locator("#run-panels .js-plotly-plot").nth(2)  # the action timeline
    graph.scroll_into_view_if_needed()
    sentence = page.evaluate(
        """() => { const g = document.querySelectorAll('#run-panels .js-plotly-plot')[2];
                   const t = g.data.findIndex(t => String(t.meta).startsWith('level:'));
                   window.Plotly.Fx.hover(g, [{curveNumber: t, pointNumber: 0}]);
                   return g.data[t].hovertext[0]; }"""
    )
    page.wait_for_selector("#run-panels .hoverlayer .hovertext", timeout=TIMEOUT)
    shown = page.locator("#run-panels .hoverlayer .hovertext").first.text_content() or ""
    first_words = sentence.split("<br>")[1].split(" ")[:4]
    assert "".join(first_words) in "".join(shown.split())
    assert_clean(page)


def test_relations_slider_changes_turn(server, page):
    page.goto(server.url + "/run")
    wait_run(page, 1)
    graph = page.locator("#run-panels .js-plotly-plot").nth(3)  # the relations network
    graph.scroll_into_view_if_needed()
    labels_of = """() => { const g = document.querySelectorAll('#run-panels .js-plotly-plot')[3];
                         const t = g.data.find(t => t.meta === 'labels');
                         return Array.from(t.customdata); }"""
    result = summitsim.run("pyongyang-2024", seed=0)
    rel_cols = [c for c in result.states.columns if c.startswith("rel:")]
    last = result.states[rel_cols].iloc[-1].tolist()
    first = result.states[rel_cols].iloc[0].tolist()
    assert page.evaluate(labels_of) == pytest.approx(last)
    rail = graph.locator(".slider-rail-rect").bounding_box()
    assert rail is not None
    page.mouse.click(rail["x"] + 2, rail["y"] + rail["height"] / 2)  # the left end: turn 0
    page.wait_for_function(
        f"() => ({labels_of})().every((v, i) => Math.abs(v - {first}[i]) < 1e-9)",
        timeout=TIMEOUT,
    )
    assert "turn 0" in (graph.locator(".slider-group").first.text_content() or "")
    assert_clean(page)


def test_out_of_range_value_is_refused_with_a_message(server, page):
    page.goto(server.url + "/run")
    wait_run(page, 1)
    box = param_selector("seoul_credibility")
    page.fill(box, "1.5")
    # the browser marks the field at once (it is bounded by the parameter's range) ...
    assert page.evaluate("sel => !document.querySelector(sel).checkValidity()", box)
    page.click("#run-button")
    page.wait_for_selector("#run-message .error", timeout=TIMEOUT)
    text = page.inner_text("#run-message")
    assert text.startswith("Seoul's credibility:") and "0 to 1" in text
    # ... and the page highlights the field the server refused
    page.wait_for_selector(".control.invalid[data-param='seoul_credibility']", timeout=TIMEOUT)
    assert page.locator(".control.invalid").count() == 1
    assert page.inner_text("#run-info").startswith("Run 1")  # the old charts stay
    assert page.evaluate(JS_GRAPH_COUNT, "#run-panels") >= 4
    page.fill(box, "0.5")
    page.click("#run-button")
    wait_run(page, 3)
    assert page.locator("#run-message .error").count() == 0
    assert page.locator(".control.invalid").count() == 0
    assert_clean(page)


def test_number_inputs_are_bounded_and_sliders_follow(server, page):
    page.goto(server.url + "/run")
    wait_run(page, 1)
    box = param_selector("seoul_credibility")
    assert page.input_value(box) == "0.8"
    page.focus(box)
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert float(page.input_value(box)) == 1.0  # not 1.8: the range ends at 1
    page.focus(param_selector("munitions_need"))
    for _ in range(3):
        page.keyboard.press("ArrowUp")
    assert float(page.input_value(param_selector("munitions_need"))) == 2.0
    page.focus(param_selector("munitions_need"))
    for _ in range(5):
        page.keyboard.press("ArrowDown")
    assert 0.25 <= float(page.input_value(param_selector("munitions_need"))) < 2.0
    # a 0-1 parameter also has a slider; moving it sets the box, and the box moves it
    thumb = "[id*='\"type\":\"param-slider\"'][id*='seoul_credibility'] [role=slider]"
    page.focus(thumb)
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "sel => Math.abs(Number(document.querySelector(sel).value) - 0.99) < 1e-9",
        arg=box,
        timeout=TIMEOUT,
    )
    page.fill(box, "0.25")
    page.wait_for_function(
        "sel => document.querySelector(sel).getAttribute('aria-valuenow') === '0.25'",
        arg=thumb,
        timeout=TIMEOUT,
    )
    assert_clean(page)


def test_run_button_is_busy_while_it_runs(server, page):
    page.goto(server.url + "/run")
    wait_run(page, 1)
    page.evaluate(JS_WATCH, ["disabled", "#run-button", "el.disabled"])
    page.evaluate(JS_WATCH, ["spinner", "#run-busy", "el.classList.contains('on')"])
    page.fill("#run-seed", "5")
    page.click("#run-button")
    wait_run(page, 2)
    assert page.evaluate("() => window.__seen") == {"disabled": True, "spinner": True}
    # and it is clickable again, the spinner gone
    page.wait_for_function(
        "() => !document.querySelector('#run-button').disabled"
        " && !document.querySelector('#run-busy').classList.contains('on')",
        timeout=TIMEOUT,
    )
    assert not page.locator("#run-busy").is_visible()
    assert_clean(page)


def test_click_pins_the_reason_and_moves_the_network(server, page):
    page.goto(server.url + "/run")
    wait_run(page, 1)
    graph = page.locator("#run-panels .js-plotly-plot").nth(2)  # the action timeline
    graph.scroll_into_view_if_needed()
    curve, point, custom, turn = page.evaluate(
        """() => { const g = document.querySelectorAll('#run-panels .js-plotly-plot')[2];
                   const c = g.data.findIndex(t => String(t.meta).startsWith('level:')
                                                   && t.x.some(x => x >= 3));
                   const p = g.data[c].x.findIndex(x => x >= 3);
                   return [c, p, g.data[c].customdata[p], Math.round(g.data[c].x[p])]; }"""
    )
    gd = graph.element_handle()
    x, y = page.evaluate(JS_POINT_XY, [gd, curve, point])
    page.mouse.click(x, y)
    page.wait_for_selector("#run-panels .pinned", timeout=TIMEOUT)
    pinned = page.inner_text("#run-panels .pinned")
    result = summitsim.run("pyongyang-2024", seed=0).to_dict()
    t, i = (int(v) for v in custom[1].split(":"))
    action = result["turns"][t]["actions"][i]
    assert action["rationale"]["sentence"] in pinned
    assert "The options it weighed" in pinned and "chance of choosing" in pinned
    rows = page.locator("#run-panels .pinned table tbody tr").count()
    assert rows == len(action["rationale"]["alternatives"])
    # the relations network shows the turn clicked
    page.wait_for_function(
        """t => { const g = document.querySelector('.relations-panel .js-plotly-plot');
                  return g.layout.sliders[0].active === t; }""",
        arg=turn,
        timeout=TIMEOUT,
    )
    assert_clean(page)


JS_LOG_ROWS = """() => {
  const f = document.querySelector('#run-panels iframe');
  const doc = new DOMParser().parseFromString(f.srcdoc, 'text/html');
  return Array.from(doc.querySelectorAll('tbody tr'))
              .map(tr => Array.from(tr.children).map(td => td.textContent));
}"""


def test_turn_log_filters_by_actor_and_turn(server, page):
    page.goto(server.url + "/run")
    wait_run(page, 1)
    all_rows = len(page.evaluate(JS_LOG_ROWS))
    assert all_rows > 24
    page.click("[id*='run-log-actors']")
    page.get_by_role("option", name="South Korea", exact=True).click()
    page.keyboard.press("Escape")
    page.wait_for_function(f"n => ({JS_LOG_ROWS})().length < n", arg=all_rows, timeout=TIMEOUT)
    rows = page.evaluate(JS_LOG_ROWS)
    assert rows and {r[1] for r in rows} == {"South Korea"}
    upper = "[id*='run-log-turns'] [role=slider] >> nth=1"
    page.focus(upper)
    for _ in range(20):
        page.keyboard.press("ArrowLeft")  # from turn 24 down to turn 4
    page.wait_for_function(
        f"() => {{ const rows = ({JS_LOG_ROWS})();"
        " return rows.length > 0 && Math.max(...rows.map(r => +r[0])) <= 4; }",
        timeout=TIMEOUT,
    )
    rows = page.evaluate(JS_LOG_ROWS)
    assert rows and max(int(r[0]) for r in rows) <= 4
    assert {r[1] for r in rows} == {"South Korea"}
    # what the table shows is what it was given
    shown = page.frame_locator("#run-panels iframe").locator("tbody tr").first.inner_text()
    assert shown.split("\t")[1] == "South Korea"
    assert_clean(page)


def test_compare_two_settings(server, page):
    page.goto(server.url + "/compare")
    page.wait_for_selector("#compare-button", timeout=TIMEOUT)
    page.fill(param_selector("seoul_credibility", 1, "cmp-param"), "0")
    page.fill("#cmp-seeds", "6")
    page.fill("#cmp-turns", "12")
    page.click("#compare-button")
    page.wait_for_function(
        "() => (document.querySelector('#cmp-info')?.textContent || '').startsWith('Compared')",
        timeout=TIMEOUT,
    )
    page.wait_for_function(f"() => ({JS_GRAPH_COUNT})('#cmp-panels') >= 3", timeout=TIMEOUT)
    assert "2 settings × 6 seeds" in page.inner_text("#cmp-info")
    names = page.evaluate(
        "() => document.querySelector('#cmp-panels .js-plotly-plot').data.map(t => t.name)"
    )
    assert names == ["setting A (n=6)", "setting B (n=6)"]
    page.wait_for_selector("#cmp-difference .js-plotly-plot .main-svg", timeout=TIMEOUT)
    # the runs as a CSV file, one row per setting and seed, columns by name
    with page.expect_download(timeout=TIMEOUT) as dl:
        page.click("#cmp-csv")
    text = Path(dl.value.path()).read_text(encoding="utf-8")
    lines = text.strip().splitlines()
    assert len(lines) == 1 + 2 * 6
    assert lines[0].startswith("setting,seed,Seoul's credibility (probability)")
    assert "seoul_credibility" not in lines[0]
    assert lines[7].startswith("setting B,0,0.0,")
    # add a setting, then remove one: the others keep their values
    page.click("#cmp-add")
    page.wait_for_selector("#cmp-setting-2", timeout=TIMEOUT)
    page.click("[id*='cmp-remove'][id*='\"setting\":0']")
    page.wait_for_function("() => !document.querySelector('#cmp-setting-0')", timeout=TIMEOUT)
    assert page.locator(".setting").count() == 2
    assert page.input_value(param_selector("seoul_credibility", 1, "cmp-param")) == "0"
    page.click("[id*='cmp-remove'][id*='\"setting\":1']")
    page.wait_for_selector("#cmp-message .error", timeout=TIMEOUT)
    assert "at least two settings" in page.inner_text("#cmp-message")
    assert page.locator(".setting").count() == 2
    assert_clean(page)


def test_compare_shows_that_it_is_busy(server, page):
    page.goto(server.url + "/compare")
    page.wait_for_selector("#compare-button", timeout=TIMEOUT)
    page.fill("#cmp-seeds", "20")
    page.evaluate(JS_WATCH, ["disabled", "#compare-button", "el.disabled"])
    page.evaluate(JS_WATCH, ["add", "#cmp-add", "el.disabled"])
    page.evaluate(JS_WATCH, ["spinner", "#cmp-busy", "el.classList.contains('on')"])
    page.click("#compare-button")
    # while it runs the button cannot be pressed again and a spinner says what is going on
    page.wait_for_function(
        "() => document.querySelector('#compare-button').disabled", timeout=TIMEOUT
    )
    assert page.locator("#cmp-busy").is_visible()
    assert "Comparing" in page.inner_text("#cmp-busy")
    page.wait_for_function(
        "() => (document.querySelector('#cmp-info')?.textContent || '').startsWith('Compared')",
        timeout=TIMEOUT,
    )
    page.wait_for_function(
        "() => !document.querySelector('#compare-button').disabled", timeout=TIMEOUT
    )
    assert not page.locator("#cmp-busy").is_visible()
    assert page.evaluate("() => window.__seen") == {"disabled": True, "add": True, "spinner": True}
    assert_clean(page)


def test_switching_scenario_rebuilds_the_controls(server, page):
    others = [s for s in bundled() if s != "pyongyang-2024"]
    if not others:
        pytest.skip("only one bundled scenario")
    other = summitsim.load_scenario(others[0]).spec
    page.goto(server.url + "/run")
    wait_run(page, 1)
    page.click("#scenario")
    page.get_by_text(f"{others[0]} (bundled)", exact=True).click()
    page.wait_for_function(
        "t => document.querySelector('#run-page h2')?.textContent === t",
        arg=other.meta.title,
        timeout=TIMEOUT,
    )
    wait_run(page, 1)
    for name in other.parameters:
        assert (
            page.locator(param_selector(name)).count()
            + page.locator(f'[id*=\'"name":"{name}"\']').count()
            >= 1
        )
    assert_clean(page)


def test_open_a_scenario_file_from_the_page(server, page, tmp_path):
    src = Path(bundled()["pyongyang-2024"]).read_text(encoding="utf-8")
    bad = tmp_path / "broken.yaml"
    bad.write_text(src.replace("turns: 24", "turns: many", 1), encoding="utf-8")
    good = tmp_path / "mine.yaml"
    good.write_text(src.replace('title: "', 'title: "Mine: ', 1), encoding="utf-8")
    page.goto(server.url + "/scenario")
    page.wait_for_selector("#scenario-summary", timeout=TIMEOUT)
    page.set_input_files("#scenario-upload input[type=file]", str(bad))
    page.wait_for_selector("#flash .error", timeout=TIMEOUT)
    assert re.match(r"broken\.yaml:\d+:\d+: meta\.turns", page.inner_text("#flash .error"))
    page.set_input_files("#scenario-upload input[type=file]", str(good))
    page.wait_for_selector("#scenario-summary h2:has-text('Mine: ')", timeout=TIMEOUT)
    assert "Opened mine.yaml" in page.inner_text("#flash")
    page.click("#nav-run")
    wait_run(page, 1)
    assert page.inner_text("#run-page h2").startswith("Mine: ")
    assert_clean(page)


def test_unknown_page_and_bad_requests_never_show_a_traceback(server, page):
    page.goto(server.url + "/no-such-page")
    page.wait_for_selector("text=Page not found", timeout=TIMEOUT)
    assert_clean(page)
    for body in (b"not json", b'{"output": "page.children"}', b"[]"):
        req = urllib.request.Request(
            server.url + "/_dash-update-component",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=10)
        text = err.value.read().decode(errors="replace")
        assert err.value.code == 400
        assert "Traceback" not in text and "File " not in text
    # debug is off: the renderer's config (in the page) has no dev-tools UI
    with urllib.request.urlopen(server.url + "/", timeout=10) as r:
        index = r.read().decode()
    raw = index.split('id="_dash-config" type="application/json">')[1].split("</script>")[0]
    config = json.loads(raw)
    assert config.get("ui") is False
    assert config.get("serve_locally", True) is not False


# ----- names, not ids; a phone ------------------------------------------------------------------
@pytest.fixture(scope="module", params=["pyongyang-2024", "hanoi-2019"])
def any_server(request):
    require_browser()
    with dashboard_server(request.param) as srv:
        srv.scenario = request.param  # type: ignore[attr-defined]
        yield srv


def visible(page: Any) -> list[str]:
    return page_texts(page.evaluate(JS_PAGE_TEXT))


def test_no_id_is_visible_on_the_run_and_compare_pages(any_server, page):
    """Every text a person reads on the Scenario, Run and Compare pages (the page's text, the
    turn log, and every chart's legend, titles, axis titles, tick labels and hover texts)
    names things; no snake_case id of the scenario's variables, parameters, outcomes, red
    lines, moves or actors appears."""
    spec = summitsim.load_scenario(any_server.scenario).spec
    ids = ids_of(spec)
    page.goto(any_server.url + "/scenario")
    page.wait_for_selector("#scenario-summary", timeout=TIMEOUT)
    texts = visible(page)
    assert visible_ids(texts, ids) == []
    assert snake_case_words(texts) == []
    page.goto(any_server.url + "/run")
    wait_run(page, 1)
    texts = visible(page)
    assert any(t.startswith("<b>turn") for t in texts)  # hover texts are read too
    assert visible_ids(texts, ids) == []
    assert snake_case_words(texts) == []
    page.goto(any_server.url + "/compare")
    page.wait_for_selector("#compare-button", timeout=TIMEOUT)
    page.fill("#cmp-seeds", "4")
    page.click("#compare-button")
    page.wait_for_function(
        "() => (document.querySelector('#cmp-info')?.textContent || '').startsWith('Compared')",
        timeout=TIMEOUT,
    )
    page.wait_for_function(f"() => ({JS_GRAPH_COUNT})('#cmp-panels') >= 4", timeout=TIMEOUT)
    texts = visible(page)
    assert visible_ids(texts, ids) == []
    assert snake_case_words(texts) == []
    assert_clean(page)


def test_the_run_page_fits_a_phone(server, browser):
    pg = browser.new_page()
    pg.set_viewport_size({"width": 390, "height": 844})
    watch = Watch()
    watch.attach(pg)
    pg.watch = watch
    try:
        pg.goto(server.url + "/run")
        wait_run(pg, 1)
        pg.wait_for_timeout(300)  # let the charts settle to the width
        width = pg.evaluate(
            "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        )
        assert width <= 390
        wide = pg.evaluate(
            """() => Array.from(document.querySelectorAll('#page *'))
                 .filter(el => el.getBoundingClientRect().right > 391)
                 .map(el => el.tagName + '.' + el.className).slice(0, 5)"""
        )
        assert wide == []
        # the world-state charts are stacked in one column on a phone
        domains = pg.evaluate(
            """() => { const g = document.querySelector('#run-panels .js-plotly-plot');
                       return Object.keys(g.layout).filter(k => /^xaxis\\d+$/.test(k))
                                    .map(k => g.layout[k].domain); }"""
        )
        assert domains and all(d == [0, 1] for d in domains)
        assert_clean(pg)
    finally:
        pg.close()
