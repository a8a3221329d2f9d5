"""The routing stage's entry point: the capacity-aware optimizer, or CP-SAT for ``exact``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Literal

from layouts.pathways import PathwayGraph
from topo.media import MediaTable
from topo.routing.exact import route_exact
from topo.routing.optimizer import RouteOptions, RoutingResult, route_optimized
from topo.routing.problem import CableDemand

__all__ = ["route_cables"]

_DEFAULT_OPTIONS = RouteOptions()

EXACT_MEDIA_NOTE = (
    "at effort exact every cable's media follow its length (no thinner media where the "
    "trays are full): the proven optimum and bound are over such plans"
)


def route_cables(
    graph: PathwayGraph,
    demands: Sequence[CableDemand],
    tables: Mapping[int, MediaTable],
    *,
    options: RouteOptions = _DEFAULT_OPTIONS,
    method: Literal["optimize", "shortest"] = "optimize",
    area_override: Mapping[str, float] | None = None,
    progress: Callable[[str], None] | None = None,
) -> RoutingResult:
    """Route every cable between racks.

    Args:
        graph: the pathway graph.
        demands: the cables, each between two different racks.
        tables: the media table of every speed the demands use.
        options: objective, effort, wall-clock safety net, CP-SAT threads. Effort
            ``exact`` proves the optimum with CP-SAT (:func:`topo.routing.exact.route_exact`);
            every other effort runs :func:`topo.routing.optimizer.route_optimized`.
        method: ``optimize`` (capacity-aware) or ``shortest`` (every cable on its
            shortest route, whatever the fill).
        area_override: cross-section by link id, replacing the estimate (used to
            re-route once the media are final).
        progress: called with a short message as the solve goes on.

    Returns:
        The routes and what is known about their quality. Never raises for an
        infeasible instance: overflow is minimised and reported by the plan.
    """
    if options.effort == "exact" and method == "optimize":
        # the proven optimum is over plans whose media follow their lengths
        exact = replace(options, thin_media=False)
        result = route_exact(graph, demands, tables, options=exact, progress=progress)
        if not options.thin_media:
            return result
        notes = (*result.solver.notes, EXACT_MEDIA_NOTE)
        return replace(result, solver=replace(result.solver, notes=notes))
    return route_optimized(
        graph,
        demands,
        tables,
        options=options,
        method=method,
        area_override=area_override,
        progress=progress,
    )
