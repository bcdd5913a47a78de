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
    JS_TRACE_Y,
    Watch,
    browser_context,
    dashboard_server,
    param_selector,
    require_browser,
)
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
    assert "seed 11" in info and "12 turns" in info and "seoul_credibility=0.1" in info
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
    log = page.frame_locator("[id^='run-turnlog-table']").locator("table").inner_text()
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
                   const t = g.data.findIndex(t => t.name === 'ai');
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
    page.fill(param_selector("seoul_credibility"), "1.5")
    page.click("#run-button")
    page.wait_for_selector("#run-message .error", timeout=TIMEOUT)
    assert "outside range [0.0, 1.0]" in page.inner_text("#run-message")
    assert page.inner_text("#run-info").startswith("Run 1")  # the old charts stay
    assert page.evaluate(JS_GRAPH_COUNT, "#run-panels") >= 4
    page.fill(param_selector("seoul_credibility"), "0.5")
    page.click("#run-button")
    wait_run(page, 3)
    assert page.locator("#run-message .error").count() == 0
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
    page.click("#cmp-add")
    page.wait_for_selector("#cmp-setting-2", timeout=TIMEOUT)
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
