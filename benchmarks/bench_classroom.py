"""Speed of the classroom: closing a turn, and a move submission's round trip under load.

    uv run python benchmarks/bench_classroom.py [--teams 30] [--rounds 20]

1. Closing a turn (the AI for the actors nobody submitted for, replaying the game, and the
   SQLite write with synchronous=FULL), through the store and through the instructor's
   button over HTTP; pyongyang-2024, 4 teams, all 24 turns. Target: <= 300 ms.
2. A move submission's round trip (login first, then ``--rounds`` submissions per team,
   all teams at once, one thread each) against ``summitsim classroom serve`` in a child
   process on 127.0.0.1. Target: median <= 100 ms with 30 teams.

Prints figures; not a timed test.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from summitsim.classroom.client import Client
from summitsim.classroom.game import new_def, options
from summitsim.classroom.loadtest import ServerProcess, new_game, submit_all
from summitsim.classroom.server import make_server
from summitsim.classroom.store import GameStore, create

TARGET_CLOSE_MS = 300.0
TARGET_SUBMIT_MEDIAN_MS = 100.0
TEAMS = ["russia", "china", "south_korea", "united_states"]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def close_turns_store(folder: Path) -> list[float]:
    """Close all 24 turns through the store; two of four teams submit each turn."""
    create(folder / "store.sqlite", new_def("pyongyang-2024", TEAMS, seed=1))
    store = GameStore(folder / "store.sqlite")
    times = []
    while not store.finished(s := store.state()):
        model = store.model(s)
        for actor in TEAMS[: 2 if s.turn % 2 else 1]:
            store.submit(actor, options(model, actor)[-1]["move"], "benchmark")
        t = time.perf_counter()
        store.close_turn("ai")
        times.append(time.perf_counter() - t)
    return times


def close_turns_http(folder: Path) -> list[float]:
    """The same through the instructor's button: POST, close, replay, answer."""
    codes, instructor = create(folder / "http.sqlite", new_def("pyongyang-2024", TEAMS, seed=2))
    store = GameStore(folder / "http.sqlite")
    srv = make_server(store, "127.0.0.1", 0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_port}"
    try:
        ins = Client(base)
        ins.login(instructor)
        teams = {}
        for a in TEAMS[:2]:
            teams[a] = Client(base)
            teams[a].login(codes[a])
        times = []
        while not store.finished(s := store.state()):
            model = store.model(s)
            for a, cl in teams.items():
                cl.submit(options(model, a)[-1]["move"], "benchmark")
            t = time.perf_counter()
            status, msg = ins.control("close", "ai")
            times.append(time.perf_counter() - t)
            assert status == 200 and "closed" in str(msg), msg
        return times
    finally:
        srv.shutdown()
        srv.server_close()


def submissions(
    folder: Path, n_teams: int, rounds: int
) -> tuple[list[float], float, int, list[float]]:
    """Concurrent round trips of all teams, then one team alone (the unloaded baseline)."""
    db, codes, _ = new_game(folder, n_teams)
    srv = ServerProcess(db)
    try:
        submit_all(srv.base, codes, rounds=2, tag="warm:")  # start-up, imports, first pages
        res = submit_all(srv.base, codes, rounds=rounds, tag="bench:")
        one = submit_all(srv.base, dict(list(codes.items())[:1]), rounds=50, tag="alone:")
    finally:
        srv.stop()
    for r in (res, one):
        if r.errors or r.rejected:
            raise SystemExit(f"errors: {r.errors[:3]} rejected: {r.rejected[:3]}")
    return res.latencies, res.wall, len(res.accepted), one.latencies


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--teams", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-classroom-") as tmp:
        folder = Path(tmp)
        store_ms = [t * 1000 for t in close_turns_store(folder)]
        http_ms = [t * 1000 for t in close_turns_http(folder)]
        lat, wall, n, alone = submissions(folder, args.teams, args.rounds)
    lat_ms = [t * 1000 for t in lat]
    print("Closing a turn (pyongyang-2024, 4 teams, 24 turns; AI + replay + SQLite FULL sync):")
    print(
        f"  store:          median {statistics.median(store_ms):6.1f} ms   "
        f"max {max(store_ms):6.1f} ms   (last turn {store_ms[-1]:.1f} ms)"
    )
    print(
        f"  HTTP (button):  median {statistics.median(http_ms):6.1f} ms   "
        f"max {max(http_ms):6.1f} ms   target <= {TARGET_CLOSE_MS:.0f} ms"
    )
    print(f"Move submissions: {args.teams} teams x {args.rounds} rounds concurrently, {n} stored")
    print(
        f"  round trip:     median {statistics.median(lat_ms):6.1f} ms   "
        f"p95 {pct(lat_ms, 0.95):6.1f} ms   max {max(lat_ms):6.1f} ms   "
        f"target median <= {TARGET_SUBMIT_MEDIAN_MS:.0f} ms"
    )
    print(f"  throughput:     {n / wall:6.1f} submissions/s over {wall:.1f} s")
    alone_ms = [t * 1000 for t in alone]
    print(
        f"  one team alone: median {statistics.median(alone_ms):6.1f} ms   "
        f"p95 {pct(alone_ms, 0.95):6.1f} ms   (50 submissions, for comparison)"
    )
    import os

    print(f"Machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
