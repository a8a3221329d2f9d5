"""What runs inside a plan's own process: plan one scenario, send back the results.

The server plans each scenario in a child process (see :mod:`api.jobs`) so that plans run
in parallel on every core and a plan over its time limit can be stopped. This module is
that child's whole world; it imports topo only, never the web stack, and talks to its
parent through one pipe, with messages of the form ``(kind, payload)``::

    ("progress", "routing cables")                         as each planner stage starts
    ("done", {"summary", "diagnostics", "notes", "files"})  the plan and its output files
    ("problems", [problem dicts])                          the scenario cannot be planned
    ("crash", "traceback text")                            a bug in topo

Importing this module parses the built-in catalog once, so that children forked from a
process that imported it (the fork server) start with it in memory.
"""

from __future__ import annotations

import traceback
from multiprocessing.connection import Connection
from typing import Any

from topo.catalog import builtin_catalog
from topo.errors import TopoError
from topo.exports import render_plan
from topo.planner import plan
from topo.scenario import parse_scenario

__all__ = ["plan_in_child", "plan_outcome", "ready"]


def plan_outcome(data: dict[str, Any], progress: Any = None) -> tuple[str, Any]:
    """Plan a scenario given as JSON data; the message the child sends back.

    Example:
        >>> kind, payload = plan_outcome({"name": "x"})
        >>> kind, payload[0]["location"]
        ('problems', 'floor')
    """
    try:
        scenario = parse_scenario(data)
        result = plan(scenario, progress=progress)
        return "done", {
            "summary": result.summary,
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


def plan_in_child(conn: Connection, data: dict[str, Any]) -> None:
    """Child-process entry point: plan ``data`` and report through ``conn``."""
    try:
        conn.send(plan_outcome(data, progress=lambda stage: conn.send(("progress", stage))))
    finally:
        conn.close()


builtin_catalog()  # cached: every child forked after this import shares the parsed catalog
