"""What a team's page shows of red lines, over real HTTP on 127.0.0.1: another actor's private
red line leaves no trace on it, even once the result holds an entry for it.

tests/data/private-warning.yaml approaches two red lines on turn 1 without crossing them:
Beta's private ``hidden_grudge`` and Alpha's declared ``open_warning``. An approached, never
crossed private red line stays unrevealed, so only the server's filtering (the hidden red
lines it passes to ``redact`` for a team's view) keeps it off Alpha's page.
"""

from __future__ import annotations

import json

import pytest

from tests._classroom import served_game
from tests.conftest import ROOT

SCENARIO = ROOT / "tests" / "data" / "private-warning.yaml"


@pytest.fixture
def game(tmp_path):
    yield from served_game(tmp_path, SCENARIO, ["a", "b"], seed=2, turns=3)


def text(resp) -> str:
    assert resp.status_code == 200, resp.text[:300]
    return json.dumps(resp.json())


def test_private_red_line_approached_is_shown_to_its_owner_only(game):
    store, clients = game
    assert clients["instructor"].control("close", missing="hold") == (200, "Turn 1 closed.")
    # the result itself holds both entries: the filtering is the page's to do
    result = store.result(store.state())
    approached = {r["red_line"]: r["status"] for r in result["turns"][1]["red_lines"]}
    assert approached == {"hidden_grudge": "approached", "open_warning": "approached"}
    alpha = text(clients["a"].team_view())
    open_line = "Alpha's red line approached: v high enough to worry everyone"
    hidden_line = "Beta's red line approached: v running far too high"
    assert open_line in alpha  # its own, declared
    assert "hidden_grudge" not in alpha  # Beta's private one: no trace, in history or charts
    assert "v running far too high" not in alpha
    beta = text(clients["b"].team_view())
    assert hidden_line in beta  # the owner sees its own
    assert open_line in beta  # a declared one: everyone
    assert hidden_line in text(clients["instructor"].instructor_view())
