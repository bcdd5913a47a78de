"""Policies decide for actors: AI (expected utility), scripted, random and human."""

from .ai import AIPolicy
from .base import Decision, Policy, Rationale
from .simple import HumanPolicy, RandomPolicy, ScriptedPolicy

__all__ = [
    "AIPolicy",
    "Decision",
    "HumanPolicy",
    "Policy",
    "RandomPolicy",
    "Rationale",
    "ScriptedPolicy",
]
