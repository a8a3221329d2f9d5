"""Plans on top of a stored plan: ``existing: {plan: <id>}`` read from the plan store.

A scenario posted to the API names what is installed by the id of a plan the API
stores, never by a path (the API opens no path from a request)::

    existing: {plan: 3f2a...}        the files of that stored plan, which must be done
    existing: gen1-plan/             422: a path

The route reads the stored plan's files here and hands them to the planning process
with the scenario (:meth:`api.jobs.PlanRunner.submit`): that process parses the scenario
again, so the files travel with it.
"""

from __future__ import annotations

from api.store import PlanStore
from topo.errors import Problem, ScenarioError
from topo.outputs.read import PLAN_FILES
from topo.scenario import ExistingPlan, Scenario, resolve_existing

__all__ = ["INSTALLED_FILES", "installed_files"]

INSTALLED_FILES = (*PLAN_FILES, "changes.csv")
"""The files of a stored plan a plan built on it reads (``changes.csv`` only if the
stored plan was itself built on an installed one)."""


def installed_files(store: PlanStore, scenario: Scenario) -> dict[str, bytes] | None:
    """The files of the stored plan the scenario's ``existing: {plan: <id>}`` names;
    None for a scenario without ``existing``.

    Raises:
        ScenarioError: ``existing`` is a path, or names a plan that is not stored, not
            finished or failed (location ``existing.plan``, with the id).
    """
    resolve_existing(scenario, allow_paths=False)  # a path: refused
    ref = scenario.existing
    if not isinstance(ref, ExistingPlan):
        return None
    record = store.get(ref.plan)
    why = None
    if record is None:
        why = "no such plan is stored"
    elif record.status in ("queued", "running"):
        why = f"that plan is {record.status}; build on it once it is done"
    elif record.status == "failed":
        why = f"that plan failed ({record.reason}); only a done plan can be built on"
    files = {}
    for name in INSTALLED_FILES if why is None else ():
        found = store.file(ref.plan, name)
        if found is not None:
            files[name] = found.content
        elif name in PLAN_FILES:
            why = f"that plan has no {name!r}"
    if why is not None:
        raise ScenarioError(
            Problem("existing.plan", f"existing plan {ref.plan!r}: {why}", ref.plan)
        )
    return files
