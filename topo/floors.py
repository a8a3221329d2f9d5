"""Resolving a scenario's floor: inline geometry, a shipped layout, or a file."""

from __future__ import annotations

from pathlib import Path

from layouts.errors import LayoutError, Problem
from layouts.model import Floor
from topo.scenario import Scenario, check_scenario_size

__all__ = ["floor_of", "resolve_floor"]


def _looks_like_path(ref: str) -> bool:
    return "/" in ref or "\\" in ref or ref.endswith((".yaml", ".yml", ".json"))


def resolve_floor(
    scenario: Scenario, *, base_dir: str | Path | None = None, allow_paths: bool = False
) -> Scenario:
    """The scenario with its floor inline.

    Args:
        base_dir: where relative floor paths are read from.
        allow_paths: whether a floor given as a file path may be opened (the CLI allows
            it; the HTTP API never does).

    Raises:
        LayoutError: unknown layout name, or a path where paths are not allowed.
        ScenarioError: the floor file is missing or malformed.
    """
    from layouts.library import load_layout, read_floor

    ref = scenario.floor
    if isinstance(ref, Floor):
        return scenario
    if _looks_like_path(ref):
        if not allow_paths:
            raise LayoutError(
                Problem(
                    "floor",
                    f"floor {ref!r} is a file path; name a shipped layout or give the floor inline",
                    ref,
                )
            )
        path = Path(ref)
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        floor = read_floor(path)
    else:
        floor = load_layout(ref)
    resolved = scenario.model_copy(update={"floor": floor})
    check_scenario_size(resolved)
    return resolved


def floor_of(scenario: Scenario) -> Floor:
    """The scenario's floor, resolving a shipped layout name (never a path)."""
    resolved = resolve_floor(scenario, allow_paths=False)
    assert isinstance(resolved.floor, Floor)
    return resolved.floor
