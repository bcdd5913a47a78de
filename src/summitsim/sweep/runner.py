"""Drive a sweep: cut the runs still to do into chunks, keep the executor busy, write results
in run-id order as they arrive, and stop cleanly on Ctrl-C.

Chunk sizes adapt to the measured time per run so that each chunk takes about
``chunk_seconds`` (0.3 s by default, never much under 0.1 s): the per-chunk cost of sending
work (about 1 ms with Dask) stays small, and the tail of the sweep is still shared between
workers. Results do not depend on chunking: a run's seed and parameters depend only on its id.
"""

from __future__ import annotations

import math
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .plan import Plan
from .spec import SweepError
from .store import Store, to_table
from .worker import Chunk, ChunkResult

Progress = Callable[[int, int, int], None]  # done, total, failed


@dataclass
class Outcome:
    state: str  # complete | interrupted | already-complete
    total: int
    done: int
    failed: int
    seconds: float
    played: int = 0  # runs played by this call (the rest were there already)
    executor: dict[str, Any] = field(default_factory=dict)


class Sizer:
    """Chunk sizes from the measured seconds per run."""

    def __init__(self, slots: int, chunk_seconds: float, first: int = 8):
        self.slots = slots
        self.target = chunk_seconds
        self.first = first
        self.per_run: float | None = None

    def observe(self, res: ChunkResult) -> None:
        n = max(1, res.stop - res.start)
        x = res.seconds / n
        self.per_run = x if self.per_run is None else 0.7 * self.per_run + 0.3 * x

    def size(self, remaining: int) -> int:
        if self.per_run is None:
            return self.first
        per = max(self.per_run, 1e-6)
        want = max(1, round(self.target / per))
        floor = max(1, math.ceil(0.1 / per))  # never much under 0.1 s
        share = math.ceil(remaining / (2 * self.slots))  # the tail: keep every worker busy
        return max(floor, min(want, share, 100_000))


