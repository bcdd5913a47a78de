"""A light report: plotly.js in a file beside it rather than inside it, and no turn-log table
that repeats the narrative."""

from __future__ import annotations

import re
import subprocess

import summitsim
from summitsim.cli import command
from summitsim.viz.report import build_report, plotly_js, plotly_js_name, write_report


def test_light_report_loads_plotly_from_a_file_beside_it(tmp_path):
    result = summitsim.run("pyongyang-2024", seed=3).to_dict()
    full = tmp_path / "full.html"
    light = tmp_path / "light.html"
    write_report(result, full)
    write_report(result, light, light=True)
    js = tmp_path / plotly_js_name()
    assert js.read_text(encoding="utf-8") == plotly_js()
    text = light.read_text(encoding="utf-8")
    assert plotly_js()[:2000] not in text
    assert f'<script src="{plotly_js_name()}" charset="utf-8"></script>' in text
    # every chart is still drawn, and the light file is a small fraction of the full one
    assert text.count("Plotly.newPlot(") == full.read_text().count("Plotly.newPlot(") == 4
    assert light.stat().st_size < full.stat().st_size / 5
    assert light.stat().st_size < 600_000


def test_report_has_no_turn_log_table_repeating_the_narrative():
    result = summitsim.run("pyongyang-2024", seed=3).to_dict()
    text = build_report(result)
    assert "Turn log" not in text
    # the AI's reasons appear in the narrative only
    sentence = next(
        a["rationale"]["sentence"]
        for t in result["turns"][1:]
        for a in t["actions"]
        if a["by"] == "ai" and len(a["rationale"].get("sentence", "")) > 40
    )
    from summitsim.viz.report import escape

    narrative = text.split('<section id="narrative">')[1].split("</section>")[0]
    assert escape(sentence) in narrative
    assert escape(sentence) not in text.replace(narrative, "")


def test_report_and_run_commands_take_light(tmp_path):
    out = tmp_path / "a" / "run.html"
    out.parent.mkdir()
    r = subprocess.run(
        command("run", "pyongyang-2024", "--turns", "3", "--report", str(out), "--light"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert (out.parent / plotly_js_name()).is_file()
    assert re.search(r"<script src=\"plotly-[\d.]+\.min\.js\"", out.read_text())
    res = tmp_path / "res.json"
    res.write_text(summitsim.run("pyongyang-2024", seed=1, turns=3).to_json(), encoding="utf-8")
    r = subprocess.run(
        command("report", str(res), "--light"), capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    assert f"Report written to {tmp_path / 'res.html'}" in r.stdout
    assert plotly_js_name() in r.stdout
    assert (tmp_path / plotly_js_name()).is_file()
