"""The output folder: ``manifest.json``, ``runs.parquet``, ``turns.parquet`` and, while a sweep
is under way, ``.parts/``.

Results go to part files as runs finish. Each part holds a contiguous range of run ids and is
written to a temporary name and renamed, so a part is either whole or absent; the turns part
of a range is renamed before its runs part, so a runs part vouches for both. The part files
are the sweep's state: a rerun of the same sweep reads which ranges exist and plays only the
rest. At the end (or on Ctrl-C) the parts are streamed, in run-id order, into
``runs.parquet`` (and ``turns.parquet``), which are also written under a temporary name and
renamed. Memory stays flat: nothing holds more than one part at a time.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..files import write_atomic
from .spec import SweepError

if TYPE_CHECKING:
    import pyarrow as pa

    from .plan import Plan

MANIFEST = "manifest.json"
RUNS = "runs.parquet"
TURNS = "turns.parquet"
PARTS = ".parts"
FORMAT = 1
_PART = re.compile(r"^(runs|turns)-(\d{12})-(\d{12})\.parquet$")
_ROW_GROUP = 65_536


def write_json(path: Path, data: Any) -> None:
    text = json.dumps(data, indent=2, allow_nan=False, default=str) + "\n"
    write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def read_manifest(folder: Path) -> dict[str, Any]:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise SweepError(f"{folder}: not a sweep folder (no {MANIFEST})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SweepError(f"{path}: unreadable manifest ({exc})") from None
    if not isinstance(data, dict) or "definition" not in data:
        raise SweepError(f"{path}: not a summitsim sweep manifest")
    return data


def _param_type(p: Any) -> pa.DataType:
    import pyarrow as pa

    kind = p.kind
    if kind == "bool":
        return pa.bool_()
    if kind == "int":
        return pa.int64()
    if kind == "float":
        return pa.float64()
    choices = p.choices
    if all(isinstance(c, bool) for c in choices):
        return pa.bool_()
    if all(isinstance(c, int) and not isinstance(c, bool) for c in choices):
        return pa.int64()
    if all(isinstance(c, int | float) and not isinstance(c, bool) for c in choices):
        return pa.float64()
    return pa.string()


def runs_schema(plan: Plan) -> pa.Schema:
    import pyarrow as pa

    sc = plan.loaded.spec
    fields = [
        pa.field("run_id", pa.int64(), nullable=False),
        pa.field("point_id", pa.int64(), nullable=False),
        pa.field("replicate", pa.int32(), nullable=False),
        pa.field("seed", pa.int64(), nullable=False),
    ]
    fields += [pa.field(n, _param_type(p)) for n, p in sc.parameters.items()]
    fields += [
        pa.field(n, pa.bool_() if o.type == "bool" else pa.float64())
        for n, o in sc.outcomes.items()
    ]
    fields.append(pa.field("peak_escalation", pa.float64()))
    fields += [pa.field(f"first_crossed_{r}", pa.int32()) for r in sc.red_lines]
    fields.append(pa.field("error", pa.string()))
    return pa.schema(fields)


def turns_schema(plan: Plan) -> pa.Schema:
    import pyarrow as pa

    from ..engine.compiled import slot_names

    slots = slot_names(plan.loaded.spec)
    return pa.schema(
        [pa.field("run_id", pa.int64(), nullable=False), pa.field("turn", pa.int16())]
        + [pa.field(s, pa.float64()) for s in slots]
    )


def to_table(cols: dict[str, list[Any]], schema: pa.Schema) -> pa.Table:
    import pyarrow as pa

    arrays = []
    for f in schema:
        values = cols[f.name]
        if pa.types.is_string(f.type) and f.name != "error":
            values = [None if v is None else str(v) for v in values]
        arrays.append(pa.array(values, type=f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


class Store:
    """One sweep's output folder."""

    def __init__(self, folder: Path, plan: Plan):
        self.folder = Path(folder)
        self.parts = self.folder / PARTS
        self.plan = plan
        self.definition = json.loads(json.dumps(plan.definition()))
        self.runs_schema = runs_schema(plan)
        self.turns_schema = turns_schema(plan) if plan.spec.keep_turns else None

    # ----- opening ---------------------------------------------------------------------
    def open(self, create: bool = True) -> str:
        """Check the folder; returns ``new``, ``resume`` or ``complete``. Never overwrites a
        different sweep or a folder that holds something else. ``create=False`` only checks."""
        f = self.folder
        if f.exists() and not f.is_dir():
            raise SweepError(f"{f}: exists and is not a folder")
        state = "new"
        if (f / MANIFEST).exists():
            old = read_manifest(f)
            diff = _differences(old.get("definition", {}), self.definition)
            if diff:
                raise SweepError(
                    f"{f} holds a different sweep (differs in: {', '.join(diff)}); "
                    "choose another --out or delete that folder"
                )
            complete = old.get("status") == "complete" and (f / RUNS).is_file()
            state = "complete" if complete else "resume"
        elif f.is_dir() and any(f.iterdir()):
            raise SweepError(f"{f}: folder is not empty and holds no sweep; choose another --out")
        if not create:
            return state
        f.mkdir(parents=True, exist_ok=True)
        for tmp in f.glob(".*.tmp"):
            tmp.unlink()  # left by a sweep killed while it wrote runs.parquet or the manifest
        if state != "complete":
            self.parts.mkdir(exist_ok=True)
            self._clean_parts()
        return state

    def _clean_parts(self) -> None:
        runs = {(a, b) for a, b, _ in self._listed("runs")}
        for p in self.parts.iterdir():
            m = _PART.match(p.name)
            orphan = m and m[1] == "turns" and (int(m[2]), int(m[3])) not in runs
            if not m or orphan:
                p.unlink()  # a temporary file, or turns whose runs never landed
        if self.turns_schema is not None:
            turns = {(a, b) for a, b, _ in self._listed("turns")}
            for a, b, p in self._listed("runs"):
                if (a, b) not in turns:
                    p.unlink()

    def _listed(self, kind: str) -> list[tuple[int, int, Path]]:
        if not self.parts.is_dir():
            return []
        out = []
        for p in self.parts.iterdir():
            m = _PART.match(p.name)
            if m and m[1] == kind:
                out.append((int(m[2]), int(m[3]), p))
        return sorted(out)

    def done_ranges(self) -> list[tuple[int, int]]:
        return [(a, b) for a, b, _ in self._listed("runs")]

    def failed_so_far(self) -> int:
        import pyarrow.parquet as pq

        n = 0
        for _, _, p in self._listed("runs"):
            col = pq.read_table(p, columns=["error"]).column(0)
            n += len(col) - col.null_count
        return n

    # ----- writing ---------------------------------------------------------------------
    def write_manifest(self, status: str, extra: dict[str, Any]) -> None:
        from .. import __version__

        sc = self.plan.loaded.spec
        data = {
            "format": FORMAT,
            "summitsim_version": __version__,
            "status": status,
            "scenario": {
                "id": self.plan.loaded.id,
                "sha256": self.plan.loaded.sha256,
                "source": self.plan.loaded.source,
            },
            "definition": self.definition,
            "columns": {
                "parameters": {n: p.kind for n, p in sc.parameters.items()},
                "choices": {n: p.choices for n, p in sc.parameters.items() if p.choices},
                "varied": self.plan.varied,
                "outcomes": {n: o.type for n, o in sc.outcomes.items()},
                "red_lines": list(sc.red_lines),
            },
            "versions": versions(),
            **extra,
        }
        write_json(self.folder / MANIFEST, data)

    def write_part(self, start: int, stop: int, runs: pa.Table, turns: pa.Table | None) -> None:
        import pyarrow.parquet as pq

        name = f"{start:012d}-{stop:012d}.parquet"
        if self.turns_schema is not None:
            assert turns is not None
            dest = self.parts / f"turns-{name}"
            write_atomic(dest, lambda p: pq.write_table(turns, p, compression="zstd"))
        dest = self.parts / f"runs-{name}"
        write_atomic(dest, lambda p: pq.write_table(runs, p, compression="zstd"))

    def merge(self) -> dict[str, int]:
        """Stream the parts, in run-id order, into runs.parquet (and turns.parquet)."""
        runs = self._listed("runs")
        _check_disjoint(runs)
        counts = _concat([p for _, _, p in runs], self.folder / RUNS, self.runs_schema)
        if self.turns_schema is not None:
            turns = [p for _, _, p in self._listed("turns")]
            _concat(turns, self.folder / TURNS, self.turns_schema)
        return counts

    def remove_parts(self) -> None:
        for p in self.parts.iterdir():
            p.unlink()
        self.parts.rmdir()


