"""A classroom game served on 127.0.0.1 in this process, for the HTTP tests."""

from __future__ import annotations

import json
import threading
from typing import Any

from summitsim.classroom.client import Client
from summitsim.classroom.game import new_def
from summitsim.classroom.server import make_server
from summitsim.classroom.store import GameStore, create

SCEN = "pyongyang-2024"


class Live:
    """A game of three teams (Russia, South Korea, the United States) and its server;
    ``server`` options go to :func:`make_server`."""

    def __init__(self, tmp_path: Any, **server: Any):
        gdef = new_def(SCEN, ["russia", "south_korea", "united_states"], seed=2, turns=4)
        self.db = tmp_path / "g.sqlite"
        self.codes, self.instructor_code = create(self.db, gdef, deadline_minutes=10)
        self.store = GameStore(self.db)
        self.srv = make_server(self.store, "127.0.0.1", 0, **server)
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.srv.server_port}"

    def team(self, actor: str) -> Client:
        c = Client(self.base)
        assert c.login(self.codes[actor]).status_code == 302
        return c

    def instructor(self) -> Client:
        c = Client(self.base)
        assert c.login(self.instructor_code).status_code == 302
        return c

    def submissions(self) -> list[tuple[str, str]]:
        return [(r[4], json.loads(r[5])["move"]) for r in self.store.rows() if r[2] == "submit"]

    def stop(self) -> None:
        self.srv.shutdown()
        self.srv.server_close()


def served_game(tmp_path: Any, scenario: Any, teams: list[str], seed: int, turns: int) -> Any:
    """A game of ``scenario`` served on 127.0.0.1, with a signed-in client per team and one for
    the instructor: yields ``(store, clients)``; a generator for a pytest fixture."""
    gdef = new_def(str(scenario), teams, seed=seed, turns=turns)
    db = tmp_path / "g.sqlite"
    codes, instructor = create(db, gdef, deadline_minutes=10)
    store = GameStore(db)
    srv = make_server(store, "127.0.0.1", 0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_port}"

    def login(code: str) -> Client:
        c = Client(base)
        assert c.login(code).status_code == 302
        return c

    yield store, {**{k: login(v) for k, v in codes.items()}, "instructor": login(instructor)}
    srv.shutdown()
    srv.server_close()
