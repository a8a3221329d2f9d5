"""What runs inside a plan's own process: plan, draw, export or validate one scenario.

:mod:`api.jobs` runs each of these calls in a child process (:mod:`topo.supervise`), so
that plans run in parallel on every core and a call over its time or memory limit can be
stopped. This module is that child's whole world: it imports topo, never the web stack.

Importing this module parses the built-in catalog once, so that children forked from a
process that imported it (the fork server) start with it in memory.
"""

from __future__ import annotations

from functools import partial
from multiprocessing.connection import Connection
from typing import Any

from topo.catalog import builtin_catalog
from topo.errors import TopoError
from topo.outputs.exports import render_plan
from topo.planner import plan, validate_scenario
from topo.scenario import Scenario, attach_installed, parse_scenario
from topo.supervise import call_in_child

__all__ = [
    "draw_svg",
    "export_files",
    "plan_in_child",
    "plan_outcome",
    "validate_problems",
]


def _scenario(data: dict[str, Any], installed: dict[str, bytes] | None) -> Scenario:
    """The scenario of ``data``, on the stored plan files ``installed`` (its
    ``existing: {plan: <id>}``, read from the store by the parent) if given."""
    scenario = parse_scenario(data)
    return scenario if installed is None else attach_installed(scenario, installed)


def plan_outcome(
    data: dict[str, Any], progress: Any = None, installed: dict[str, bytes] | None = None
) -> dict[str, Any]:
    """Plan a scenario given as JSON data, on the files of the stored plan it names as
    ``existing`` (``installed``): its summary, diagnostics, notes and files; ``progress``
    is called with each planner stage's name as it starts."""
    result = plan(_scenario(data, installed), progress=progress)
    return {
        "summary": result.summary.to_json(),
        "diagnostics": [p.to_dict() for p in result.diagnostics],
        "notes": list(result.notes),
        "files": render_plan(result),
    }


def plan_in_child(
    conn: Connection,
    data: dict[str, Any],
    max_bytes: int | None = None,
    installed: dict[str, bytes] | None = None,
) -> None:
    """The child of a plan as :mod:`api.jobs` starts it, on a pipe of the caller's: plan
    ``data`` (on the stored plan files ``installed``) within ``max_bytes`` of address
    space and report through ``conn``."""
    fn = partial(plan_outcome, installed=installed)
    call_in_child(conn, fn, (data,), max_bytes=max_bytes, progress=True)


def draw_svg(files: dict[str, bytes], options: dict[str, Any]) -> bytes:
    """Read the plan from its stored ``files`` (never planning again) and draw it with the
    highlight ``options`` (``cables``, ``rack``, ``tier``)."""
    from topo.outputs.drawing import plan_to_svg
    from topo.outputs.read import plan_from_files

    return plan_to_svg(plan_from_files(files), **options).encode("utf-8")


def export_files(files: dict[str, bytes], to: str) -> dict[str, bytes]:
    """Read the plan from its stored ``files`` and export it in format ``to``."""
    from topo.outputs.formats import export_plan
    from topo.outputs.read import plan_from_files

    return export_plan(plan_from_files(files), to)


def validate_problems(
    data: dict[str, Any], installed: dict[str, bytes] | None = None
) -> list[dict[str, Any]]:
    """Every problem of the scenario ``data`` (on the stored plan files ``installed``), as
    JSON data.

    Example:
        >>> validate_problems({"name": "x"})[0]["location"]
        'floor'
    """
    try:
        problems = validate_scenario(_scenario(data, installed))
    except TopoError as exc:
        problems = list(exc.problems)
    return [p.to_dict() for p in problems]


builtin_catalog()  # cached: every child forked after this import shares the parsed catalog
