"""The static HTML report: self-contained, narrative, escaped, and written whole or not at all."""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

import summitsim
from _names import ids_of, report_texts, snake_case_words, visible_ids
from _vizdata import tiny_result
from summitsim.cli import app, command
from summitsim.engine.registry import bundled
from summitsim.viz.report import Section, build_report, write_report
from summitsim.viz.resultdoc import ResultFormatError, check_result

runner = CliRunner()
CLI = command()


@pytest.fixture(scope="module")
def real_json(tmp_path_factory) -> Path:
    """A run of pyongyang-2024 in which a red line is approached or crossed (the first such
    seed from 5 on; the AI's play, and so the seed, changes as the engine does)."""
    path = tmp_path_factory.mktemp("run") / "run.json"
    for seed in range(5, 45):
        result = summitsim.run("pyongyang-2024", seed=seed)
        if any(t["red_lines"] for t in result.to_dict()["turns"]):
            break
    path.write_text(result.to_json(), encoding="utf-8")
    return path


def test_report_is_self_contained():
    text = build_report(tiny_result())
    assert text.startswith("<!DOCTYPE html>")
    # plotly.js itself is inline (the whole bundle the plotly package ships), and nothing is
    # fetched from the network
    from plotly.offline import get_plotlyjs, get_plotlyjs_version

    assert f"<script>{get_plotlyjs()}</script>" in text
    assert f"plotly.js v{get_plotlyjs_version()}" in text
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"<link[^>]+href=[\"']https?:", text)
    scripts = re.findall(r"<script[^>]*>", text)
    assert all("src" not in s for s in scripts)
    # one plot per chart panel of the default layout (outcomes and turn log are tables)
    assert len(re.findall(r"Plotly\.newPlot\(", text)) == 4


def test_report_narrative_tells_what_happened_and_why():
    text = build_report(tiny_result())
    assert "<h3>Turn 1 (2024-06)</h3>" in text
    assert "<h3>Turn 3 (2024-08)</h3>" in text
    turn2 = text.split("<h3>Turn 2 (2024-07)</h3>")[1].split("<h3>")[0]
    assert "A struck." in turn2
    assert "Red line crossed" in turn2 and "“No strike” by Alpha" in turn2
    assert "no_strike" not in turn2  # the id is not shown, its name is
    assert "refused" in turn2
    turn1 = text.split("<h3>Turn 1 (2024-06)</h3>")[1].split("<h3>")[0]
    assert "Event: Storm" in turn1
    assert "Held: Beta" in turn1
    assert "Biggest changes:" in turn1
    # the summary: outcomes and red lines tested
    summary = text.split('<section id="summary">')[1].split("</section>")[0]
    assert "<td>Done</td><td></td><td>yes</td><td>2</td>" in summary
    assert re.search(r"<td>No strike</td><td>Beta</td><td></td><td></td><td>2</td>", summary)
    assert "<td>P</td><td>0.5</td>" in summary  # parameters by name
    assert "Peak escalation: <b>12</b> in turn 2" in summary


def test_report_uses_scenario_names_for_bundled_results(real_json):
    """Every move of the run appears in its own turn's section under the scenario's name for
    it, beside the actor's name; every red line tested, under its scenario description."""
    data = json.loads(real_json.read_text())
    text = build_report(data)
    spec = summitsim.load_scenario("pyongyang-2024").spec
    sections = re.split(r"<h3>Turn (\d+) \(\d{4}-\d{2}\)</h3>", text)
    by_turn = {
        int(sections[i]): sections[i + 1].split("<h3>")[0] for i in range(1, len(sections), 2)
    }
    assert sorted(by_turn) == list(range(1, 25))
    shown = 0
    for t in data["turns"][1:]:
        part = by_turn[t["turn"]]
        for a in t["actions"]:
            if a["by"] == "inject" or a["move"] == "hold":
                continue
            who, name = spec.actors[a["actor"]].name, spec.moves[a["move"]].name
            assert name != a["move"]
            assert f"<li><b>{html.escape(who)}</b>: {html.escape(name)} " in part, (t["turn"], a)
            shown += 1
        for rl in t["red_lines"]:
            desc = " ".join(spec.red_lines[rl["red_line"]].description.split())
            assert f"“{html.escape(desc)}”" in part, (t["turn"], rl)
    assert shown >= 24  # Russia alone moves on most turns
    assert any(t["red_lines"] for t in data["turns"])  # the fixture's seed tests a red line


def test_report_escapes_text_from_the_result():
    evil = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"
    r = tiny_result(actors={"a": evil, "b": "Beta"})
    r["turns"][2]["actions"][0]["rationale"]["sentence"] = evil
    text = build_report(r)
    assert evil not in text
    assert "<img src=x" not in text
    assert "&lt;/script&gt;" in text  # shown as text in the narrative
    # inside figure JSON the markup is neutralised as \u003c
    assert re.search(r"\\u003c(\\u002f|\\?/)script", text)
    assert not re.search(r"</script>\s*<script>alert", text)


def test_extra_sections_are_added_in_order():
    text = build_report(
        tiny_result(),
        extra_sections=[
            Section("Player <decisions>", "<p id='x1'>one</p>"),
            ("Notes", "<p>two</p>"),
        ],
    )
    assert "Player &lt;decisions&gt;" in text
    assert text.index("id='x1'") < text.index("<p>two</p>")
    assert 'href="#extra-2"' in text


