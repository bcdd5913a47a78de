"""The command line as a user meets it (Typer's CliRunner), plus a real subprocess or two."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from summitsim.cli import app
from tests.minimal import MINIMAL

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_help_lists_every_command():
    out = invoke("--help").output
    for cmd in ("run", "validate", "scenarios", "schema"):
        assert cmd in out


def test_run_narrates_turns_and_ends_with_outcomes():
    res = invoke("run", "pyongyang-2024", "--seed", "3")
    assert res.exit_code == 0
    out = res.output
    assert "Turn 1 · Jun 2024" in out and "Turn 24 · May 2026" in out
    assert "Russia" in out and "↳" in out
    assert "Outcomes" in out and "partnership_signed" in out


def test_run_is_reproducible_and_seed_matters():
    a = invoke("run", "--seed", "4").output
    assert a == invoke("run", "--seed", "4").output
    assert a != invoke("run", "--seed", "5").output


def test_quiet_prints_only_the_outcome_table():
    out = invoke("run", "--quiet").output
    assert "Turn 1" not in out and "Outcomes" in out


def test_json_result_format(tmp_path):
    path = tmp_path / "result.json"
    res = invoke(
        "run", "--seed", "2", "--turns", "6", "--set", "seoul_credibility=0.1", "--json", str(path)
    )
    assert res.exit_code == 0
    d = json.loads(path.read_text())
    assert d["summitsim_version"] and d["scenario"]["id"] == "pyongyang-2024"
    assert len(d["scenario"]["sha256"]) == 64
    assert d["seed"] == 2 and d["params"]["seoul_credibility"] == 0.1
    assert [t["turn"] for t in d["turns"]] == list(range(7))
    action = d["turns"][1]["actions"][0]
    assert {"actor", "move", "by", "rationale"} <= set(action)
    assert "sentence" in action["rationale"]
    assert set(d["outcomes"]) >= {"missile_tech_transferred", "munitions_shipped"}


def test_bad_parameter_is_one_line_and_exit_2(tmp_path):
    path = tmp_path / "r.json"
    for args, msg in [
        (["--set", "nope=1"], "unknown parameter 'nope'"),
        (["--set", "seoul_credibility=3"], "outside range"),
        (["--set", "seoul_credibility"], "expects NAME=VALUE"),
    ]:
        res = invoke("run", *args, "--json", str(path))
        assert res.exit_code == 2, args
        assert msg in res.output and "Traceback" not in res.output
        assert not path.exists()


def test_validate_good_and_bad(tmp_path):
    assert (
        invoke("validate", "scenarios/pyongyang-2024.yaml", "scenarios/hanoi-2019.yaml").exit_code
        == 0
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("expr: v\n", "expr: vv\n").replace("by: b\n", "by: c\n"))
    res = invoke("validate", str(bad))
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 3 and all(ln.startswith(f"{bad}:") for ln in lines)
    assert "unknown name 'vv'" in res.output and "unknown actor 'c'" in res.output
    assert "Traceback" not in res.output


def test_run_of_a_broken_file_reports_positions(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("meta: [unclosed\n")
    res = invoke("run", str(bad))
    assert res.exit_code == 2
    assert res.output.startswith(f"{bad}:") and "YAML syntax error" in res.output


def test_unknown_scenario_id():
    res = invoke("run", "atlantis-1999")
    assert (
        res.exit_code == 2 and "no such scenario" in res.output and "pyongyang-2024" in res.output
    )


def test_scenarios_lists_bundled_ones():
    out = invoke("scenarios").output
    assert "pyongyang-2024" in out and "hanoi-2019" in out


def test_schema_is_json_schema():
    schema = json.loads(invoke("schema").output)
    assert schema["title"] == "summitsim scenario"
    assert {"meta", "actors", "moves", "red_lines"} <= set(schema["properties"])


def test_real_process_exit_code_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("turns: 3", "turns: -1"))
    out = subprocess.run(
        [sys.executable, "-m", "summitsim", "validate", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and f"{bad}:" in out.stderr


def test_dashboard_refuses_a_folder_that_holds_no_sweep(tmp_path):
    res = invoke("dashboard", "--sweep", str(tmp_path), "--port", "1")
    assert res.exit_code == 2 and "not a sweep folder" in res.output


def test_validate_says_how_the_older_foresight_key_maps(tmp_path):
    """Files written to the earlier schema (``foresight:``) keep loading and running, and
    validate says what the key now means."""
    from pathlib import Path

    import summitsim

    text = Path("scenarios/hanoi-2019.yaml").read_text(encoding="utf-8")
    old = text.replace("{rationality: 5, horizon: 2}", "{rationality: 5, foresight: 2}")
    assert old != text
    path = tmp_path / "old.yaml"
    path.write_text(old, encoding="utf-8")
    r = invoke("validate", str(path))
    assert r.exit_code == 0
    assert "united_states.profile.foresight 2 is read as horizon 2" in r.output
    new = summitsim.run(summitsim.load_scenario("hanoi-2019"), seed=3)
    assert summitsim.run(summitsim.load_scenario(str(path)), seed=3).outcomes == new.outcomes
    both = old.replace("foresight: 2}", "foresight: 2, horizon: 2}")
    path.write_text(both, encoding="utf-8")
    r = invoke("validate", str(path))
    assert r.exit_code == 2 and "give horizon, not both" in r.output
