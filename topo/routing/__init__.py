"""Routing: cables -> tray routes, with a proven bound on their length or cost.

:func:`route_cables` is the stage's entry point (:mod:`~topo.routing.optimizer`). It starts
from every cable's shortest route (:mod:`~topo.routing.shortest`), prices overfull trays
with a column-generation LP (:mod:`~topo.routing.colgen`,
:mod:`~topo.routing.cost_objective`) over flow primitives (:mod:`~topo.routing.flows`) on
the routing problem's arrays (:mod:`~topo.routing.problem`), rounds and repairs
(:mod:`~topo.routing.repair`), keeps redundant links apart
(:mod:`~topo.routing.diversity`) and proves lower bounds or infeasibility
(:mod:`~topo.routing.bounds`). Small halls can be solved exactly with CP-SAT
(:mod:`~topo.routing.exact`).
"""

from topo.routing.optimizer import RouteOptions, RoutingResult
from topo.routing.route import route_cables
from topo.routing.shortest import shortest_routes

__all__ = ["RouteOptions", "RoutingResult", "route_cables", "shortest_routes"]