def todo_ranges(n_runs: int, done: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, pos = [], 0
    for a, b in sorted(done):
        if a > pos:
            out.append((pos, a))
        pos = max(pos, b)
    if pos < n_runs:
        out.append((pos, n_runs))
    return out


class PartWriter:
    """Collects finished chunks and writes them in submission order, one contiguous range of
    run ids per part, every ``flush_rows`` runs (or ``TURN_ROWS`` turn rows) or
    ``flush_seconds`` seconds. Chunks are turned into Arrow tables as they join the block, so
    the block is compact."""

    TURN_ROWS = 200_000

    def __init__(self, store: Store, flush_rows: int = 20_000, flush_seconds: float = 5.0):
        self.store = store
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds
        self.order: deque[int] = deque()
        self.waiting: dict[int, ChunkResult] = {}
        self.block: list[tuple[int, int, Any, Any]] = []  # start, stop, runs, turns tables
        self.rows = 0
        self.turn_rows = 0
        self.since = time.monotonic()

    def submitted(self, chunk: Chunk) -> None:
        self.order.append(chunk.start)

    def dropped(self, start: int) -> None:
        self.order.remove(start)

    def finished(self, res: ChunkResult) -> None:
        self.waiting[res.start] = res
        while self.order and self.order[0] in self.waiting:
            self._append(self.waiting.pop(self.order.popleft()))
        self.tick()

    def _append(self, res: ChunkResult) -> None:
        if self.block and self.block[-1][1] != res.start:
            self.flush()
        st = self.store
        runs = to_table(res.runs, st.runs_schema)
        turns = None
        if st.turns_schema is not None:
            turns = to_table(res.turns, st.turns_schema) if res.turns else None
            self.turn_rows += turns.num_rows if turns is not None else 0
        self.block.append((res.start, res.stop, runs, turns))
        self.rows += res.stop - res.start

    def tick(self) -> None:
        if self.block and (
            self.rows >= self.flush_rows
            or self.turn_rows >= self.TURN_ROWS
            or time.monotonic() - self.since >= self.flush_seconds
        ):
            self.flush()

    def flush(self) -> None:
        self.since = time.monotonic()
        if not self.block:
            return
        import pyarrow as pa

        st = self.store
        runs = pa.concat_tables([b[2] for b in self.block])
        turns = None
        if st.turns_schema is not None:
            parts = [b[3] for b in self.block if b[3] is not None]
            turns = pa.concat_tables(parts) if parts else st.turns_schema.empty_table()
        st.write_part(self.block[0][0], self.block[-1][1], runs, turns)
        self.block, self.rows, self.turn_rows = [], 0, 0

    def close(self) -> None:
        """Write everything finished, including chunks that finished out of order."""
        self.flush()
        for start in sorted(self.waiting):
            self._append(self.waiting.pop(start))
        self.flush()
        self.order.clear()


def chunks(plan: Plan, ranges: list[tuple[int, int]], sizer: Sizer) -> Iterator[Chunk]:
    loaded, text = plan.loaded, plan.text
    remaining = sum(b - a for a, b in ranges)
    r = plan.replicates
    for a, b in ranges:
        pos = a
        while pos < b:
            stop = min(b, pos + sizer.size(remaining))
            points = {p: plan.params(p) for p in range(pos // r, (stop - 1) // r + 1)}
            yield Chunk(
                loaded.sha256, text, loaded.source, plan.turns, plan.spec.keep_turns,
                plan.spec.seed, plan.spec.common_seeds, r, pos, stop, points,
            )  # fmt: skip
            remaining -= stop - pos
            pos = stop


def execute(
    plan: Plan,
    store: Store,
    executor: Any,
    progress: Progress | None = None,
    chunk_seconds: float = 0.3,
    flush_seconds: float = 5.0,
) -> Outcome:
    """Play every run not yet in ``store``; returns how it ended."""
    total = plan.n_runs
    done_ranges = store.done_ranges()
    todo = todo_ranges(total, done_ranges)
    done = total - sum(b - a for a, b in todo)
    before = done
    failed = store.failed_so_far()
    t0 = time.monotonic()
    info = executor.describe()
    store.write_manifest("running", {"executor": info, "counts": _counts(total, done, failed)})
    sizer = Sizer(executor.slots, chunk_seconds)
    source = chunks(plan, todo, sizer)
    writer = PartWriter(store, flush_seconds=flush_seconds)
    inflight: dict[Any, Chunk] = {}
    interrupted = False
    old_term = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        if progress:
            progress(done, total, failed)
        try:
            _fill(executor, inflight, writer, source)
            while inflight:
                for h in executor.wait_any(list(inflight), 0.25):
                    res = executor.result(h)
                    del inflight[h]
                    writer.finished(res)
                    sizer.observe(res)
                    done += res.stop - res.start
                    failed += res.failed
                    if progress:
                        progress(done, total, failed)
                writer.tick()
                _fill(executor, inflight, writer, source)
        except KeyboardInterrupt:
            interrupted = True
            d, f = _drain(executor, inflight, writer)
            done, failed = done + d, failed + f
            if progress:
                progress(done, total, failed)
        except Exception as exc:  # a chunk failed as a whole: keep what finished, then stop
            interrupted = True
            for chunk in inflight.values():
                writer.dropped(chunk.start)
            writer.close()
            store.write_manifest("interrupted", {"executor": info, "error": str(exc)})
            if isinstance(exc, SweepError):
                raise
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise SweepError(
                f"a chunk of runs failed ({type(exc).__name__}: {first}); what finished is "
                "kept, rerun to resume"
            ) from exc
        writer.close()
    finally:
        signal.signal(signal.SIGTERM, old_term)
        executor.close(force=interrupted)
    seconds = time.monotonic() - t0
    counts = store.merge()
    state = "interrupted" if interrupted or counts["rows"] < total else "complete"
    extra = {
        "executor": info,
        "counts": _counts(total, counts["rows"], counts["failed"]),
        "seconds": round(seconds, 3),
    }
    store.write_manifest(state, extra)
    if state == "complete":
        store.remove_parts()
    played = counts["rows"] - before
    return Outcome(state, total, counts["rows"], counts["failed"], seconds, played, info)


def _fill(
    executor: Any, inflight: dict[Any, Chunk], writer: PartWriter, source: Iterator[Chunk]
) -> None:
    while len(inflight) < 2 * executor.slots:
        chunk = next(source, None)
        if chunk is None:
            return
        inflight[executor.submit(chunk)] = chunk
        writer.submitted(chunk)


def _drain(executor: Any, inflight: dict[Any, Chunk], writer: PartWriter) -> tuple[int, int]:
    """After Ctrl-C: drop what has not started, keep what finishes within a few seconds."""
    running = set(executor.cancel(list(inflight)))
    for h, chunk in list(inflight.items()):
        if h not in running:
            writer.dropped(chunk.start)
            del inflight[h]
    done = failed = 0
    deadline = time.monotonic() + 10.0
    try:
        while inflight and time.monotonic() < deadline:
            for h in executor.wait_any(list(inflight), 0.25):
                chunk = inflight.pop(h)
                try:
                    res = executor.result(h)
                except Exception:
                    writer.dropped(chunk.start)
                    continue
                writer.finished(res)
                done += res.stop - res.start
                failed += res.failed
    except KeyboardInterrupt:
        pass  # a second Ctrl-C: stop waiting
    for chunk in inflight.values():
        writer.dropped(chunk.start)
    inflight.clear()
    return done, failed


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _counts(total: int, done: int, failed: int) -> dict[str, int]:
    return {"runs": total, "done": done, "failed": failed}
