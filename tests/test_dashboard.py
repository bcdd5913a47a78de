"""The dashboard without a browser: layouts, and the server's answers to good and bad requests.

Callbacks are exercised over HTTP through Flask's test client, with the payloads Dash's renderer
sends, so the validation that protects the server is what is tested."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from dash import html

import summitsim
from summitsim.cli import command
from summitsim.dashboard.app import create_app
from summitsim.dashboard.layout import bundled_layouts, load_layout, load_layout_file
from summitsim.dashboard.pages import Page
from summitsim.engine.registry import bundled
from summitsim.scenario import ScenarioError

CLI = command()
ROOT = Path(__file__).resolve().parent.parent


# ----- layouts ---------------------------------------------------------------------------------
def _slots(sid: str) -> list[str]:
    spec = summitsim.load_scenario(sid).spec
    return list(spec.variables) + [f"rel:{a}:{b}" for a, b in (r.between for r in spec.relations)]


def test_default_layout_works_for_every_bundled_scenario():
    assert "default" in bundled_layouts()
    for sid in bundled():
        loaded = load_layout("default").check(_slots(sid))
        kinds = [p.kind for p in loaded.layout.run.panels]
        assert {"timeline", "escalation", "actions", "relations", "outcomes", "turn_log"} <= set(
            kinds
        )


def test_classroom_layout_names_pyongyang_variables():
    loaded = load_layout("classroom").check(_slots("pyongyang-2024"))
    first = loaded.layout.run.panels[0]
    assert first.kind == "timeline" and "russia_firepower" in first.variables
    assert [p.kind for p in loaded.layout.report_panels][:1] == ["timeline"]


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("id: x\nrun:\n  panels:\n    - kind: pie\n", ":4:13:", "run.panels.0.kind"),
        (
            "id: x\nrun:\n  panels:\n    - {kind: escalation, colour: red}\n"
            "compare:\n  panels: [{kind: bands}]\n",
            ":4:34:",
            "colour: unknown key (check the spelling; docs/dashboard.md",
        ),
        (
            "id: x\nrun:\n  panels:\n    - kind: escalation\n      variables: [x]\n"
            "compare:\n  panels: [{kind: bands}]\n",
            ":4:7:",
            "applies to timeline panels only",
        ),
        ("id: x\nrun: [unclosed\n", ":3:1:", "YAML syntax error"),
        (
            "id: x\nrun:\n  panels:\n    - {kind: timeline, height: 5}\n"
            "compare:\n  panels: [{kind: bands}]\n",
            ":4:32:",
            "greater than or equal to 150",
        ),
        ("- just\n- a list\n", ":1:1:", "must be a mapping"),
        (
            "id: x\nrun:\n  panels: [{kind: timeline}]\ncompare:\n  seeds: 900\n  max_seeds: 10\n"
            "  panels: [{kind: bands}]\n",
            ":5:3:",
            "above max_seeds",
        ),
    ],
)
def test_malformed_layout_files_get_file_line_col(tmp_path, text, where, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_layout_file(path)
    joined = "\n".join(err.value.problems)
    assert f"{path}{where}" in joined
    assert message in joined


def test_layout_naming_an_unknown_variable_points_at_it(tmp_path):
    path = tmp_path / "l.yaml"
    path.write_text(
        "id: mine\nrun:\n  panels:\n    - kind: timeline\n      variables: [russia_firepower, "
        "nonsense]\ncompare:\n  panels: [{kind: bands}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as err:
        load_layout(path).check(_slots("pyongyang-2024"))
    assert err.value.problems[0].startswith(f"{path}:5:37: run.panels.0.variables: unknown")
    assert "'nonsense'" in err.value.problems[0]


def test_unknown_layout_id():
    with pytest.raises(ScenarioError, match="no such layout file or bundled layout id"):
        load_layout("no-such-layout")


def test_cli_refuses_bad_layout_and_scenario_before_serving(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\nrun:\n  panels:\n    - kind: pie\n", encoding="utf-8")
    proc = subprocess.run(
        [*CLI, "dashboard", "--layout", str(bad), "--port", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert f"{bad}:4:13: run.panels.0.kind" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = subprocess.run(
        [*CLI, "dashboard", "no-such-scenario"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert "no such scenario file or bundled id" in proc.stderr
    assert "Traceback" not in proc.stderr


# ----- the server ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def app():
    return create_app("pyongyang-2024")


@pytest.fixture
def client(app):
    return app.server.test_client()


def _key(app, first_output: str) -> str:
    keys = [k for k in app.callback_map if k.startswith(f"..{first_output}") or k == first_output]
    assert len(keys) == 1, keys
    return keys[0]


def call(client, app, first_output: str, inputs: list, state: list, changed: str | None = None):
    """POST a callback request the way Dash's renderer does; return (status, response json)."""
    key = _key(app, first_output)
    outputs = [
        {"id": part.split(".")[0], "property": part.split(".")[1].split("@")[0]}
        for part in (key.strip(".").split("...") if key.startswith("..") else [key])
    ]
    payload = {
        "output": key,
        "outputs": outputs if key.startswith("..") else outputs[0],
        "inputs": inputs,
        "changedPropIds": [changed] if changed else [],
        "state": state,
    }
    r = client.post("/_dash-update-component", json=payload)
    body = r.get_data(as_text=True)
    assert "Traceback" not in body
    return r.status_code, (json.loads(body) if body.strip().startswith("{") else body)


