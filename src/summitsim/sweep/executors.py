"""Where chunks run: local worker processes, or an existing Dask distributed cluster.

Both give the same interface: ``submit(chunk, fn=run_chunk)``, ``wait_any(timeout)`` for
the finished handles, ``result(handle)``, ``cancel(handles)`` and ``close()``. ``slots`` is how
many chunks can run at once; the runner keeps about twice that many in flight, so workers never
wait for the next chunk and memory stays bounded. ``fn`` is what a worker does with a chunk:
a sweep's :func:`~summitsim.sweep.worker.run_chunk`, or another picklable function of a chunk
that returns a :class:`~summitsim.sweep.worker.ChunkResult` (a backtest evaluates a record's
checks on each run instead of keeping outcomes).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

from .spec import SweepError
from .worker import Chunk, ChunkResult, run_chunk


def _quiet_worker() -> None:
    """Workers leave Ctrl-C to the main process, which stops them cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _ready() -> int:
    return os.getpid()


class LocalExecutor:
    """Warm worker processes, started at once and kept for the whole sweep.

    On Linux they are forked from this process after it has imported the engine (so they
    start in milliseconds and share its memory pages) and before any other thread of ours
    exists. If this process already runs other threads (say, a Dask client in a notebook),
    forking is not safe, and a fork server with the engine preloaded is used instead;
    elsewhere workers are spawned."""

    name = "local"

    def __init__(self, workers: int):
        import multiprocessing as mp
        import threading
        from concurrent.futures import ProcessPoolExecutor

        import summitsim.api  # noqa: F401  (imported once, before forking)

        methods = mp.get_all_start_methods()
        ctx: Any
        if "fork" in methods and threading.active_count() == 1:
            ctx = mp.get_context("fork")
        elif "forkserver" in methods:
            ctx = mp.get_context("forkserver")
            ctx.set_forkserver_preload(["summitsim.api", "summitsim.sweep.worker"])
        else:
            ctx = mp.get_context("spawn")
        self.slots = workers
        self.pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_quiet_worker
        )
        # Start every worker now, from the main thread, before a progress bar starts its own.
        for f in [self.pool.submit(_ready) for _ in range(workers)]:
            f.result()

    def describe(self) -> dict[str, Any]:
        return {"kind": "local", "workers": self.slots}

    def submit(self, chunk: Chunk, fn: Callable[[Chunk], ChunkResult] = run_chunk) -> Any:
        return self.pool.submit(fn, chunk)

    def wait_any(self, handles: list[Any], timeout: float) -> list[Any]:
        from concurrent.futures import FIRST_COMPLETED, wait

        done, _ = wait(handles, timeout=timeout, return_when=FIRST_COMPLETED)
        return list(done)

    def result(self, handle: Any) -> ChunkResult:
        from concurrent.futures.process import BrokenProcessPool

        try:
            res: ChunkResult = handle.result()
        except BrokenProcessPool:
            raise SweepError("a worker process died (out of memory?); rerun to resume") from None
        return res

    def cancel(self, handles: list[Any]) -> list[Any]:
        """Cancel what has not started; return the handles still running."""
        return [h for h in handles if not h.cancel()]

    def close(self, force: bool = False) -> None:
        if force:
            for p in list(getattr(self.pool, "_processes", {}).values()):
                p.terminate()
        self.pool.shutdown(wait=not force, cancel_futures=True)


class DaskExecutor:
    """An existing cluster: ``dask scheduler`` plus ``dask worker`` processes."""

    name = "dask"

    def __init__(self, address: str, connect_timeout: float = 10.0, worker_wait: float = 30.0):
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - a declared dependency
            raise SweepError("--dask needs the 'distributed' package") from None
        import queue

        self.address = address
        self.finished: queue.Queue[Any] = queue.Queue()
        try:
            self.client = Client(address, timeout=connect_timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise SweepError(f"cannot reach the Dask scheduler at {address}: {reason}") from None
        try:
            self.client.wait_for_workers(1, timeout=worker_wait)
        except (TimeoutError, OSError):
            self.client.close()
            raise SweepError(
                f"the Dask scheduler at {address} has no workers (waited {worker_wait:g} s)"
            ) from None
        info = self.client.scheduler_info(n_workers=-1)
        self.slots = max(1, sum(w.get("nthreads", 1) for w in info["workers"].values()))

    def describe(self) -> dict[str, Any]:
        return {"kind": "dask", "address": self.address, "threads": self.slots}

    def submit(self, chunk: Chunk, fn: Callable[[Chunk], ChunkResult] = run_chunk) -> Any:
        future = self.client.submit(fn, chunk, pure=False)
        future.add_done_callback(self.finished.put)
        return future

    def wait_any(self, handles: list[Any], timeout: float) -> list[Any]:
        import queue

        try:
            done = [self.finished.get(timeout=timeout)]
        except queue.Empty:
            return []
        while True:
            try:
                done.append(self.finished.get_nowait())
            except queue.Empty:
                break
        wanted = set(handles)
        return [f for f in done if f in wanted]

    def result(self, handle: Any) -> ChunkResult:
        try:
            res: ChunkResult = handle.result()
        except ImportError as exc:
            raise SweepError(f"Dask workers cannot run summitsim ({exc})") from None
        return res

    def cancel(self, handles: list[Any]) -> list[Any]:
        running = [h for h in handles if h.status == "pending"]
        return running

    def close(self, force: bool = False) -> None:
        self.client.close()
