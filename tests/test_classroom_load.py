"""Load and crash tests against the real server process on 127.0.0.1.

Load: 30 teams submit concurrently, in a bounded loop; every accepted move is stored exactly
once. Crash: the server is killed with SIGKILL while teams are submitting; after a restart
every move the server had acknowledged is still there and the game continues.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from summitsim.classroom.client import Client
from summitsim.classroom.loadtest import ServerProcess, new_game, stored_submissions, submit_all
from summitsim.classroom.store import GameStore

TEAMS = 30


@pytest.fixture(scope="module")
def class_game(tmp_path_factory):
    return new_game(tmp_path_factory.mktemp("load"), TEAMS)


def test_thirty_teams_submit_concurrently(class_game):
    db, codes, instructor = class_game
    srv = ServerProcess(db)
    try:
        res = submit_all(srv.base, codes, rounds=4, tag="load:")
        assert res.errors == []
        assert res.rejected == []
        assert len(res.accepted) == TEAMS * 4
        stored = [s for s in stored_submissions(db) if s[1].startswith("load:")]
        counts = Counter(stored)
        assert set(counts) == set(res.accepted)  # nothing lost, nothing invented
        assert all(n == 1 for n in counts.values())  # stored exactly once
        # the last move of each team is its pending move, and closing the turn uses them all
        ins = Client(srv.base)
        assert ins.login(instructor).status_code == 302
        state = GameStore(db).state()
        assert len(state.pending) == TEAMS
        assert ins.control("close", "hold") == (200, f"Turn {state.turn} closed.")
        closed = GameStore(db).state().closed[-1]
        assert all(closed.moves[a].by == "human" for a in codes)
        assert {closed.moves[a].justification for a in codes} == {
            f"load:{a} round 3" for a in codes
        }
    finally:
        srv.stop()


def test_kill_9_during_submissions_loses_nothing_accepted(class_game):
    db, codes, instructor = class_game
    before = len(stored_submissions(db))
    srv = ServerProcess(db)
    early = Client(srv.base)  # signed in before the crash
    assert early.login(codes["a01"]).status_code == 302
    boss = Client(srv.base)
    assert boss.login(instructor).status_code == 302
    assert boss.control("adjust", variable="tension", delta=3)[0] == 200
    stop = threading.Event()
    box: dict = {}

    def load() -> None:
        box["res"] = submit_all(srv.base, codes, rounds=40, tag="crash:", stop=stop)

    t = threading.Thread(target=load, daemon=True)
    t.start()
    # kill the server once a good number of submissions have been acknowledged
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        n = sum(1 for _, why in stored_submissions(db) if why.startswith("crash:"))
        if n >= 60:
            break
        time.sleep(0.05)
    srv.kill()
    stop.set()
    t.join(timeout=120)
    res = box["res"]
    assert len(res.accepted) >= 30, "the server was killed before it accepted anything"
    assert res.errors, "the kill did not interrupt any submission"
    stored = stored_submissions(db)
    counts = Counter(stored)
    # every acknowledged submission survived the kill, once
    assert all(counts[a] == 1 for a in res.accepted)
    assert len(stored) >= before + len(res.accepted)
    # restart: the game continues where it was, and takes new moves
    again = ServerProcess(db)
    try:
        state = GameStore(db).state()
        assert {"variable": "tension", "delta": 3.0} in state.events  # the instructor's change

        def round_of(why: str) -> int:
            return int(why.rsplit(" ", 1)[1])

        last: dict[str, int] = {}
        for actor, why in res.accepted:
            last[actor] = max(last.get(actor, -1), round_of(why))
        for actor, k in last.items():  # each team's pending move is its latest or a later one
            pending = state.pending[actor].move.justification
            assert pending.startswith(f"crash:{actor} ") and round_of(pending) >= k
        cl = Client(again.base)
        assert cl.login(codes["a00"]).status_code == 302
        status, msg, _ = cl.submit("calm_00", "after the restart")
        assert status == 200 and "received" in msg
        assert GameStore(db).state().pending["a00"].move.justification == "after the restart"
        # a session from before the crash still works (sessions live in the game file)
        early.base = again.base
        status, msg, _ = early.submit("trade_01", "same session after the restart")
        assert status == 200 and "received" in msg
    finally:
        again.stop()