def _check_disjoint(parts: list[tuple[int, int, Path]]) -> None:
    for (_, b, p), (c, _, q) in itertools.pairwise(parts):
        if c < b:
            raise SweepError(f"overlapping part files {p.name} and {q.name}; delete {p.parent}")


def _concat(paths: list[Path], dest: Path, schema: pa.Schema) -> dict[str, int]:
    import pyarrow.parquet as pq

    counts = {"rows": 0, "failed": 0}

    def write(tmp: Path) -> None:
        with pq.ParquetWriter(tmp, schema, compression="zstd") as w:
            for batch in _batches(paths, schema):
                w.write_table(batch, row_group_size=_ROW_GROUP)
                counts["rows"] += batch.num_rows
                if "error" in batch.column_names:
                    col = batch.column("error")
                    counts["failed"] += len(col) - col.null_count

    write_atomic(dest, write)
    return counts


def _batches(paths: list[Path], schema: pa.Schema) -> Iterator[pa.Table]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf: list[pa.Table] = []
    rows = 0
    for p in paths:
        t = pq.read_table(p, schema=schema)
        buf.append(t)
        rows += t.num_rows
        if rows >= _ROW_GROUP:
            yield pa.concat_tables(buf)
            buf, rows = [], 0
    if buf:
        yield pa.concat_tables(buf)


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    keys = sorted(set(old) | set(new))
    out = []
    for k in keys:
        if old.get(k) != new.get(k):
            if k == "scenario" and isinstance(old.get(k), dict) and isinstance(new.get(k), dict):
                out += [f"scenario {s}" for s in ("id", "sha256") if old[k].get(s) != new[k].get(s)]
            else:
                out.append(k)
    return out


def versions() -> dict[str, str]:
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("summitsim", "mesa", "numpy", "pyarrow", "pandas", "salib", "distributed"):
        with contextlib.suppress(PackageNotFoundError):
            out[pkg] = version(pkg)
    return out