def test_write_report_writes_whole_file(tmp_path):
    out = write_report(tiny_result(), tmp_path / "r.html")
    assert out.read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_check_result_rejects_non_results():
    with pytest.raises(ResultFormatError, match="expected a JSON object"):
        check_result([1, 2])
    with pytest.raises(ResultFormatError, match="turns: missing required key"):
        d = tiny_result()
        del d["turns"]
        check_result(d)
    d = tiny_result()
    d["turns"][2]["turn"] = 5
    with pytest.raises(ResultFormatError, match="turn number 5, expected 2"):
        check_result(d)
    d = tiny_result()
    d["turns"][1]["state"]["x"] = "high"
    with pytest.raises(ResultFormatError, match=r"turns\.1\.state\.x"):
        check_result(d)
    assert check_result(tiny_result()) is not None


# ----- the CLI ---------------------------------------------------------------------------------
def test_cli_report_writes_html(real_json, tmp_path):
    out = tmp_path / "report.html"
    res = runner.invoke(app, ["report", str(real_json), "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert "What happened, turn by turn, and why" in text
    assert "<h3>Turn 24 (2026-05)</h3>" in text


def test_cli_report_default_output_next_to_result(real_json):
    res = runner.invoke(app, ["report", str(real_json)])
    assert res.exit_code == 0, res.output
    assert real_json.with_suffix(".html").is_file()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "not valid JSON"),
        ('{"summitsim_version": "0.1"}', "not a summitsim result"),
        ("[]", "not a summitsim result"),
        (b"\xff\xfe\x00", "not UTF-8"),
    ],
)
def test_cli_report_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, content, message):
    src = tmp_path / "result.json"
    if isinstance(content, str):
        src.write_text(content, encoding="utf-8")
    elif isinstance(content, bytes):
        src.write_bytes(content)
    out = tmp_path / "out.html"
    out.write_text("previous report", encoding="utf-8")
    proc = subprocess.run(
        [*CLI, "report", str(src), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr
    assert out.read_text(encoding="utf-8") == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["out.html"] + (["result.json"] if content is not None else [])
    )


def test_cli_report_malformed_layout_gets_file_line_col(real_json, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: bad\nrun:\n  panels:\n    - kind: pie\ncompare:\n  panels: [{kind: bands}]\n",
        encoding="utf-8",
    )
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", str(real_json), "-o", str(out), "--layout", str(bad)])
    assert res.exit_code == 2
    assert f"{bad}:4:13: run.panels.0.kind:" in res.output
    assert not out.exists()


def test_run_report_option_writes_report(tmp_path):
    out = tmp_path / "run.html"
    res = runner.invoke(app, ["run", "pyongyang-2024", "--seed", "2", "-q", "--report", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert "seed 2, 24 turns" in text
    res = runner.invoke(app, ["run", "--report", str(tmp_path / "missing" / "r.html"), "-q"])
    assert res.exit_code == 2


@pytest.mark.parametrize("sid", ["pyongyang-2024", "hanoi-2019"])
def test_report_shows_names_not_ids(sid):
    """No snake_case id of a variable, parameter, outcome, red line, move or actor is in the
    report's text or in any text its charts draw (legends, axis titles, hover texts)."""
    result = summitsim.run(sid, seed=5)
    text = build_report(result.to_dict())
    spec = result.compiled.spec
    texts = report_texts(text)
    assert len(texts) > 100  # the figures' texts were found
    assert visible_ids(texts, ids_of(spec)) == []
    assert snake_case_words(texts) == []
    for v in spec.variables.values():
        assert v.label is not None and any(v.label in t for t in texts)


@pytest.mark.parametrize("sid", sorted(bundled()))
def test_report_for_every_bundled_scenario(sid):
    result = summitsim.run(sid, seed=1, turns=3)
    text = build_report(result.to_dict(), scenario=result.compiled.spec)
    assert "<h3>Turn 3" in text
    assert text.count("Plotly.newPlot(") >= 4


def test_reports_are_readable_like_ordinary_files(real_json, tmp_path):
    import os

    umask = os.umask(0o022)
    try:
        out = tmp_path / "r.html"
        assert runner.invoke(app, ["report", str(real_json), "-o", str(out)]).exit_code == 0
        assert out.stat().st_mode & 0o777 == 0o644
        out2 = write_report(tiny_result(), tmp_path / "r2.html")
        assert out2.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(umask)


def test_an_outcome_true_from_the_start_shows_turn_0():
    r = tiny_result()
    for t in r["turns"]:
        t["outcomes"]["done"] = True
    summary = build_report(r).split('<section id="summary">')[1].split("</section>")[0]
    assert "<td>Done</td><td></td><td>yes</td><td>0</td>" in summary


def test_the_report_of_a_scenario_file_names_its_terms(tmp_path):
    """A run of a scenario that is not bundled is reported with the names in its file: the
    file the result names, while it is unchanged, or the one given with --scenario."""
    src = tmp_path / "split.yaml"
    src.write_text((Path(__file__).parent / "data" / "deal-split.yaml").read_text())
    result = tmp_path / "r.json"
    assert runner.invoke(app, ["run", str(src), "--quiet", "--json", str(result)]).exit_code == 0
    named = "Break the commitment: B sends ten goods a turn"

    def report(*extra: str) -> str:
        out = runner.invoke(
            app, ["report", str(result), "--light", "-o", str(tmp_path / "r.html"), *extra]
        )
        assert out.exit_code == 0, out.output
        return html.unescape((tmp_path / "r.html").read_text())

    assert named in report()
    moved = src.rename(tmp_path / "elsewhere.yaml")
    assert named not in report()  # the file is gone: ids, not wrong names
    assert named in report("--scenario", str(moved))