def _param_state(values: dict[str, Any], prefix: str = "param", setting: int | None = None):
    extra = {} if setting is None else {"setting": setting}
    ids = [{"type": prefix, **extra, "name": n} for n in values]
    return (
        [{"id": i, "property": "id", "value": i} for i in ids],
        [
            {"id": i, "property": "value", "value": v}
            for i, v in zip(ids, values.values(), strict=True)
        ],
    )


DEFAULTS = {
    name: p.default for name, p in summitsim.load_scenario("pyongyang-2024").spec.parameters.items()
}
assert DEFAULTS["seoul_credibility"] == 0.8 and DEFAULTS["kim_holds_out"] is False


def run_request(
    client,
    app,
    params=None,
    seed: Any = 0,
    turns: Any = 24,
    scenario="pyongyang-2024",
    width: Any = None,
    defaults: dict[str, Any] | None = None,
):
    base = DEFAULTS if defaults is None else defaults
    ids, vals = _param_state({**base, **(params or {})})
    return call(
        client,
        app,
        "run-panels.children",
        [
            {"id": "run-button", "property": "n_clicks", "value": 1},
            {"id": "run-width", "property": "data", "value": width},
        ],
        [
            {"id": "scenario", "property": "value", "value": scenario},
            ids,
            vals,
            {"id": "run-seed", "property": "value", "value": seed},
            {"id": "run-turns", "property": "value", "value": turns},
        ],
        "run-button.n_clicks",
    )


def route_request(client, app, path: str, scenario: Any = "pyongyang-2024"):
    """Ask for a page, the way the renderer does when the URL or the scenario menu changes."""
    return call(
        client,
        app,
        "page.children",
        [
            {"id": "url", "property": "pathname", "value": path},
            {"id": "url", "property": "search", "value": ""},
            {"id": "scenario", "property": "value", "value": scenario},
        ],
        [],
    )


