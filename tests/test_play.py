"""``summitsim play``, driven as a player would: through a pseudo-terminal (pexpect) and
through plain stdin."""

from __future__ import annotations

import json
import subprocess

import pexpect
import pytest

from summitsim.classroom.game import GameDef, replay
from summitsim.classroom.terminal import load_save
from summitsim.cli import command

PROMPT = r"your move \[0-(\d+)\]"
S = r"[^\n]*?"  # anything on the line (the terminal's colour codes, spaces)
WHY = r"Why\? \(optional"


def spawn(*args: str) -> pexpect.spawn:
    argv = command(*args)
    return pexpect.spawn(
        argv[0],
        argv[1:],
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 200),
        env={"TERM": "xterm", "COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def test_play_through_a_terminal(tmp_path):
    """Washington takes up to two moves a turn in cuba-1962 (one per channel): it picks a
    set by number; the numbers stay the same from turn to turn, and a move it may not take
    is listed, greyed, with the reason. (pyongyang-2024's actors take one move a turn.)"""
    save = tmp_path / "game.json"
    report = tmp_path / "aar.html"
    child = spawn(
        "play",
        "cuba-1962",
        "--as",
        "united_states",
        "--turns",
        "3",
        "--seed",
        "4",
        "--save",
        str(save),
        "--report",
        str(report),
    )
    # turn 1: the briefing (own private text) and the moves, then ask the advisor
    child.expect("Briefing: United States")
    child.expect("For your eyes only")
    child.expect(r"Turn 1 of 3 \(16 October 1962\): United States's moves")
    child.expect("up to 2 moves this turn, at most one per channel")
    child.expect(rf"\b2{S}Mobilise forces for Cuba{S}escalation \+4; military channel")
    child.expect(rf"\b4{S}Strike the missile sites{S}\n.*\n{S}⚠ Red line: crosses Soviet")
    child.expect(rf"\b5{S}Invade Cuba — not available: not possible now")
    child.expect(rf"\b8{S}Pledge not to invade Cuba{S}escalation -2; diplomatic channel")
    child.expect(PROMPT)
    n = int(child.match.group(1))
    assert n == 9  # hold, Washington's eight moves, and breaking a no-invasion pledge (none yet)
    child.sendline("a")
    child.expect("The advisor suggests you ")
    child.expect(r"To follow it, type [\d ]+\.")
    assert "chose to" not in child.before
    child.expect(PROMPT)
    child.sendline("99")  # out of range: asked again
    child.expect("Please type a number")
    child.expect(PROMPT)
    child.sendline("6 7")  # two diplomatic moves: refused, with the reason
    child.expect("are both diplomatic moves: at most one move per channel")
    child.expect(PROMPT)
    child.sendline("5")  # the invasion needs an air strike first
    child.expect("Move 5 is not available: not possible now")
    child.expect(PROMPT)
    child.sendline("2 8")  # mobilise and pledge, together
    child.expect(WHY)
    child.sendline("x" * 600)  # too long: asked again
    child.expect("too long")
    child.expect(WHY)
    child.sendline("Resolve, and a way out <b>now</b>")
    child.expect(r"What happened in turn 1 \(16 October 1962\)")
    child.expect(r"United States \(you\): Mobilise forces for Cuba and Pledge not to invade")
    child.expect("What changed: ")
    # turn 2: the same numbers; the pledge is used up and the mobilisation cools down
    child.expect(r"Turn 2 of 3 \(17 October 1962\)")
    child.expect(rf"\b2{S}Mobilise forces for Cuba — not available: cooling down: possible again")
    child.expect(rf"\b6{S}Warn Moscow in public{S}escalation")
    child.expect(rf"\b8{S}Pledge not to invade Cuba — not available: already used")
    child.expect(PROMPT)
    assert "The world now" not in child.before  # the whole table only once, then changes
    child.sendline("q")
    child.expect(f"Saved to {save}; continue with: summitsim play --resume")
    child.expect(r"After-action report of the 1 turn\(s\) played: ")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    gdef, closed = load_save(json.loads(save.read_text()))
    assert len(closed) == 1
    assert closed[0].moves["united_states"].move == "mobilise_forces+pledge_no_invasion"
    assert closed[0].moves["united_states"].justification == "Resolve, and a way out <b>now</b>"
    assert "beside the AI" in report.read_text()  # quitting wrote the report of turn 1
    # resume and finish, holding
    child = spawn("play", "--resume", str(save), "--report", str(report))
    child.expect("Resumed after turn 1")
    for _ in range(2):
        child.expect(PROMPT)
        child.sendline("0")
        child.expect(WHY)
        child.sendline("")
    child.expect("Game over")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    gdef, closed = load_save(json.loads(save.read_text()))
    moves = [ct.moves["united_states"].move for ct in closed]
    assert moves == ["mobilise_forces+pledge_no_invasion", "hold", "hold"]
    html = report.read_text()
    assert "Resolve, and a way out &lt;b&gt;now&lt;/b&gt;" in html  # escaped in the report
    assert "beside the AI" in html
    # the saved game replays to the same result as a fresh run with the same inputs
    a = replay(gdef, closed).result().to_dict()
    b = replay(GameDef.from_dict(gdef.to_dict()), closed).result().to_dict()
    assert a["turns"] == b["turns"]
    first = [x["move"] for x in a["turns"][1]["actions"] if x["actor"] == "united_states"]
    assert first == ["mobilise_forces", "pledge_no_invasion"]


def test_quit_without_save_saves_to_a_default_file_and_writes_the_report(tmp_path):
    """`q` is "save and quit" with or without --save: the game goes to a file named after
    the scenario and actors in the current folder (never over another file), the report
    of the turns played is written next to it, and both paths are printed."""
    (tmp_path / "pyongyang-2024-south-korea.json").write_text("someone else's file")
    r = subprocess.run(
        command("play", "pyongyang-2024", "--as", "south_korea", "--turns", "4"),
        input="0\nfirst turn\nq\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    save = tmp_path / "pyongyang-2024-south-korea-2.json"
    assert (tmp_path / "pyongyang-2024-south-korea.json").read_text() == "someone else's file"
    assert f"Saved to {save}; continue with: summitsim play --resume {save}" in r.stdout
    report = save.with_suffix(".html")
    assert f"After-action report of the 1 turn(s) played: {report}" in r.stdout
    assert "first turn" in report.read_text()
    _, closed = load_save(json.loads(save.read_text()))
    assert [ct.moves["south_korea"].justification for ct in closed] == ["first turn"]
    # quitting before any turn is played saves nothing, and says so
    r = subprocess.run(
        command("play", "pyongyang-2024", "--as", "china"),
        input="q\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert r.returncode == 0 and "No turn was played: nothing to save." in r.stdout
    assert not list(tmp_path.glob("*china*"))


def test_light_report_from_play(tmp_path):
    r = subprocess.run(
        command("play", "pyongyang-2024", "--as", "china", "--turns", "1", "--light"),
        input="0\n\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    from summitsim.viz.report import plotly_js_name

    report = tmp_path / "after-action.html"
    assert f"After-action report: {report} (with {plotly_js_name()} beside it)" in r.stdout
    assert (tmp_path / plotly_js_name()).is_file()
    assert report.stat().st_size < 1_000_000


@pytest.mark.parametrize(
    "scenario, actors, turns, talks",
    [
        # Russia first answers Kim's opening offer at the summit: it accepts
        ("pyongyang-2024", "russia,china", 3, "a\n"),
        # Washington opens the Hanoi summit: it walks away
        ("hanoi-2019", "south_korea,united_states", 3, "w\n"),
    ],
)
def test_terminal_shows_names_not_ids(tmp_path, scenario, actors, turns, talks):
    """Every prompt, move list, negotiation, advice, turn summary and the world table speak
    in names: no snake_case id of the scenario appears; the world is shown whole once, then
    as changes each turn."""
    from _names import ids_of, snake_case_words, visible_ids
    from summitsim.engine.registry import load_scenario

    one_turn = "a\nb\ns\n0\nbecause\n"  # advisor, briefing, state, then hold
    r = subprocess.run(
        command("play", scenario, "--as", actors, "--turns", str(turns)),
        input=talks + one_turn * turns * 2,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.count("The advisor suggests") == turns * 2
    assert visible_ids(out, ids_of(load_scenario(scenario).spec)) == []
    assert snake_case_words(out) == []
    # the whole table: once at the start and once for each `s`; changes after every turn
    assert out.count("The world now") + out.count("The world after") == 1 + turns * 2
    assert out.count("What changed: ") == turns
    assert ("Negotiation: " in out) == bool(talks)


def test_play_from_stdin_two_actors(tmp_path):
    report = tmp_path / "r.html"
    # two actors, two turns: Russia accepts Kim's opening offer at the summit; then each
    # turn Russia then China; pick option 1 / hold
    lines = "a\n1\nrussia reason\n0\n\n0\n\n0\nchina reason\n"
    r = subprocess.run(
        command(
            "play",
            "pyongyang-2024",
            "--as",
            "russia,china",
            "--turns",
            "2",
            "--report",
            str(report),
        ),
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("What happened in turn") == 2
    assert "Briefing: China" in r.stdout and "Briefing: Russia" in r.stdout
    assert "China (you)" in r.stdout and "Russia (you)" in r.stdout
    assert "Negotiation: The Pyongyang summit (North Korea, Russia) — Signed" in r.stdout
    html = report.read_text()
    assert "russia reason" in html and "china reason" in html


def test_play_ends_cleanly_when_input_ends(tmp_path):
    save = tmp_path / "s.json"
    r = subprocess.run(
        command("play", "pyongyang-2024", "--as", "russia", "--save", str(save)),
        input="a\n0\n\n",  # accept Kim's opening offer, hold, no reason; then input ends
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0 and "Traceback" not in r.stderr
    _, closed = load_save(json.loads(save.read_text()))
    assert len(closed) == 1
    assert [(a.actor, a.kind, a.by) for a in closed[0].answers] == [("russia", "accept", "human")]


@pytest.mark.parametrize(
    "args, message",
    [
        (("play", "pyongyang-2024"), "--as"),
        (("play", "pyongyang-2024", "--as", "atlantis"), "unknown actor"),
        (("play", "no-such-scenario", "--as", "russia"), "no such scenario"),
        (("play", "--resume", "/nonexistent/save.json"), "cannot read"),
    ],
)
def test_play_bad_input_is_one_line(args, message):
    r = subprocess.run(command(*args), capture_output=True, text=True, timeout=120, input="")
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr


def test_asking_the_advisor_does_not_change_the_game(tmp_path):
    """The advisor draws from a generator of its own: asking it each turn leaves every
    actor's moves and the world exactly as they would have been."""

    def play(ask: bool, name: str) -> tuple[str, dict]:
        save = tmp_path / f"{name}.json"
        turn = ("a\n" if ask else "") + "0\n\n"
        r = subprocess.run(
            command(
                "play",
                "pyongyang-2024",
                "--as",
                "south_korea",
                "--turns",
                "5",
                "--seed",
                "9",
                "--save",
                str(save),
                "--report",
                str(tmp_path / f"{name}.html"),
            ),
            input=turn * 5,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr
        shown = "\n".join(
            block.split("\nTurn ")[0]
            for block in r.stdout.split("Game over")[0].split("What happened in turn")[1:]
        )
        return shown, json.loads(save.read_text())

    plain, save_a = play(False, "plain")
    asked, save_b = play(True, "asked")
    assert "The advisor suggests" not in plain
    assert plain == asked and save_a == save_b
    # and what the terminal showed is what a replay of the save gives
    gdef, closed = load_save(save_a)
    result = replay(gdef, closed).result().to_dict()
    moves = [a["move"] for t in result["turns"][1:] for a in t["actions"] if a["by"] == "ai"]
    spec = gdef.compiled().spec
    shown_moves = [m for m in moves if m != "hold"]
    assert shown_moves
    for move in shown_moves:
        assert spec.moves[move].name in plain
