"""Hindcasts: what happened after a scenario's start, and how well the scenario forecast it.

``record`` reads and checks a record file (``records/<scenario-id>.yaml``: dated, sourced
entries, each a check over runs); ``checks`` compiles those checks and evaluates them on a
run; ``scores`` holds the proper scores, skill scores and the reliability diagram; ``play``
plays ensembles on the sweep engine (local workers or Dask) and counts, per entry, the runs
in which it holds; ``backtest`` puts them together against two baselines; ``calibrate`` fits
parameters to a record (approximate Bayesian computation) with hold-out entries; ``report``
draws the figures and the self-contained HTML report.

Import the submodules you need; this package imports nothing heavy.
"""
