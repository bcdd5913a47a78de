"""summitsim: a summit-scenario wargame simulator.

>>> import summitsim
>>> result = summitsim.run("hanoi-2019", seed=1, params={"us_flexibility": 0.5})
>>> result.outcomes  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "load_scenario", "run"]


def __getattr__(name: str) -> Any:  # lazy, so `summitsim --help` stays fast
    if name in ("run", "load_scenario"):
        from . import api

        return getattr(api, name)
    raise AttributeError(name)
