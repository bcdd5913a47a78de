"""The base of the errors that are the user's to fix."""

from __future__ import annotations


class UserError(ValueError):
    """Bad input (a parameter, a sweep, a game request, a result file), with a one-line
    message; the command line prints it as ``error: MESSAGE`` and exits 2. (Errors in a
    scenario or layout file are :class:`summitsim.scenario.ScenarioError`: one line per
    problem, each with its ``FILE:LINE:COL``.)"""