def _graphs(tree: Any) -> list[dict[str, Any]]:
    """Every dcc.Graph's props in a serialised component tree."""
    out = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Graph":
                out.append(node["props"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(tree)
    return out


def test_index_is_offline_and_debug_is_off(app, client):
    page = client.get("/").get_data(as_text=True)
    urls = re.findall(r"(?:src|href)=\"([^\"]+)\"", page)
    assert urls and all(u.startswith("/") for u in urls)
    assert "https://" not in page and "http://" not in page
    assert app.config.serve_locally is True
    assert app.server.debug is False
    assert not app._dev_tools.get("ui")
    # the assets Dash needs, including plotly.js for the graphs, are served by the app
    for u in urls:
        assert client.get(u).status_code == 200, u


def test_run_uses_the_values_from_the_page(app, client):
    chosen = {"seoul_credibility": 0.1, "munitions_need": 1.8, "kim_holds_out": True}
    status, body = run_request(client, app, chosen, seed=4, turns=10)
    assert status == 200
    resp = body["response"]
    info = resp["run-info"]["children"]
    assert "Run 2" in info and "Seoul's credibility = 0.1" in info and "10 turns" in info
    assert "seoul_credibility" not in info
    graphs = _graphs(resp["run-panels"]["children"])
    assert [g["id"]["kind"] for g in graphs] == ["timeline", "escalation", "actions", "relations"]
    timeline = graphs[0]["figure"]
    expected = summitsim.run(seed=4, params=chosen, turns=10).states
    default = summitsim.run(seed=4, turns=10).states
    assert not expected.equals(default)  # else this test could not tell the values were used
    lines = {t["meta"]: t for t in timeline["data"] if t.get("mode") == "lines"}
    assert set(lines) == {c for c in expected.columns if not c.startswith("rel:")}
    assert lines["russia_firepower"]["name"] == "Russia's artillery edge"
    assert resp["run-request"]["data"] == {
        "key": "pyongyang-2024",
        "params": {**DEFAULTS, **chosen},
        "seed": 4,
        "turns": 10,
    }
    for name, line in lines.items():
        assert list(line["x"]) == list(range(11))
        assert line["y"] == pytest.approx(expected[name].tolist()), name
    assert resp["run-message"]["children"] is None


@pytest.mark.parametrize(
    ("params", "seed", "turns", "message"),
    [
        (
            {"seoul_credibility": 1.5},
            0,
            24,
            "Seoul's credibility: 1.5 is outside its range, 0 to 1",
        ),
        ({"seoul_credibility": -0.01}, 0, 24, "outside its range"),
        ({"munitions_need": "lots"}, 0, 24, "Russia's need for shells: 'lots' is not a number"),
        ({"munitions_need": None}, 0, 24, "enter a value from 0.25 to 2"),
        ({"munitions_need": {"$gt": 1}}, 0, 24, "not a single value"),
        ({"munitions_need": True}, 0, 24, "is not a number"),
        ({"kim_holds_out": "perhaps"}, 0, 24, "is not yes or no"),
        ({}, -1, 24, "seed: -1 is outside the range"),
        ({}, "abc", 24, "seed: 'abc' is not a whole number"),
        ({}, 0, 0, "turns: 0 is outside the range 1 to 240"),
        ({}, 0, 2.5, "not a whole number"),
        ({}, 0, [1], "not a whole number"),
    ],
)
def test_run_refuses_bad_values_with_a_message(app, client, params, seed, turns, message):
    status, body = run_request(client, app, params, seed=seed, turns=turns)
    assert status == 200
    resp = body["response"]
    assert "run-panels" not in resp  # the previous charts stay
    box = resp["run-message"]["children"]
    assert box["props"]["className"] == "error"
    assert message in box["props"]["children"]
    assert "_" not in box["props"]["children"].split(":")[0]  # the field by name, not id
    if params:  # the page is told which field to highlight
        assert resp["run-invalid"]["data"] == next(iter(params))


def test_run_refuses_unknown_parameter_and_unknown_scenario(app, client):
    ids, vals = _param_state({"seoul_credibility": 0.5, "made_up": 1})
    status, body = call(
        client,
        app,
        "run-panels.children",
        [
            {"id": "run-button", "property": "n_clicks", "value": 1},
            {"id": "run-width", "property": "data", "value": None},
        ],
        [
            {"id": "scenario", "property": "value", "value": "pyongyang-2024"},
            ids,
            vals,
            {"id": "run-seed", "property": "value", "value": 0},
            {"id": "run-turns", "property": "value", "value": 3},
        ],
    )
    assert (
        "unknown parameter 'made_up'"
        in body["response"]["run-message"]["children"]["props"]["children"]
    )
    for bad in ("no-such-scenario", "../../etc/passwd", 42, None):
        status, body = run_request(client, app, scenario=bad)
        assert status == 200
        text = body["response"]["run-message"]["children"]["props"]["children"]
        assert "unknown scenario" in text or "no scenario chosen" in text


def test_pages_render_and_unknown_ones_do_not(app, client):
    for path, marker in [
        ("/scenario", "scenario-page"),
        ("/run", "run-page"),
        ("/", "scenario-page"),
        ("/compare", "compare-page"),
    ]:
        status, body = route_request(client, app, path)
        assert status == 200
        assert body["response"]["page"]["children"]["props"]["id"] == marker
    status, body = route_request(client, app, "/nowhere")
    assert "Page not found" in json.dumps(body)
    status, body = route_request(client, app, "/run", "not-a-scenario")
    assert "unknown scenario" in json.dumps(body)
    for sid in bundled():  # every bundled scenario opens on every page
        for path in ("/scenario", "/run", "/compare"):
            status, body = route_request(client, app, path, sid)
            assert status == 200 and '"className": "error"' not in json.dumps(body), (sid, path)


def test_the_scenario_page_lists_the_deals(app, client):
    _, body = route_request(client, app, "/scenario")
    text = json.dumps(body)
    spec = summitsim.load_scenario("pyongyang-2024").spec
    deal = spec.deals["summit"]
    assert "Deals (negotiated at the start of a turn)" in text and deal.name in text
    for issue in deal.issues.values():
        assert issue.name in text
        assert all(o.name in text for o in issue.options or [])
    _, body = route_request(client, app, "/scenario", "taiwan-1996")
    assert "Deals (negotiated" not in json.dumps(body)


def _compare(client, app, settings: list[tuple[str, Any]], seeds: Any = 3, turns: Any = 6):
    """A Compare request; a setting whose parameters are None sends only its label."""
    ids: list = []
    vals: list = []
    label_ids = []
    label_vals = []
    for i, (label, params) in enumerate(settings):
        if params is not None:
            a, b = _param_state({**DEFAULTS, **params}, "cmp-param", i)
            ids += a
            vals += b
        lid = {"type": "cmp-label", "setting": i}
        label_ids.append({"id": lid, "property": "id", "value": lid})
        label_vals.append({"id": lid, "property": "value", "value": label})
    return call(
        client,
        app,
        "cmp-panels.children",
        [{"id": "compare-button", "property": "n_clicks", "value": 1}],
        [
            {"id": "scenario", "property": "value", "value": "pyongyang-2024"},
            ids,
            vals,
            label_ids,
            label_vals,
            {"id": "cmp-seeds", "property": "value", "value": seeds},
            {"id": "cmp-turns", "property": "value", "value": turns},
        ],
        "compare-button.n_clicks",
    )


def test_compare_runs_each_setting_over_the_seeds(app, client):
    status, body = _compare(
        client,
        app,
        [
            ("credible", {"seoul_credibility": 1.0}),
            ("bluff", {"seoul_credibility": 0.0, "munitions_need": 2.0}),
        ],
        seeds=5,
    )
    assert status == 200
    resp = body["response"]
    assert "2 settings × 5 seeds" in resp["cmp-info"]["children"]
    graphs = _graphs(resp["cmp-panels"]["children"])
    freq = next(g for g in graphs if g["id"]["kind"] == "outcome_frequency")["figure"]
    assert [t["name"] for t in freq["data"]] == ["credible (n=5)", "bluff (n=5)"]
    bluff = [
        summitsim.run(
            seed=s, params={"seoul_credibility": 0.0, "munitions_need": 2.0}, turns=6
        ).outcomes
        for s in range(5)
    ]
    trace = freq["data"][1]
    k = [c[2] for c in trace["customdata"]].index("missile_tech_transferred")
    assert trace["x"][k] == "Missile technology transferred"
    assert trace["y"][k] == pytest.approx(sum(o["missile_tech_transferred"] for o in bluff) / 5)
    bands = [g for g in graphs if g["id"]["kind"] == "bands"]
    fire = next(g for g in bands if g["id"]["variable"] == "russia_firepower")["figure"]
    median = next(t for t in fire["data"] if t["name"] == "bluff: median (n=5)")
    runs = [
        summitsim.run(seed=s, params={"seoul_credibility": 0.0, "munitions_need": 2.0}, turns=6)
        for s in range(5)
    ]
    arr = np.array([r.states["russia_firepower"].tolist() for r in runs])
    assert median["y"] == pytest.approx(np.median(arr, axis=0).tolist())
    assert {g["id"]["variable"] for g in bands} == set(
        summitsim.load_scenario("pyongyang-2024").spec.variables
    )
    # the difference view: bluff minus credible, with an interval, per yes/no outcome
    diff = next(g for g in graphs if g["id"]["kind"] == "difference")["figure"]
    dots = diff["data"][0]
    assert dots["name"] == "bluff − credible"
    credible = [
        summitsim.run(seed=s, params={"seoul_credibility": 1.0}, turns=6).outcomes for s in range(5)
    ]
    k = [c[3] for c in dots["customdata"]].index("missile_tech_transferred")
    p_b = sum(o["missile_tech_transferred"] for o in bluff) / 5
    p_a = sum(o["missile_tech_transferred"] for o in credible) / 5
    assert dots["x"][k] == pytest.approx(100 * (p_b - p_a))
    assert resp["cmp-csv"]["disabled"] is False and resp["cmp-token"]["data"]


class HttpClient:
    """The test client's ``post`` over real HTTP, for the server on 127.0.0.1 (see live_dash)."""

    class Reply:
        def __init__(self, r: Any):
            self.status_code, self.text = r.status_code, r.text

        def get_data(self, as_text: bool = True) -> str:
            return self.text

    def __init__(self, base: str):
        self.base = base

    def post(self, path: str, json: Any = None, data: Any = None, content_type: Any = None):
        import requests

        headers = {"Content-Type": content_type} if content_type else None
        r = requests.post(self.base + path, json=json, data=data, headers=headers, timeout=60)
        return self.Reply(r)


@pytest.fixture(scope="module")
def live_dash(app):
    """The dashboard served on 127.0.0.1 by a real HTTP server in this process."""
    import threading

    from werkzeug.serving import make_server

    srv = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield HttpClient(f"http://127.0.0.1:{srv.server_port}")
    srv.shutdown()
    srv.server_close()


def test_compare_refuses_more_settings_than_the_page_allows(app, live_dash):
    """The Add button stops at six; a forged request with forty is refused all the same."""
    settings = [("a", {}), ("b", {})] + [(f"s{i}", None) for i in range(2, 40)]
    status, body = _compare(live_dash, app, settings, seeds=1, turns=2)
    assert status == 200
    assert "cmp-panels" not in body["response"]
    text = body["response"]["cmp-message"]["children"]["props"]["children"]
    assert "at most 6" in text


def test_compare_refuses_too_much_work_at_once(app, live_dash):
    t = time.perf_counter()
    status, body = _compare(live_dash, app, [("a", {}), ("b", {})], seeds=50, turns=240)
    assert time.perf_counter() - t < 2  # refused before running anything
    assert status == 200 and "cmp-panels" not in body["response"]
    text = body["response"]["cmp-message"]["children"]["props"]["children"]
    assert "2 settings × 50 seeds × 240 turns = 24,000 simulated turns, at most 12,000" in text
    status, body = _compare(live_dash, app, [("a", {}), ("b", {})], seeds=5, turns=24)
    assert "2 settings × 5 seeds" in body["response"]["cmp-info"]["children"]


def test_dashboard_warns_on_a_network_address():
    from typer.testing import CliRunner

    from summitsim.cli import app as cli

    # 192.0.2.1 (TEST-NET-1) is no address of this machine: the warning, then no server
    res = CliRunner().invoke(cli, ["dashboard", "--host", "192.0.2.1"])
    assert res.exit_code == 2, res.output
    lines = res.stderr.splitlines()
    assert lines[0].startswith("warning: the dashboard listens on 192.0.2.1"), lines
    assert lines[-1].startswith("error: cannot listen on 192.0.2.1:8050")


@pytest.mark.parametrize(
    ("settings", "seeds", "message"),
    [
        ([("a", {}), ("a", {})], 3, "different label"),
        ([("a", {})], 3, "at least two settings"),
        (
            [("a", {}), ("b", {"beijing_tolerance": 7})],
            3,
            "b: Beijing's tolerance: 7 is outside its range, 0 to 1",
        ),
        ([("a", {}), ("b", {})], 501, "seeds per setting: 501 is outside the range 1 to 500"),
        ([("a", {}), ("b", {})], 0, "outside the range"),
    ],
)
def test_compare_refuses_bad_settings(app, client, settings, seeds, message):
    status, body = _compare(client, app, settings, seeds=seeds)
    assert status == 200
    text = body["response"]["cmp-message"]["children"]["props"]["children"]
    assert message in text
    assert "cmp-panels" not in body["response"]


def _upload(client, app, contents: Any, filename: Any = "mine.yaml"):
    return call(
        client,
        app,
        "scenario.options",
        [{"id": "scenario-upload", "property": "contents", "value": contents}],
        [{"id": "scenario-upload", "property": "filename", "value": filename}],
        "scenario-upload.contents",
    )


def test_upload_opens_a_scenario_file_and_reports_errors(app, client):
    text = (ROOT / "scenarios" / "pyongyang-2024.yaml").read_bytes()
    data = "data:application/x-yaml;base64," + base64.b64encode(text).decode()
    status, body = _upload(client, app, data, "../../secret/my-copy.yaml")
    assert status == 200
    resp = body["response"]
    key = resp["scenario"]["value"]
    assert key.startswith("upload:pyongyang-2024:")
    assert key in [o["value"] for o in resp["scenario"]["options"]]
    assert "Opened my-copy.yaml" in json.dumps(resp["flash"])
    status, body = run_request(client, app, scenario=key, turns=3)
    assert "run-panels" in body["response"]
    broken = text.replace(b"turns: 24", b"turns: many", 1)
    data = "data:application/x-yaml;base64," + base64.b64encode(broken).decode()
    status, body = _upload(client, app, data, "broken.yaml")
    msg = body["response"]["flash"]["children"]["props"]["children"]
    assert re.match(r"broken\.yaml:\d+:\d+: meta\.turns", msg), msg
    assert "scenario" not in body["response"]
    for bad in ("not a data url", "data:x;base64,@@@", 17):
        status, body = _upload(client, app, bad)
        assert status == 200
        assert "malformed upload" in body["response"]["flash"]["children"]["props"]["children"]


@pytest.mark.parametrize(
    "payload",
    [
        b"this is not json",
        b"{}",
        b'{"output": "page.children"}',
        b'{"output": "nope.children", "outputs": {"id": "nope", "property": "children"}, '
        b'"inputs": [], "state": []}',
        b'{"output": "..run-panels.children...run-message.children...run-info.children..", '
        b'"outputs": "x", "inputs": "y", "state": 5}',
        b"[1, 2, 3]",
        b"[]",
        b"null",
        b"[" * 30_000 + b"]" * 30_000,
        b'{"output": "page.children", "outputs": [{"id": "page", "property": "children"}, '
        b'{"id": "x", "property": "y"}], "inputs": [], "state": []}',
        b'{"output": "page.children", "outputs": {"id": "page", "property": "children"}, '
        b'"inputs": [{"id": "url"}], "state": []}',
    ],
)
def test_malformed_callback_payloads_are_refused_cleanly(client, payload):
    r = client.post("/_dash-update-component", data=payload, content_type="application/json")
    body = r.get_data(as_text=True)
    assert 400 <= r.status_code < 500, (r.status_code, body[:300])
    assert "Traceback" not in body and 'File "' not in body


def test_an_extra_page_can_be_registered():
    def layout(ctx, req):
        return html.Div(f"Sweeps of {req.scenario.id}", id="extra-page")

    app = create_app(
        "pyongyang-2024", extra_pages=[Page("extra", "Extra", layout, order=99)], warm=False
    )
    nav = json.dumps(app.layout.to_plotly_json(), default=str)
    assert "nav-extra" in nav
    client = app.server.test_client()
    _, body = route_request(client, app, "/extra")
    assert "Sweeps of pyongyang-2024" in json.dumps(body)
    with pytest.raises(ValueError, match="lowercase word"):
        from summitsim.dashboard.pages import register_page

        register_page(Page("Bad Key", "x", layout))


def test_turn_log_is_an_escaped_sandboxed_table():
    from summitsim.dashboard.page_run import turn_log_table

    frame = turn_log_table(
        [{"turn": 1, "actor": "A&B", "move": "m", "by": "ai", "status": "done",
          "escalation": 4.0, "rationale": "why <script>alert(1)</script>"}],
        "t",
    )  # fmt: skip
    assert frame.sandbox == ""
    doc = frame.srcDoc
    assert "<script>" not in doc
    assert "<td>1</td><td>A&amp;B</td><td>m</td><td>ai</td><td>done</td><td>4</td>" in doc
    assert doc.startswith("<!DOCTYPE html><html lang='en'>")
    assert "why &lt;script&gt;alert(1)&lt;/script&gt;" in doc


def test_huge_request_bodies_are_refused(client):
    r = client.post(
        "/_dash-update-component", data=b"x" * 5_000_000, content_type="application/json"
    )
    assert r.status_code == 413
    assert "Traceback" not in r.get_data(as_text=True)


@pytest.mark.parametrize("debug", [False, True])
def test_debug_mode_only_with_the_flag(debug):
    from _browser import dashboard_server

    args = ["pyongyang-2024", *(["--debug"] if debug else [])]
    with dashboard_server(*args) as srv:
        with urllib.request.urlopen(srv.url + "/", timeout=10) as r:
            index = r.read().decode()
        raw = index.split('id="_dash-config" type="application/json">')[1].split("</script>")[0]
        assert json.loads(raw).get("ui") is debug
        if debug:
            return  # --debug is asked for tracebacks; without it, none:
        req = urllib.request.Request(
            srv.url + "/_dash-update-component",
            data=b"{}",
            headers={"Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=10)
        assert err.value.code == 400
        assert "Traceback" not in err.value.read().decode(errors="replace")


def test_a_scenario_file_and_a_layout_file_from_the_command_line(tmp_path):
    scen = tmp_path / "mine.yaml"
    scen.write_text(
        (ROOT / "scenarios" / "pyongyang-2024.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    lay = tmp_path / "lay.yaml"
    lay.write_text(
        "id: mine\ntitle: My class\ndescription: Two charts.\nrun:\n  panels:\n"
        "    - {kind: timeline, variables: [rok_lethal_aid]}\n    - {kind: escalation}\n"
        "compare:\n  seeds: 4\n  panels: [{kind: first_crossed}]\n",
        encoding="utf-8",
    )
    app = create_app(str(scen), str(lay), warm=False)
    client = app.server.test_client()
    opts = [o["value"] for o in app.summitsim_ctx.options()]
    assert "file:mine.yaml" in opts and "pyongyang-2024" in opts
    _, body = run_request(client, app, scenario="file:mine.yaml", turns=4)
    graphs = _graphs(body["response"]["run-panels"]["children"])
    assert [g["id"]["kind"] for g in graphs] == ["timeline", "escalation"]
    names = [t["name"] for t in graphs[0]["figure"]["data"] if t.get("mode") == "lines"]
    assert names == ["South Korean weapons for Ukraine"]
    _, body = route_request(client, app, "/run", "file:mine.yaml")
    text = json.dumps(body)
    assert "My class" in text and "Two charts." in text


def test_port_in_use_is_one_line_exit_2():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = subprocess.run(
            [*CLI, "dashboard", "--port", str(port)], capture_output=True, text=True, timeout=120
        )
    assert proc.returncode == 2
    expected = f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert proc.stderr.strip() == expected


def test_compare_plays_the_same_runs_in_worker_processes(monkeypatch):
    """Compare splits its seeds between worker processes; where a run is played changes
    nothing (each setting's runs are those of summitsim.run, in seed order)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from summitsim.dashboard import page_compare as pc

    loaded = summitsim.load_scenario("pyongyang-2024")
    settings = [("a", dict(DEFAULTS)), ("b", {**DEFAULTS, "seoul_credibility": 0.0})]
    monkeypatch.setattr(pc, "_POOL", None)
    monkeypatch.setattr(pc, "_PLAYED", OrderedDict())
    inline = pc.play_settings(loaded, settings, 5, 6)
    with ProcessPoolExecutor(max_workers=2, mp_context=mp.get_context("spawn")) as pool:
        monkeypatch.setattr(pc, "_POOL", pool)
        monkeypatch.setattr(pc, "_PLAYED", OrderedDict())  # nothing kept: all played anew
        split = pc.play_settings(loaded, settings, 5, 6)
    assert split == inline
    expected = [
        summitsim.run(seed=s, params={"seoul_credibility": 0.0}, turns=6).outcomes for s in range(5)
    ]
    assert [r["outcomes"] for r in split["b"]] == expected


def test_compare_plays_only_the_runs_it_has_not_played(monkeypatch):
    """A Compare again, with a setting added and more seeds, plays only the new setting's
    runs and the new seeds, and gives what playing everything anew gives."""
    from summitsim.dashboard import page_compare as pc

    loaded = summitsim.load_scenario("pyongyang-2024")
    a, b = ("a", dict(DEFAULTS)), ("b", {**DEFAULTS, "seoul_credibility": 0.0})
    c = ("c", {**DEFAULTS, "beijing_tolerance": 0.9})
    played: list[tuple[float, list[int]]] = []
    real = pc.play

    def counting(loaded_, params, seeds, turns):
        played.append((params["seoul_credibility"], list(seeds)))
        return real(loaded_, params, seeds, turns)

    monkeypatch.setattr(pc, "_POOL", None)
    monkeypatch.setattr(pc, "_PLAYED", OrderedDict())
    monkeypatch.setattr(pc, "play", counting)
    pc.play_settings(loaded, [a, b], 3, 4)
    assert sum(len(s) for _, s in played) == 6
    played.clear()
    again = pc.play_settings(loaded, [a, b, c], 5, 4)
    assert sorted(len(s) for _, s in played) == [2, 2, 5]  # seeds 3-4 of a and b; all of c
    assert [len(v) for v in again.values()] == [5, 5, 5]
    played.clear()
    fewer = pc.play_settings(loaded, [b], 2, 4)
    assert played == [] and fewer["b"] == again["b"][:2]
    monkeypatch.setattr(pc, "_PLAYED", OrderedDict())
    assert pc.play_settings(loaded, [a, b, c], 5, 4) == again
    monkeypatch.setattr(pc, "MAX_PLAYED_RUNS", 8)  # the oldest settings go first
    pc.play_settings(loaded, [c], 5, 4)
    assert [len(v) for v in pc._PLAYED.values()] == [5]


def test_no_compare_worker_outlives_the_dashboard():
    from _browser import dashboard_server

    def children(pid: int) -> set[int]:
        path = Path(f"/proc/{pid}/task/{pid}/children")
        return {int(x) for x in path.read_text().split()} if path.exists() else set()

    from summitsim.sweep.executors import default_workers

    cores = default_workers()
    with dashboard_server("pyongyang-2024") as srv:
        workers = children(srv.proc.pid)
        assert len(workers) >= (cores if cores > 1 else 0)  # one per core
        srv.proc.kill()  # not even a clean stop
        srv.proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.2)
    alive = [w for w in workers if Path(f"/proc/{w}/status").exists()
             and "zombie" not in Path(f"/proc/{w}/status").read_text()]  # fmt: skip
    assert alive == []


def test_the_run_page_shows_the_negotiations_and_what_became_of_the_deals():
    deals = ROOT / "tests" / "data" / "deal-split.yaml"
    app = create_app(str(deals), warm=False)
    client = app.server.test_client()

    def panel_text(walk_a: float) -> str:
        ids, vals = _param_state({"walk_a": walk_a, "walk_b": -1.0})
        status, body = call(
            client,
            app,
            "run-panels.children",
            [
                {"id": "run-button", "property": "n_clicks", "value": 1},
                {"id": "run-width", "property": "data", "value": None},
            ],
            [
                {"id": "scenario", "property": "value", "value": "file:deal-split.yaml"},
                ids,
                vals,
                {"id": "run-seed", "property": "value", "value": 0},
                {"id": "run-turns", "property": "value", "value": 4},
            ],
            "run-button.n_clicks",
        )
        assert status == 200
        (panel,) = [
            p
            for p in body["response"]["run-panels"]["children"]
            if p["props"].get("id") == "run-deals"
        ]
        return json.dumps(panel)

    signed = panel_text(0.0)
    for text in (
        "Negotiations",
        "The split",
        "Party A",
        "opens with",
        "A's part of the pot: 9",
        "Signed: A's part of the pot: 5. Gain over walking away: Party A +0.5, Party B +0.5.",
        "Ports opened to A: two ports; Fishing rights for B: full fishing",
        "B sends ten goods a turn",
        "broken at turn 4",
        "committed, in a deal",
    ):
        assert text in signed, text
    walked = panel_text(1.5)
    assert "walks away" in walked and "No deal: Party A walked away." in walked
    assert "Signed: A's part" not in walked


def test_a_run_without_deals_or_signals_has_no_deals_panel():
    d = summitsim.run("game-chicken", seed=0).to_dict()
    assert not d["said_vs_did"] and not d["deals"]  # else this test tells nothing
    app = create_app("game-chicken", warm=False)
    client = app.server.test_client()
    _, body = run_request(client, app, scenario="game-chicken", turns=1, defaults={})
    assert "run-panels" in body["response"]
    assert "run-deals" not in json.dumps(body["response"]["run-panels"])
