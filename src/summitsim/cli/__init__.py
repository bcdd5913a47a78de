"""The ``summitsim`` command line: one command group per file, each thin over the library.

Every module in this package registers its commands on :data:`app` when imported; they are
all imported here. Keep them light at import time (heavy imports go inside the commands).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

from .app import app

_NOT_COMMANDS = {"app", "narrate"}
for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _mod not in _NOT_COMMANDS and not _mod.startswith("_"):
        importlib.import_module(f"{__name__}.{_mod}")


def main() -> None:
    app()


def command(*args: str) -> list[str]:
    """``summitsim ARGS`` as an argument list for a subprocess, run by this Python (so tests,
    benchmarks and the load test reach this installation whatever is on PATH)."""
    return [sys.executable, "-c", "from summitsim.cli import main; main()", *args]


__all__ = ["app", "command", "main"]
