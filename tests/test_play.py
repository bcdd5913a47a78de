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
    save = tmp_path / "game.json"
    report = tmp_path / "aar.html"
    child = spawn(
        "play",
        "pyongyang-2024",
        "--as",
        "russia",
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
    child.expect("Briefing: Russia")
    child.expect("For your eyes only")
    child.expect(PROMPT)
    n = int(child.match.group(1))
    assert n >= 3
    child.sendline("a")
    child.expect("The AI would choose")
    child.expect(PROMPT)
    child.sendline("99")  # out of range: asked again
    child.expect("Please type a number")
    child.expect(PROMPT)
    child.sendline("1")  # sign the partnership (the first move listed)
    child.expect(WHY)
    child.sendline("x" * 600)  # too long: asked again
    child.expect("too long")
    child.expect(WHY)
    child.sendline("We need a partner <b>now</b>")
    child.expect("What happened in turn 1")
    child.expect(r"Russia \(you\)")
    # turn 2: quit; the game so far is saved
    child.expect(PROMPT)
    child.sendline("q")
    child.expect("continue with: summitsim play --resume")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    gdef, closed = load_save(json.loads(save.read_text()))
    assert len(closed) == 1
    assert closed[0].moves["russia"].move == "sign_partnership"
    assert closed[0].moves["russia"].justification == "We need a partner <b>now</b>"
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
    assert [ct.moves["russia"].move for ct in closed] == ["sign_partnership", "hold", "hold"]
    html = report.read_text()
    assert "We need a partner &lt;b&gt;now&lt;/b&gt;" in html  # escaped in the report
    assert "beside the AI" in html
    # the saved game replays to the same result as a fresh run with the same inputs
    a = replay(gdef, closed).result().to_dict()
    b = replay(GameDef.from_dict(gdef.to_dict()), closed).result().to_dict()
    assert a["turns"] == b["turns"]
    assert a["turns"][1]["actions"][0]["move"] == "sign_partnership"


def test_play_from_stdin_two_actors(tmp_path):
    report = tmp_path / "r.html"
    # two actors, two turns: each turn Russia then China; pick option 1 / hold
    lines = "1\nrussia reason\n0\n\n0\n\n0\nchina reason\n"
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
    html = report.read_text()
    assert "russia reason" in html and "china reason" in html


def test_play_ends_cleanly_when_input_ends(tmp_path):
    save = tmp_path / "s.json"
    r = subprocess.run(
        command("play", "pyongyang-2024", "--as", "russia", "--save", str(save)),
        input="0\n\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0 and "Traceback" not in r.stderr
    _, closed = load_save(json.loads(save.read_text()))
    assert len(closed) == 1


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
            block.split("\nThe world")[0].split("\nTurn ")[0]
            for block in r.stdout.split("Game over")[0].split("What happened in turn")[1:]
        )
        return shown, json.loads(save.read_text())

    plain, save_a = play(False, "plain")
    asked, save_b = play(True, "asked")
    assert "The AI would choose" not in plain
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
