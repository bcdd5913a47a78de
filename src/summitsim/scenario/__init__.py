"""Scenario files: schema, safe loading, the expression language and validation. Pure."""

from .validate import LoadedScenario, load_path, load_text
from .yamlsafe import ScenarioError

__all__ = ["LoadedScenario", "ScenarioError", "load_path", "load_text"]
