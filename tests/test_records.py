"""Record files: the bundled hanoi-2019 record, FILE:LINE:COL errors for bad records (unknown
names, impossible dates, malformed checks), exit 2 on the command line, and every check kind
evaluated on runs whose events are certain."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import summitsim
from summitsim.backtest import checks as ck
from summitsim.backtest.record import load_record, load_record_text, turn_of, turn_span
from summitsim.cli import app
from summitsim.scenario import ScenarioError
from tests.conftest import ROOT, need

TOY = ROOT / "tests" / "data" / "toy-events.yaml"
runner = CliRunner()

GOOD = """\
scenario: toy-events
title: A toy record
sources:
  - {id: s1, title: A report, publisher: The tests, date: "2020-01-25"}
  - {id: s2, title: An early report, publisher: The tests, date: "2020-01"}
entries:
  - id: spark
    date: "2020-01-01"
    summary: There was a spark on the first day.
    sources: [s1]
    confidence: high
    check: {kind: level, variable: sparks, above: 0.5, at_turn: 1}
  - id: waved
    date: "2020-01-05"
    summary: The walker waved in the first week.
    sources: [s1, s2]
    confidence: 0.8
    check: {kind: move, actor: walker, move: wave, by_turn: 7}
"""


@pytest.fixture(scope="module")
def toy():
    return summitsim.load_scenario(TOY)


@pytest.fixture(scope="module")
def hanoi():
    return summitsim.load_scenario("hanoi-2019")


def problems(text: str, scenario, today: dt.date | None = None) -> list[str]:
    with pytest.raises(ScenarioError) as exc:
        load_record_text(text, scenario, "rec.yaml", today)
    return exc.value.problems


def line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


# ----- the bundled record ------------------------------------------------------------------------
def test_hanoi_record_loads_and_maps_dates_to_weeks(hanoi):
    rec = load_record(None, hanoi)
    assert rec.source == "records/hanoi-2019.yaml"
    assert len(rec.entries) >= 10  # long enough for a reliability diagram
    by_id = {e.id: e for e in rec.entries}
    # weekly turns from Monday 2019-02-25: the summit is in turn 1, 22 March in turn 4,
    # 4 May in turn 10, 19 May (a Sunday) is the last day of turn 12
    assert by_id["walk_out"].turn == 1 and by_id["walk_out"].window == (1, 1)
    assert by_id["liaison_pullout"].turn == 4
    assert by_id["no_long_range_tests"].turn == 10
    assert by_id["no_relief_by_end"].turn == 12
    assert by_id["no_deal_in_hanoi"].observed is False
    assert by_id["liaison_pullout"].confidence == 0.65  # "low"
    for e in rec.entries:
        assert e.sources and all(s.publisher and s.date and s.title for s in e.sources)
        assert e.window[0] <= e.turn <= e.window[1]


def test_no_record_ships_for_pyongyang_2024():
    """pyongyang-2024 stays an out-of-sample forecast: no bundled record, a one-line error."""
    assert not (ROOT / "records" / "pyongyang-2024.yaml").exists()
    res = runner.invoke(app, ["backtest", "pyongyang-2024"])
    assert res.exit_code == 2
    assert "no record ships for pyongyang-2024" in res.output
    assert "--record FILE" in res.output
    assert "Traceback" not in res.output


def test_check_only_on_the_command_line():
    res = runner.invoke(app, ["backtest", "hanoi-2019", "--check"])
    assert res.exit_code == 0, res.output
    assert "records/hanoi-2019.yaml: 14 entries, all checks valid for hanoi-2019" in res.output


def test_turn_of_weekly_and_monthly(hanoi):
    start, begins = turn_span(hanoi.spec)
    assert start == dt.date(2019, 2, 25) and begins[-1] == dt.date(2019, 5, 20)
    assert turn_of(dt.date(2019, 3, 3), begins) == 1
    assert turn_of(dt.date(2019, 3, 4), begins) == 2
    pyong = summitsim.load_scenario("pyongyang-2024")
    _, months = turn_span(pyong.spec)
    assert turn_of(dt.date(2024, 6, 30), months) == 1
    assert turn_of(dt.date(2024, 7, 1), months) == 2


def test_good_toy_record(toy):
    rec = load_record_text(GOOD, toy, "rec.yaml")
    assert [e.id for e in rec.entries] == ["spark", "waved"]
    assert rec.entries[0].confidence == 0.95 and rec.entries[0].y == 0.95
    assert rec.entries[1].window == (1, 7) and rec.entries[1].turn == 5


# ----- bad records: FILE:LINE:COL ----------------------------------------------------------------
BAD = [
    # (what, old text, new text, the line to point at, words in the message)
    ("unknown actor", "actor: walker", "actor: runner", "actor: runner", "unknown actor 'runner'"),
    ("unknown move", "move: wave", "move: jump", "move: jump", "unknown move 'jump'"),
    ("unknown variable", "variable: sparks", "variable: fire", "variable: fire",
     "unknown variable 'fire'"),
    ("unknown relation", "{kind: level, variable: sparks,",
     "{kind: level, relation: [walker, nobody],", "relation: [walker, nobody]",
     "no relation declared"),
    ("unknown name in an expression", "{kind: level, variable: sparks, above: 0.5, at_turn: 1}",
     "{kind: expr, expr: 'sparks + smoke > 1', at_turn: 1}", "kind: expr",
     "unknown name 'smoke'"),
    ("unknown red line", "{kind: level, variable: sparks, above: 0.5, at_turn: 1}",
     "{kind: red_line, red_line: panic, by_turn: 1}", "red_line: panic",
     "unknown red line 'panic'"),
    ("date before the start", 'date: "2020-01-01"', 'date: "2019-12-31"', "2019-12-31",
     "before the scenario's start (2020-01-01)"),
    ("date after the last turn", 'date: "2020-01-05"', 'date: "2020-01-21"', "2020-01-21",
     "after the scenario's last turn (turn 20 ends 2020-01-20)"),
    ("date outside the check's turns", 'date: "2020-01-05"', 'date: "2020-01-09"',
     "2020-01-09", "is in turn 9, outside the check's turns 1–7"),
    ("check after the last turn", "by_turn: 7", "by_turn: 30", "check: {kind: move",
     "turn 30 is after the scenario's last turn"),
    ("source before the event", '"2020-01-25"', '"2020-01-03"', "sources: [s1, s2]",
     "before the event it reports (2020-01-05)"),
    ("not a date", 'date: "2020-01-05"', 'date: "5 Jan 2020"', "5 Jan 2020", "is not a date"),
    ("missing kind", "{kind: move, actor", "{actor", "check: {actor", "kind: missing"),
    ("unknown kind", "kind: move", "kind: mood", "kind: mood", "unknown kind 'mood'"),
    ("a deal the scenario lacks", "kind: move, actor: walker, move: wave, by_turn: 7",
     "kind: deal, deal: peace, by_turn: 7", "kind: deal", "unknown deal 'peace' (deals: (none))"),
    ("both above and below", "above: 0.5", "above: 0.5, below: 2", "above: 0.5, below: 2",
     "give either above or below"),
    ("two timings", "by_turn: 7", "by_turn: 7, within: [1, 3]", "by_turn: 7, within",
     "give one of by_turn, within, at_turn"),
    ("a window that ends before it starts", "by_turn: 7", "within: [7, 3]", "within: [7, 3]",
     "ends before it starts"),
    ("unknown key in a check", "by_turn: 7", "by_turn: 7, colour: red", "colour: red",
     "colour: unknown key"),
    ("unknown key in an entry", "    confidence: 0.8", "    confidence: 0.8\n    mood: calm",
     "mood: calm", "unknown key"),
    ("unknown source", "sources: [s1, s2]", "sources: [s1, s9]", "sources: [s1, s9]",
     "unknown source 's9'"),
    ("confidence below 0.5", "confidence: 0.8", "confidence: 0.3", "confidence: 0.3",
     "not a confidence"),
    ("another scenario's record", "scenario: toy-events", "scenario: hanoi-2019",
     "scenario: hanoi-2019", "this record is for 'hanoi-2019', not 'toy-events'"),
    ("duplicate entry ids", "id: waved", "id: spark", "    id: spark\n" , "duplicate entry id"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "old", "new", "where", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_records_point_at_the_problem(toy, what, old, new, where, words):
    assert old in GOOD
    text = GOOD.replace(old, new, 1) if what != "duplicate entry ids" else GOOD.replace(old, new)
    found = problems(text, toy)
    assert any(words in p for p in found), found
    if what == "duplicate entry ids":
        line = [i for i, s in enumerate(text.splitlines(), 1) if "id: spark" in s][-1]
    else:
        line = line_of(text, where.splitlines()[0].strip())
    assert any(re.match(rf"rec\.yaml:{line}:\d+: ", p) for p in found), (line, found)


def test_future_source_date(toy):
    found = problems(GOOD, toy, today=dt.date(2020, 1, 10))
    assert any("sources.0.date: 2020-01-25 is in the future" in p for p in found)


def test_not_a_mapping_and_bad_yaml(toy):
    assert problems("- just\n- a list\n", toy) == ["rec.yaml:1:1: a record file must be a mapping "
                                                  "of keys"]  # fmt: skip
    (p,) = problems("scenario: [unclosed\n", toy)
    assert p.startswith("rec.yaml:") and "YAML syntax error" in p


def test_bad_record_exits_2_with_file_line_col(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("actor: walker", "actor: runner"), encoding="utf-8")
    res = runner.invoke(app, ["backtest", str(TOY), "--record", str(bad), "--check"])
    assert res.exit_code == 2
    line = line_of(bad.read_text(), "actor: runner")
    assert re.search(rf"{re.escape(str(bad))}:{line}:\d+: .*unknown actor 'runner'", res.output)
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["backtest", str(TOY), "--record", str(tmp_path / "none.yaml")])
    assert res.exit_code == 2 and "no such record file" in res.output


# ----- the checks on runs whose events are certain ----------------------------------------------
CERTAIN = {"theta": 1.0, "p_spark": 1.0, "p_rain": 0.0}


def evaluate(toy, check: dict, params=CERTAIN, seed: int = 3) -> bool:
    from summitsim.engine.registry import get_compiled

    model = ck.KINDS[check["kind"]].model.model_validate(check)
    kind = ck.kind_of(model)
    compiled = get_compiled(toy, params)
    f = kind.compile(model, ck.Env.of(compiled), kind.window(model, 20))
    return f(ck.Trace(summitsim.run(compiled, seed=seed, rationales=False)))


@pytest.mark.parametrize(
    ("check", "holds"),
    [
        ({"kind": "level", "variable": "sparks", "above": 0.5, "at_turn": 1}, True),
        ({"kind": "level", "variable": "rain", "above": 0.5}, False),
        ({"kind": "level", "variable": "ticks", "below": 5.5, "at_turn": 5}, True),
        ({"kind": "level", "variable": "ticks", "below": 5, "at_turn": 5}, False),
        ({"kind": "direction", "variable": "ticks", "direction": "up", "within": [3, 3]}, True),
        ({"kind": "direction", "variable": "ticks", "direction": "down"}, False),
        ({"kind": "direction", "variable": "ticks", "direction": "up", "by_at_least": 19.5}, True),
        ({"kind": "direction", "variable": "ticks", "direction": "up", "by_at_least": 20}, False),
        ({"kind": "expr", "expr": "ticks == turn"}, True),
        ({"kind": "expr", "expr": "ticks == turn", "within": [1, 20], "holds": "all"}, True),
        ({"kind": "expr", "expr": "ticks > 10", "by_turn": 20, "holds": "all"}, False),
        ({"kind": "expr", "expr": "ticks > 10", "by_turn": 20}, True),
        ({"kind": "never", "expr": "rain > 0"}, True),
        ({"kind": "never", "expr": "sparks > 0", "within": [2, 20]}, False),
    ],
)
def test_checks_on_certain_events(toy, check, holds):
    assert evaluate(toy, check) is holds


def test_move_and_red_line_checks_follow_the_run(toy):
    """The walker waves at random: the move, never and red-line checks agree with the run's
    own record of what it did."""
    from summitsim.engine.registry import get_compiled

    compiled = get_compiled(toy, CERTAIN)
    for seed in range(6):
        r = summitsim.run(compiled, seed=seed, rationales=False)
        waves = [t for t in range(1, 21) if r.states["waves"][t] > r.states["waves"][t - 1]]
        crossed = r.first_crossed()["many_waves"]
        assert evaluate(toy, {"kind": "move", "actor": "walker", "move": "wave"}, seed=seed) is (
            len(waves) >= 1
        )
        assert evaluate(toy, {"kind": "move", "actor": "walker", "move": "wave",
                              "at_least": 4}, seed=seed) is (len(waves) >= 4)  # fmt: skip
        early = any(t <= 5 for t in waves)
        never = {"kind": "never", "actor": "walker", "move": "wave", "within": [1, 5]}
        assert evaluate(toy, never, seed=seed) is not early
        assert evaluate(toy, {"kind": "red_line", "red_line": "many_waves", "by_turn": 10},
                        seed=seed) is (crossed is not None and crossed <= 10)  # fmt: skip
        assert evaluate(toy, {"kind": "red_line", "red_line": "many_waves", "crossed": False},
                        seed=seed) is (crossed is None)  # fmt: skip
        assert evaluate(toy, {"kind": "expr", "expr": "times(walker, wave) >= 3"},
                        seed=seed) is (len(waves) >= 3)  # fmt: skip


def test_extension_point_registers_a_new_kind(toy):
    """A new kind plugs in with register(); a reserved name is refused until then."""
    from typing import Literal

    text = GOOD.replace("kind: move, actor: walker, move: wave, by_turn: 7", "kind: poll")
    saved = dict(ck.RESERVED)
    ck.RESERVED["poll"] = "poll checks come later"
    try:
        assert any("not available yet: poll checks come later" in p for p in problems(text, toy))

        class PollCheck(ck._Timed):
            kind: Literal["poll"]

        kind = ck.Kind(
            PollCheck,
            lambda c, spec, err: None,
            ck._window_timed,
            lambda c, env, w: lambda tr: True,
            lambda c, labels, w: "a poll",
        )
        ck.register("poll", kind)
        rec = load_record_text(text, toy, "rec.yaml")
        assert rec.entries[1].kind == "poll" and rec.entries[1].describe(None) == "a poll"
    finally:
        ck.KINDS.pop("poll", None)
        ck.RESERVED.clear()
        ck.RESERVED.update(saved)


def test_wheel_bundles_records(tmp_path):
    uv = shutil.which("uv")
    need(uv is not None, "uv is needed to build the wheel")
    subprocess.run([uv, "build", "--wheel", "-o", str(tmp_path), str(ROOT)], check=True,
                   capture_output=True, timeout=300)  # fmt: skip
    (wheel,) = tmp_path.glob("summitsim-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in sorted((ROOT / "records").glob("*.yaml")):
        assert f"summitsim/_data/records/{path.name}" in names
    assert "summitsim/_data/records/hanoi-2019.yaml" in names


def test_records_folder_holds_only_records_of_bundled_scenarios():
    from summitsim.engine.registry import bundled

    for path in Path(ROOT / "records").glob("*.yaml"):
        assert path.stem in bundled(), path


def test_the_docs_pyongyang_record_example_is_valid():
    """docs/backtest.md shows how to write a record for pyongyang-2024; it must validate."""
    text = (ROOT / "docs" / "backtest.md").read_text(encoding="utf-8")
    m = re.search(r"```yaml\n(scenario: pyongyang-2024\n.*?)```", text, re.S)
    assert m is not None
    rec = load_record_text(m.group(1), summitsim.load_scenario("pyongyang-2024"), "docs")
    assert [e.id for e in rec.entries] == ["treaty_signed", "no_rok_weapons"]
