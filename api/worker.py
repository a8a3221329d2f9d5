"""What runs inside a plan's own process: plan one scenario, send back the results.

The server plans each scenario in a child process (see :mod:`api.jobs`) so that plans run
in parallel on every core and a plan over its time limit can be stopped. This module is
that child's whole world; it imports topo only, never the web stack, and talks to its
parent through one pipe, with messages of the form ``(kind, payload)``::

    ("progress", "routing cables")                         as each planner stage starts
    ("done", {"summary", "diagnostics", "notes", "files"})  the plan and its output files
    ("problems", [problem dicts])                          the scenario cannot be planned
    ("memory", "message")                                  over the memory limit
    ("crash", "traceback text")                            a bug in topo

Importing this module parses the built-in catalog once, so that children forked from a
process that imported it (the fork server) start with it in memory.
"""

from __future__ import annotations

import traceback
from multiprocessing.connection import Connection
from typing import Any

from layouts.limits import limit_memory
from topo.catalog import builtin_catalog
from topo.errors import TopoError
from topo.outputs.exports import render_plan
from topo.planner import plan, validate_scenario
from topo.scenario import Scenario, attach_installed, parse_scenario

__all__ = [
    "draw_in_child",
    "export_in_child",
    "limit_memory",
    "plan_in_child",
    "plan_outcome",
    "ready",
    "validate_in_child",
]


def _scenario(data: dict[str, Any], installed: dict[str, bytes] | None) -> Scenario:
    """The scenario of ``data``, on the stored plan files ``installed`` (its
    ``existing: {plan: <id>}``, read from the store by the parent) if given."""
    scenario = parse_scenario(data)
    return scenario if installed is None else attach_installed(scenario, installed)


def plan_outcome(
    data: dict[str, Any], progress: Any = None, installed: dict[str, bytes] | None = None
) -> tuple[str, Any]:
    """Plan a scenario given as JSON data, on the files of the stored plan it names as
    ``existing`` (``installed``); the message the child sends back.

    Example:
        >>> kind, payload = plan_outcome({"name": "x"})
        >>> kind, payload[0]["location"]
        ('problems', 'floor')
    """
    try:
        result = plan(_scenario(data, installed), progress=progress)
        return "done", {
            "summary": result.summary.to_json(),
            "diagnostics": [p.to_dict() for p in result.diagnostics],
            "notes": list(result.notes),
            "files": render_plan(result),
        }
    except TopoError as exc:
        return "problems", [p.to_dict() for p in exc.problems]
    except Exception:
        return "crash", traceback.format_exc()


def ready() -> None:
    """A child that does nothing: starting one proves children can be started."""


def _memory_message(max_bytes: int | None) -> str:
    limit = f" of {max_bytes // 2**20:,} MiB (TOPO_MEMORY_LIMIT_MB)" if max_bytes else ""
    return f"planning needed more memory than this server's limit{limit}"


def plan_in_child(
    conn: Connection,
    data: dict[str, Any],
    max_bytes: int | None = None,
    installed: dict[str, bytes] | None = None,
) -> None:
    """Child-process entry point: plan ``data`` (on the stored plan files ``installed``)
    and report through ``conn``, within ``max_bytes`` of address space."""
    limit_memory(max_bytes)
    try:
        try:
            outcome = plan_outcome(
                data, progress=lambda stage: conn.send(("progress", stage)), installed=installed
            )
        except MemoryError:
            outcome = ("memory", _memory_message(max_bytes))
        if outcome[0] == "crash" and "MemoryError" in str(outcome[1]).splitlines()[-1]:
            outcome = ("memory", _memory_message(max_bytes))
        try:
            conn.send(outcome)
        except MemoryError:  # the results themselves did not fit
            del outcome
            conn.send(("memory", _memory_message(max_bytes)))
    finally:
        conn.close()


def draw_in_child(
    conn: Connection, files: dict[str, bytes], options: dict[str, Any], max_bytes: int | None
) -> None:
    """Child-process entry point: read the plan from its stored ``files`` (never planning
    again) and draw it with the highlight ``options`` (``cables``, ``rack``, ``tier``);
    send ``("done", svg bytes)``."""
    from topo.outputs.drawing import plan_to_svg
    from topo.outputs.read import plan_from_files

    limit_memory(max_bytes)
    try:
        try:
            result = plan_from_files(files)
            svg = plan_to_svg(result, **options).encode("utf-8")
            del result
            conn.send(("done", svg))
        except TopoError as exc:
            conn.send(("problems", [p.to_dict() for p in exc.problems]))
        except MemoryError:
            conn.send(("memory", _memory_message(max_bytes)))
        except Exception:
            conn.send(("crash", traceback.format_exc()))
    finally:
        conn.close()


def export_in_child(
    conn: Connection, files: dict[str, bytes], to: str, max_bytes: int | None
) -> None:
    """Child-process entry point: read the plan from its stored ``files`` and export it
    in format ``to``; send ``("done", {file name: bytes})``."""
    from topo.outputs.formats import export_plan
    from topo.outputs.read import plan_from_files

    limit_memory(max_bytes)
    try:
        try:
            conn.send(("done", export_plan(plan_from_files(files), to)))
        except TopoError as exc:
            conn.send(("problems", [p.to_dict() for p in exc.problems]))
        except MemoryError:
            conn.send(("memory", _memory_message(max_bytes)))
        except Exception:
            conn.send(("crash", traceback.format_exc()))
    finally:
        conn.close()


def validate_in_child(
    conn: Connection,
    data: dict[str, Any],
    installed: dict[str, bytes] | None,
    max_bytes: int | None,
) -> None:
    """Child-process entry point: every problem of the scenario ``data`` (on the stored
    plan files ``installed``) as ``("done", [problem dicts])``, within ``max_bytes`` of
    address space."""
    limit_memory(max_bytes)
    try:
        try:
            problems = validate_scenario(_scenario(data, installed))
            conn.send(("done", [p.to_dict() for p in problems]))
        except TopoError as exc:
            conn.send(("done", [p.to_dict() for p in exc.problems]))
        except MemoryError:
            conn.send(("memory", _memory_message(max_bytes).replace("planning", "validation")))
        except Exception:
            conn.send(("crash", traceback.format_exc()))
    finally:
        conn.close()


builtin_catalog()  # cached: every child forked after this import shares the parsed catalog
