"""Finding scenarios (bundled ids or paths) and caching their compiled forms per process."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..scenario import LoadedScenario, ScenarioError, load_path
from .compiled import Compiled, compile_scenario

_LOCK = threading.Lock()  # the dashboard and classroom servers compile from several threads
_CACHE: OrderedDict[tuple[str, tuple[tuple[str, Any], ...]], Compiled] = OrderedDict()
_CACHE_SIZE = 512


def data_dir(name: str) -> Path:
    """``scenarios`` or ``dashboards``: bundled in the wheel, or at the top of a checkout."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_data" / name, here.parent.parent / name):
        if candidate.is_dir():
            return candidate
    return here / "_data" / name


def bundled() -> dict[str, Path]:
    """Bundled scenario ids -> files, in name order."""
    return dict(_bundled())


@lru_cache(maxsize=1)
def _bundled() -> tuple[tuple[str, Path], ...]:
    folder = data_dir("scenarios")
    return tuple((p.stem, p) for p in sorted(folder.glob("*.yaml")))


def default_scenario() -> str:
    """The bundled scenario used when none is named: the id in ``scenarios/DEFAULT``, or the
    first bundled scenario if that file is missing."""
    marker = data_dir("scenarios") / "DEFAULT"
    if marker.is_file():
        return marker.read_text(encoding="utf-8").strip()
    ids = [sid for sid, _ in _bundled()]
    if not ids:
        raise ScenarioError(["no bundled scenarios found"])
    return ids[0]


@lru_cache(maxsize=64)
def _load_cached(path: str, mtime_ns: int, display: str) -> LoadedScenario:
    return load_path(Path(path), display)


def load_scenario(ref: str | Path | LoadedScenario) -> LoadedScenario:
    """A bundled scenario's id, or a path to a scenario file."""
    if isinstance(ref, LoadedScenario):
        return ref
    text = str(ref)
    found = dict(_bundled()).get(text)
    path = found if found is not None else Path(text)
    if found is None and not path.is_file():
        ids = ", ".join(bundled()) or "(none)"
        raise ScenarioError([f"{text}: no such scenario file or bundled id (bundled: {ids})"])
    display = f"scenarios/{path.name}" if found is not None else text
    return _load_cached(str(path.resolve()), path.stat().st_mtime_ns, display)


def get_compiled(ref: Any, params: Mapping[str, Any] | None = None) -> Compiled:
    """Compile once per (scenario, parameter values) per process."""
    if isinstance(ref, Compiled):
        if params:
            return get_compiled(ref.loaded, params)
        return ref
    loaded = load_scenario(ref)
    key = (
        loaded.sha256 + loaded.source,
        tuple(sorted((params or {}).items(), key=lambda kv: kv[0])),
    )
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    compiled = compile_scenario(loaded, params or {})  # outside the lock: pure, may run twice
    with _LOCK:
        _CACHE.setdefault(key, compiled)
        _CACHE.move_to_end(key)
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
        return _CACHE[key]
