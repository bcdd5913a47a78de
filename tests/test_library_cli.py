"""`summitsim scenarios` lists the scenario library with its tags and filters it by tag; the
library scenarios play in the classroom and the terminal with no scenario-specific code."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from summitsim.cli import app
from summitsim.engine.registry import bundled, load_scenario

runner = CliRunner()
LIBRARY = sorted(sid for sid in bundled() if "history" in load_scenario(sid).spec.meta.tags)


def test_the_library_is_tagged():
    assert "cuba-1962" in LIBRARY
    for sid in LIBRARY:
        tags = load_scenario(sid).spec.meta.tags
        assert tags[0] == "history" and len(tags) >= 4, (sid, tags)


def test_scenarios_shows_tags_and_groups_the_library():
    out = runner.invoke(app, ["scenarios"]).output
    block = out.split("\nhistory\n", 1)[1]
    assert "cuba-1962" in block and "[history, cold_war, americas, crisis]" in block
    assert "game-chicken" in out.split("\nhistory\n", 1)[0]


def test_scenarios_filters_by_tag():
    res = runner.invoke(app, ["scenarios", "--tag", "history"])
    assert res.exit_code == 0
    assert "cuba-1962" in res.output
    assert "game-chicken" not in res.output and "pyongyang-2024" not in res.output
    games = runner.invoke(app, ["scenarios", "--tag", "games"]).output
    assert "game-chicken" in games and "cuba-1962" not in games
    both = runner.invoke(app, ["scenarios", "--tag", "history", "--tag", "americas"]).output
    assert "cuba-1962" in both


def test_scenarios_unknown_tag_is_a_clear_error():
    res = runner.invoke(app, ["scenarios", "--tag", "no_such_tag"])
    assert res.exit_code == 2
    assert "no_such_tag" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize("sid", LIBRARY)
def test_library_scenario_makes_a_classroom_game(sid, tmp_path):
    actors = list(load_scenario(sid).spec.actors)[:2]
    db = tmp_path / "game.sqlite"
    res = runner.invoke(
        app, ["classroom", "new", sid, "--teams", ",".join(actors), "--db", str(db)]
    )
    assert res.exit_code == 0, res.output
    assert db.exists()


@pytest.mark.parametrize("sid", LIBRARY)
def test_library_scenario_plays_in_the_terminal(sid, tmp_path):
    """Hold every turn (answering 0 to every move prompt) as the first actor, to the end;
    in a negotiation walk away (w; each prompt asks again after an answer it cannot take)."""
    actor = next(iter(load_scenario(sid).spec.actors))
    turns = load_scenario(sid).spec.meta.turns
    res = runner.invoke(
        app,
        ["play", sid, "--as", actor, "--light", "--save", str(tmp_path / "g.json")],
        input="0\nw\n" * (4 * turns),
    )
    assert res.exit_code == 0, res.output
    assert f"Turn {turns} of {turns}" in res.output and "Game over" in res.output
