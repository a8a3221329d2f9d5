"""The one entry point: :func:`plan` turns a scenario into a :class:`~topo.plan.Plan`.

Stages, each a pure function of the ones before it::

    Floor ──────────> PathwayGraph   layouts.pathways.pathways_from_floor
    FabricIntents ──> Fabric         topo.network.build_network (every data network)
    Fabric + Floor ─> Placement      topo.placement.place_devices
    Placement ──────> Fabric         topo.network.add_management (management networks,
                                     then their switches are placed around the rest)
    Placement + graph > routes       topo.routing.shortest_routes
    routes + Catalog > Cables        topo.cables.make_cables
    all ────────────> Plan           topo.plan.Plan

:func:`validate_scenario` runs the cheap stages only and collects every problem.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from layouts.errors import TopoError
from layouts.model import Floor
from layouts.pathways import pathways_from_floor
from layouts.validate import validate_floor
from topo.cables import make_cables
from topo.catalog import Catalog, builtin_catalog, merge_catalog
from topo.errors import LayoutError, Problem
from topo.floors import floor_of
from topo.model import Fabric, Placement
from topo.network import add_management, build_network
from topo.placement import place_devices
from topo.plan import Plan, tray_fill
from topo.routing import RackRoute, SolverInfo, shortest_routes
from topo.scenario import ManagementIntent, Scenario, SpineLeafIntent

__all__ = ["plan", "validate_scenario"]

Progress = Callable[[str], None]


def _catalog(scenario: Scenario) -> Catalog:
    return merge_catalog(builtin_catalog(), scenario.catalog)


def validate_scenario(scenario: Scenario) -> list[Problem]:
    """Every problem found in a scenario without routing it; empty when it can be planned.

    Checks the floor geometry, then (if the floor is sound) the catalog references, the
    fabric intent and whether the racks can hold the devices.
    """
    try:
        floor = floor_of(scenario)
    except TopoError as exc:
        return list(exc.problems)
    problems = [p for p in validate_floor(floor)]
    try:
        catalog = _catalog(scenario)
        _fabric_and_placement(scenario, floor, catalog)
    except TopoError as exc:
        problems.extend(exc.problems)
    return problems


def _fabric_and_placement(
    scenario: Scenario, floor: Floor, catalog: Catalog, say: Progress = lambda _msg: None
) -> tuple[Fabric, Placement]:
    """Build every network and place every device (management networks last, around the
    devices already placed)."""
    fabric = build_network(scenario, floor, catalog)
    say("placing devices")
    legacy = scenario.fabric if isinstance(scenario.fabric, SpineLeafIntent) else None
    spine_racks = legacy.spine.racks if legacy is not None else None
    # keep the top unit of every rack free for its management switch(es)
    reserve = sum(
        1 for n in scenario.networks if isinstance(n, ManagementIntent) and n.switch.per == "rack"
    )
    placement = place_devices(fabric, floor, catalog, spine_racks=spine_racks, reserve_u=reserve)
    full = add_management(scenario, fabric, placement.devices, floor, catalog)
    if full is not fabric:
        say("placing management switches")
        again = place_devices(full, floor, catalog, spine_racks=spine_racks)
        placement = Placement(again.devices, placement.method, placement.notes + again.notes)
        fabric = full
    return fabric, placement


def plan(scenario: Scenario, *, progress: Progress | None = None) -> Plan:
    """Plan a scenario end to end.

    Args:
        scenario: a validated scenario; a floor given by name is looked up among the
            shipped layouts (a floor file path must be resolved by the caller, see
            :func:`topo.scenario.load_scenario`).
        progress: called with a short message as each stage starts.

    Returns:
        The plan. Cables that cannot be routed or given media are in the plan, flagged,
        and listed in ``plan.diagnostics``; overfull trays likewise.

    Raises:
        LayoutError: the floor is impossible.
        FabricError, CatalogError: the intent cannot be built from the catalog.
        InfeasibleError: the racks cannot hold the devices.
    """
    say = progress or (lambda _msg: None)
    floor = floor_of(scenario)
    say("checking floor")
    floor_problems = validate_floor(floor)
    if floor_problems:
        raise LayoutError(floor_problems)
    catalog = _catalog(scenario)
    say("building fabric")
    fabric, placement = _fabric_and_placement(scenario, floor, catalog, say)
    devices = placement.device_index()
    say("building pathways")
    graph = pathways_from_floor(floor)

    say("routing cables")
    t0 = time.perf_counter()
    rack_pairs = {}
    for link in fabric.links:
        ra, rb = devices[link.a.device].rack, devices[link.b.device].rack
        if ra != rb:
            rack_pairs[link.id] = (ra, rb)
    pair_routes = shortest_routes(graph, rack_pairs.values())  # type: ignore[arg-type]
    routes: dict[str, RackRoute | None] = {
        lid: pair_routes[pair]
        for lid, pair in rack_pairs.items()  # type: ignore[index]
    }
    seconds = time.perf_counter() - t0

    say("choosing media and lengths")
    cables, problems = make_cables(
        fabric.links,
        devices,
        floor,
        routes,
        catalog,
        slack_m=scenario.options.slack_m,
        dress_m=scenario.options.dress_m,
    )
    say("computing tray fill")
    area_of = {m.id: m.area_mm2 for m in catalog.media}
    fills = tray_fill(graph, cables, area_of)
    # with shortest paths for every cable the plan's length is its own lower bound:
    # no route between two racks is shorter than the shortest one
    bound = sum(c.length_mm for c in cables if c.status == "ok")
    over = any(f.over for f in fills)
    over_count = sum(1 for f in fills if f.over)
    solver = SolverInfo(
        status="UNKNOWN" if over else "OPTIMAL",
        method="shortest-path",
        bound_source="shortest-paths",
        seconds=seconds,
        notes=(
            (
                f"shortest paths overfill {over_count} tray segments; capacity-aware routing "
                "was not run",
            )
            if over
            else ()
        ),
    )
    return Plan(
        scenario=scenario.model_copy(update={"floor": floor}),
        floor=floor,
        catalog=catalog,
        pathways=graph,
        fabric=fabric,
        placement=placement,
        cables=cables,
        fills=fills,
        solver=solver,
        lower_bound_mm=bound,
        problems=problems,
        notes=fabric.notes + placement.notes + solver.notes,
    )
