"""Covert moves in a classroom game, over real HTTP on 127.0.0.1: another team's page shows
no trace of a covert move until it is detected; its own team and the instructor see it.

tests/data/covert.yaml: Alpha may ship parts in secret (detected each turn with chance 0.3).
"""

from __future__ import annotations

import json

import pytest

from tests._classroom import served_game
from tests.conftest import ROOT

SCENARIO = ROOT / "tests" / "data" / "covert.yaml"
SECRET = ("ship_secretly", "Ship parts in secret", "ship parts in secret")


@pytest.fixture
def game(tmp_path):
    yield from served_game(tmp_path, SCENARIO, ["alpha", "beta"], seed=5, turns=6)


def text(resp) -> str:
    assert resp.status_code == 200, resp.text[:300]
    return json.dumps(resp.json())


def covert_moves(store) -> list[dict]:
    result = store.result(store.state())
    return [a for t in result["turns"] for a in t["actions"] if a.get("covert")]


def test_a_covert_move_is_hidden_from_other_teams_until_detected(game):
    store, clients = game
    hidden_turns = 0
    for turn in range(1, 7):
        assert clients["alpha"].submit("ship_secretly", "quietly")[0] == 200
        assert clients["beta"].submit("hold")[0] == 200
        assert clients["instructor"].control("close", missing="hold")[0] == 200
        moves = covert_moves(store)
        assert len(moves) == turn
        beta = text(clients["beta"].team_view())
        alpha = text(clients["alpha"].team_view())
        instructor = text(clients["instructor"].instructor_view())
        found = [a for a in moves if a["detected_turn"] is not None]
        assert any(s in alpha for s in SECRET)  # its own team sees it
        assert any(s in instructor for s in SECRET)  # the instructor sees everything
        if not found:
            hidden_turns += 1
            assert not any(s in beta for s in SECRET), f"turn {turn}: Beta sees the secret"
        else:
            assert any(s in beta for s in SECRET)  # once detected, everyone knows
    assert hidden_turns >= 1  # the seed leaves the first shipment undetected for a while
    assert any(a["detected_turn"] is not None for a in covert_moves(store))
