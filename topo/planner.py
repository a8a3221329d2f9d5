"""The one entry point: :func:`plan` turns a scenario into a :class:`~topo.plan.Plan`.

Stages, each a pure function of the ones before it::

    Floor ──────────> PathwayGraph   layouts.pathways.pathways_from_floor
    FabricIntents ──> Fabric         topo.fabric.network.build_network (every data network)
    Fabric + Floor ─> Placement      topo.placement.place_devices (naive yardstick), then
                                     topo.placement.optimize.optimize_placement
    Placement ──────> Fabric         topo.fabric.network.add_management (management networks,
                                     then their switches are placed around the rest)
    Placement + graph > routes       topo.routing.optimizer.route_cables (capacity-aware, bound)
    routes + Catalog > Cables        topo.cables.make_cables
    all ────────────> Plan           topo.plan.Plan

Placement and routing meet in a loop when the trays are tight. The first placement is
blind to tray capacity; if its routes overflow a tray (at effort ``high``, also if the
router had to price trays for detours), the router's tray prices are added up over the
rounds and the free switches are placed again: every link is charged its toll
(``length + area * price`` along its route) and each placement stage keeps the load of
its links within the tight trays and the trays at each rack's drop where it can
(:mod:`topo.placement.optimize`); then the plan is routed again::

    place ──> route ──> fits? ──yes──> done (at effort high: fits without detours?)
      ^                      │ no (below effort high: and the last round cut the overflow by 5 %)
      └── prices += router's tray prices (a few rounds, by effort)

The best plan found is kept: fewer unrouted cables, then fitting the trays, then less
overflow, then the lower objective; the first placement is the yardstick, so the loop
never makes a plan worse.

Large fabrics (20,000 links or more) route the first placement on its shortest routes
only: if those fit, the capacity-aware router would return them; if not, that plan
ranks the placement and the trays' room steers the next one, without an expensive
routing of a placement that cannot fit.

The optimized plan is compared with the naive placement's, routed in a forked child
process on the second core while the rounds go on (fabrics of 2,000 links or more;
in line where no child can be forked). On a large fabric the child routes the naive
placement on its shortest routes first; if those overflow while the optimized plan
fits and costs less, no routing of the naive placement can beat it, and the plan's
naive figures are that shortest-route plan's (a lower bound on any routing of it).

:func:`validate_scenario` runs the cheap stages only and collects every problem.
"""

from __future__ import annotations

import math
import multiprocessing
import multiprocessing.process
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Literal, NamedTuple

import numpy as np

from layouts.errors import TopoError
from layouts.model import Floor
from layouts.pathways import PathwayGraph, pathways_from_floor
from layouts.validate import validate_floor
from topo.brownfield import (
    Installed,
    cable_changes,
    held_devices,
    installed_units,
    load_installed,
    merge_cables,
    pin_devices,
    reduced_pathways,
    reuse_cables,
)
from topo.cables import Cable, breakout_assemblies, breakout_lengths, make_cables
from topo.catalog import Catalog, builtin_catalog, merge_catalog
from topo.errors import LayoutError, Problem
from topo.fabric.network import add_management, build_network, restrict_media
from topo.media import RACK_UNIT_MM, MediaTable, choose_media, inrack_mm, media_table
from topo.model import Device, Fabric, Link, Placement, SolverInfo
from topo.placement.cuts import (
    FloorCut,
    PlacedCut,
    floor_cuts,
    link_floor_areas,
    placement_cut,
)
from topo.placement.naive import place_devices
from topo.placement.optimize import (
    PlacementOptions,
    PlacementReport,
    TrayPrices,
    candidate_racks,
    optimize_placement,
)
from topo.plan import Plan, SegmentFill, thin_media_summary, tray_fill
from topo.routing import route_cables
from topo.routing.optimizer import CableDemand, RouteOptions, RoutingResult
from topo.scenario import ManagementIntent, Options, Scenario, SpineLeafIntent, floor_of
from topo.sourcing import prefer_domestic

__all__ = ["plan", "plan_fabric", "validate_scenario"]

Progress = Callable[[str], None]

_PLACEMENT_ROUNDS = {"low": 2, "normal": 4, "high": 8, "exact": 4}
"""Placements tried at most, by effort (the first one capacity-blind). A plan that
overflows is re-placed; at ``high`` also one that fits by detours."""


def _catalog(scenario: Scenario) -> Catalog:
    return merge_catalog(builtin_catalog(), scenario.catalog)


def validate_scenario(scenario: Scenario) -> list[Problem]:
    """Every problem found in a scenario without routing it; empty when it can be planned.

    Checks the floor geometry, then (if the floor is sound) the installed plan it builds
    on, the catalog references, the fabric intent and whether the racks can hold the
    devices.
    """
    try:
        floor = floor_of(scenario)
    except TopoError as exc:
        return list(exc.problems)
    problems = [p for p in validate_floor(floor)]
    try:
        load_installed(scenario)
    except TopoError as exc:
        problems.extend(exc.problems)
    try:
        catalog = _catalog(scenario)
        fabric, _ = _fabric_and_placement(scenario, floor, catalog)
        restrict_media(scenario, fabric, catalog)
    except TopoError as exc:
        problems.extend(exc.problems)
    return problems


def _spine_racks(scenario: Scenario) -> tuple[str, ...] | None:
    legacy = scenario.fabric if isinstance(scenario.fabric, SpineLeafIntent) else None
    return legacy.spine.racks if legacy is not None else None


def _place_switches(
    scenario: Scenario,
    fabric: Fabric,
    floor: Floor,
    catalog: Catalog,
    graph: PathwayGraph,
    naive: Placement,
    say: Progress,
    reserve_u: int = 0,
    prices: TrayPrices | None = None,
) -> tuple[Placement, PlacementReport | None]:
    """The naive placement, or the optimized one if the options ask for it."""
    options = scenario.options
    if options.placement != "optimize":
        return naive, None
    if prices is None:
        say("placing switches")
    placement_options = PlacementOptions(
        objective=options.objective,
        spine_racks=_spine_racks(scenario),
        reserve_u=reserve_u,
        slack_m=options.slack_m,
        dress_m=options.dress_m,
        threads=options.threads,
        seed=options.seed,
    )
    return optimize_placement(
        fabric, floor, graph, catalog, naive, options=placement_options, prices=prices
    )


def _data_fabric(
    scenario: Scenario,
    floor: Floor,
    catalog: Catalog,
    say: Progress = lambda _msg: None,
    installed: Installed | None = None,
) -> tuple[Fabric, Placement, int]:
    """Build the data networks and place their devices naively (installed devices where
    they are); also returns the units kept free at the top of every rack for management
    switches. On an installed plan the fabric also holds the installed management
    devices, pinned and with no link, so that no data device takes their units (see
    :func:`_without_held`)."""
    units = installed_units(installed)
    fabric = pin_devices(build_network(scenario, floor, catalog, units=units), installed)
    say("placing devices")
    # keep the top unit of every rack free for its management switch(es)
    reserve = sum(
        1 for n in scenario.networks if isinstance(n, ManagementIntent) and n.switch.per == "rack"
    )
    mgmt = {n.name for n in scenario.networks if isinstance(n, ManagementIntent)}
    racks = floor.rack_index
    held = tuple(
        d  # those in the units kept free at the top are held already
        for d in held_devices(installed, mgmt)
        if d.rack in racks
        and d.u is not None
        and d.u + d.height_u - 1 <= racks[d.rack].height_u - reserve
    )
    if held:
        fabric = replace(fabric, devices=(*fabric.devices, *held))
    naive = place_devices(
        fabric, floor, catalog, spine_racks=_spine_racks(scenario), reserve_u=reserve
    )
    return fabric, naive, reserve


def _without_held(
    fabric: Fabric, placement: Placement, scenario: Scenario
) -> tuple[Fabric, Placement]:
    """The data fabric and its placement without the installed management devices that
    held their units while the data devices were placed (the management networks build
    them again)."""
    mgmt = {n.name for n in scenario.networks if isinstance(n, ManagementIntent)}
    if not any(d.fabric in mgmt for d in fabric.devices):
        return fabric, placement
    devices = tuple(d for d in fabric.devices if d.fabric not in mgmt)
    placed = tuple(d for d in placement.devices if d.fabric not in mgmt)
    return replace(fabric, devices=devices), replace(placement, devices=placed)


def _with_management(
    scenario: Scenario,
    fabric: Fabric,
    placement: Placement,
    floor: Floor,
    catalog: Catalog,
    say: Progress = lambda _msg: None,
    installed: Installed | None = None,
) -> tuple[Fabric, Placement]:
    """Add the management networks, their switches placed around the devices already
    placed (installed ones where they are)."""
    full = add_management(scenario, fabric, placement.devices, floor, catalog)
    if full is fabric:
        return fabric, placement
    full = pin_devices(full, installed)
    say("placing management switches")
    again = place_devices(full, floor, catalog, spine_racks=_spine_racks(scenario))
    return full, Placement(again.devices, placement.method, placement.notes + again.notes)


def _fabric_and_placement(
    scenario: Scenario, floor: Floor, catalog: Catalog
) -> tuple[Fabric, Placement]:
    """Build every network and place every device naively (management networks last)."""
    fabric, naive, _ = _data_fabric(scenario, floor, catalog)
    return _with_management(scenario, fabric, naive, floor, catalog)


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
    installed = load_installed(scenario)
    say("building pathways")
    graph = pathways_from_floor(floor)
    say("building fabric")
    fabric, naive, reserve = _data_fabric(scenario, floor, catalog, say, installed)
    return _place_and_route(
        scenario,
        floor,
        catalog,
        graph,
        fabric,
        naive,
        say,
        reserve_u=reserve,
        manage=True,
        installed=installed,
    )


def plan_fabric(
    scenario: Scenario,
    fabric: Fabric,
    *,
    floor: Floor | None = None,
    catalog: Catalog | None = None,
    progress: Progress | None = None,
) -> Plan:
    """Plan a fabric built by code (a benchmark, a tool) on the scenario's floor.

    Runs every stage after the fabric is built: placement, pathways, routing, cables,
    bounds. ``floor`` and ``catalog`` default to the scenario's (the floor is then
    checked first); the scenario's network intents are not used.
    """
    say = progress or (lambda _msg: None)
    if floor is None:
        floor = floor_of(scenario)
        floor_problems = validate_floor(floor)
        if floor_problems:
            raise LayoutError(floor_problems)
    if catalog is None:
        catalog = _catalog(scenario)
    say("placing devices")
    naive = place_devices(fabric, floor, catalog, spine_racks=_spine_racks(scenario))
    say("building pathways")
    graph = pathways_from_floor(floor)
    return _place_and_route(scenario, floor, catalog, graph, fabric, naive, say)


def _place_and_route(
    scenario: Scenario,
    floor: Floor,
    catalog: Catalog,
    graph: PathwayGraph,
    fabric: Fabric,
    naive: Placement,
    say: Progress,
    *,
    reserve_u: int = 0,
    manage: bool = False,
    installed: Installed | None = None,
) -> Plan:
    """Place the free switches and route, re-placing them under the router's tray prices
    while the trays overflow or are priced (see the module docstring); the best plan."""
    options = scenario.options
    limit = _PLACEMENT_ROUNDS[options.effort]
    catalog = restrict_media(scenario, fabric, catalog)

    def attempt(
        placement: Placement,
        report: PlacementReport | None,
        tell: Progress = say,
        routing: Literal["optimize", "shortest"] | None = None,
    ) -> tuple[Plan, TrayPrices]:
        full, placed = fabric, placement
        if manage:
            data, placement = _without_held(fabric, placement, scenario)
            full, placed = _with_management(
                scenario, data, placement, floor, catalog, tell, installed
            )
        return _route_and_finish(
            scenario, floor, catalog, graph, full, placed, report, tell, routing, installed
        )

    # a large fabric's placements are first routed on their shortest routes: if those
    # fit, so does the capacity-aware routing (the same routes); if not, the routed plan
    # still ranks the placement and its trays' room steers the next one
    probe = options.routing == "optimize" and len(fabric.links) >= _PROBE_MIN_LINKS

    def naive_phases() -> Iterator[_Ranked]:
        quiet: Progress = lambda _msg: None  # noqa: E731  (a child process stays quiet)
        if probe:
            short, _ = attempt(naive, None, quiet, "shortest")
            yield _ranked(short, shortest=True)
            if not short.overflows:
                return
        yield _ranked(attempt(naive, None, quiet)[0])

    placement, report = _place_switches(
        scenario, fabric, floor, catalog, graph, naive, say, reserve_u
    )
    # the naive yardstick is routed on the second core while the rounds go on
    yardstick = None
    if report is not None and placement.devices != naive.devices:
        yardstick = _Yardstick.start(naive_phases, len(fabric.links))
    try:
        if probe and report is not None:
            say("routing on shortest routes")
            first, feedback = attempt(placement, report, say, "shortest")
            if not first.overflows:
                first, feedback = attempt(placement, report)
        else:
            first, feedback = attempt(placement, report)
        # a line across the floor that no placement can carry: more rounds cannot fit
        proof = _floor_proof(scenario, floor, graph, fabric, catalog, placement, first, say)
        if report is None:
            return _with_proof(first, proof)
        best, rounds, best_placed = first, 1, placement
        total = np.zeros(len(graph.segments))
        seen = {placement.devices}
        free = {d.id for d in fabric.devices if d.rack is None}
        spare = _spare_mm2(first, free)
        # a plan that fits only by detours is re-placed at high effort, and one that fits
        # only by thinner media at any effort, while that gains
        high = options.effort == "high"
        last, gained = first, high or bool(first.thinned)
        areas = link_floor_areas(fabric, catalog)
        for k in range(2, limit + 1 if options.routing == "optimize" else 1):
            tight = bool(last.thinned) or (high and bool((feedback.mm_per_mm2 > 0).any()))
            if not last.overflows and not (tight and gained):
                break  # fits (without detours at high effort, without thinner media) or no gain
            if k > 2 and last.overflows and not gained and not high:
                break  # below high effort: the last round did not improve much on the best
            if k > 2 and proof is not None and not high:
                break  # below high effort: one steered round for a floor proven not to fit
            total = total + feedback.mm_per_mm2
            priced = int((total > 0).sum())
            say(f"placing switches: round {k} of {limit}, {priced} trays priced")
            placement, report = _place_switches(
                scenario,
                fabric,
                floor,
                catalog,
                graph,
                naive,
                say,
                reserve_u,
                TrayPrices(total, feedback.area_mm2, spare),
            )
            rounds = k
            if placement.devices in seen:
                continue  # routed before: only the prices grow
            seen.add(placement.devices)
            if not best.overflows and _placed_proof(graph, fabric, placement, areas):
                say(f"placing switches: round {k}'s placement cannot fit its trays")
                gained = False
                continue  # a plan that fits is in hand: no routing of this one can beat it
            last, feedback = attempt(placement, report)
            # a gain of under 5 % of the overflow does not earn another round
            gained = _rank(last) < _rank(best) and (
                high or not last.overflows or _overflow(last) < 0.95 * _overflow(best)
            )
            if _rank(last) < _rank(best):
                best, best_placed = last, placement

        def naive_cut() -> PlacedCut | None:
            where = {d.id: d.rack for d in naive.devices if d.rack is not None}
            return placement_cut(graph, fabric, where, link_floor_areas(fabric, catalog))

        kept = _against_naive(
            best, best_placed, naive, attempt, first, rounds, yardstick, say, naive_cut
        )
        return _with_proof(kept, proof)
    finally:
        if yardstick is not None:
            yardstick.stop()


def _placed_proof(
    graph: PathwayGraph, fabric: Fabric, placement: Placement, areas: np.ndarray
) -> bool:
    """Whether a cut proves that no routing of ``placement`` fits, whatever the media:
    a run of racks under one tray (:func:`~topo.placement.cuts.placement_cut`) or a line
    across the floor (:func:`~topo.placement.cuts.floor_cuts` with every device where
    the placement puts it)."""
    where = {d.id: d.rack for d in placement.devices if d.rack is not None}
    return (
        placement_cut(graph, fabric, where, areas) is not None
        or len(floor_cuts(graph, fabric, where, {}, areas, tries=1)) > 0
    )


def _floor_proof(
    scenario: Scenario,
    floor: Floor,
    graph: PathwayGraph,
    fabric: Fabric,
    catalog: Catalog,
    placement: Placement,
    routed: Plan,
    say: Progress,
) -> FloorCut | None:
    """The worst line across the floor that no placement can carry, if the routed plan
    overflows and one is found (:mod:`topo.placement.cuts`)."""
    if not routed.overflows:
        return None
    say("looking for a line across the floor no placement can carry")
    free = [d for d in fabric.devices if d.rack is None]
    candidates = candidate_racks(free, floor, _spine_racks(scenario), fabric.zone_index())
    where = {d.id: d.rack for d in placement.devices if d.rack is not None}
    cuts = floor_cuts(graph, fabric, where, candidates, link_floor_areas(fabric, catalog))
    return cuts[0] if cuts else None


def _with_proof(plan: Plan, proof: FloorCut | None) -> Plan:
    """The plan with the floor's proof and a note saying it, if the plan overflows."""
    if proof is None or not plan.overflows:
        return plan
    return replace(plan, floor_cut=proof, notes=(*plan.notes, proof.describe()))


def _against_naive(
    best: Plan,
    best_placed: Placement,
    naive: Placement,
    attempt: Callable[[Placement, PlacementReport | None], tuple[Plan, TrayPrices]],
    first: Plan,
    rounds: int,
    yardstick: _Yardstick | None = None,
    say: Progress = lambda _msg: None,
    naive_cut: Callable[[], PlacedCut | None] = lambda: None,
) -> Plan:
    """The optimized plan if it beats the naive placement's on the final, routed and
    sized cables (by the objective; ties keep naive), else the naive plan; either way
    with the report's figures taken from those final plans.

    ``yardstick`` gives the naive plan's rank and value, routed in another process; the
    naive plan itself is routed here only when it is kept (or without a yardstick). On
    a large fabric the yardstick first routes the naive placement on its shortest routes.
    If they overflow while the optimized plan fits, no routing of the naive placement
    beats it when either
    - the optimized plan costs less than those routes (no routing costs less than the
      shortest routes), or
    - ``naive_cut`` proves that no routing of the naive placement fits (a run of racks
      whose cable overfills the trays around it, :func:`topo.placement.cuts.placement_cut`),
    and the naive figures are then those of that shortest-route plan: a lower bound on
    the naive placement's cost, so the saving is at least the one reported.
    """
    assert best.placement_report is not None
    report = best.placement_report
    notes = best.notes
    if best_placed.devices == naive.devices:
        kept, naive_value = best, _value(best)
    else:
        say("routing the naive placement")
        got = yardstick.next() if yardstick is not None else None
        beaten = cheaper = False
        if got is not None and got.shortest and not got.fits and not best.overflows:
            beaten = _rank(best)[0] <= got.rank[0]
            cheaper = beaten and _value(best) < got.value
        cut = None
        if beaten and not cheaper:
            say("looking for racks the naive placement overfills whatever the routes")
            cut = naive_cut()
        if got is not None and (cheaper or cut is not None):
            naive_value, kept = got.value, best
            notes = (*notes, _LOWER_NAIVE_NOTE if cut is None else _naive_cut_note(cut))
        else:
            while got is not None and got.shortest and not got.fits:
                got = yardstick.next() if yardstick is not None else None
            naive_plan = None
            if got is None:
                naive_plan, _ = attempt(naive, None)
                got = _ranked(naive_plan)
            naive_value, kept = got.value, best
            if not _rank(best) < got.rank:
                kept = naive_plan if naive_plan is not None else attempt(naive, None)[0]
                notes = (
                    *kept.notes,
                    "optimized switch placement was not better than naive once routed: naive kept",
                )
    method = report.method if kept is best else "naive"
    final = replace(
        report,
        method=method,
        naive=naive_value,
        chosen=_value(kept),
        rounds=rounds,
        fill_before=_max_fill(first),
        fill_after=_max_fill(kept),
    )
    return replace(kept, placement_report=final, notes=notes)


_LOWER_NAIVE_NOTE = (
    "the naive placement overflows the trays on its shortest routes, and no routing of "
    "it costs less than those: its figures are from that plan, so the saving is at "
    "least the one reported"
)


def _naive_cut_note(cut: PlacedCut) -> str:
    return (
        f"the naive placement cannot fit the trays whatever the routes: {cut.describe()}; "
        "its figures are from its shortest routes, which no routing of it costs less "
        "than, so the saving is at least the one reported"
    )


class _Ranked(NamedTuple):
    """What the yardstick needs from a plan of the naive placement."""

    rank: tuple[int, bool, float, int]
    value: float
    fits: bool
    shortest: bool  # routed on shortest routes only


def _ranked(plan: Plan, *, shortest: bool = False) -> _Ranked:
    """A plan's rank, value and fit (all the yardstick needs from the naive plan)."""
    return _Ranked(_rank(plan), _value(plan), not plan.overflows, shortest)


_PARALLEL_MIN_LINKS = 2000
"""Fabrics with fewer links route their naive yardstick in line: a second process
would cost more than it saves."""

_PROBE_MIN_LINKS = 20_000
"""Fabrics with this many links or more route a placement on its shortest routes
before routing it around full trays (see :func:`_place_and_route`)."""


class _Yardstick:
    """The naive plan's figures, phase by phase, computed in a forked child process
    (the second core) and read back on demand; in line where no child can be forked.

    The child is a pure function of what the parent had when it forked, so the figures
    are the same either way; it ends itself if its parent goes away.
    """

    def __init__(
        self,
        process: multiprocessing.process.BaseProcess | None,
        conn: Connection | None,
        phases: Iterator[_Ranked] | None = None,
    ):
        self._process, self._conn, self._phases = process, conn, phases

    @classmethod
    def start(cls, work: Callable[[], Iterator[_Ranked]], links: int) -> _Yardstick:
        """Fork a child running ``work``; in line if it is not worth it or not possible
        (one core, a daemonic process such as a batch worker, no fork)."""
        if (
            links < _PARALLEL_MIN_LINKS
            or (os.cpu_count() or 1) < 2
            or multiprocessing.current_process().daemon
            or "fork" not in multiprocessing.get_all_start_methods()
        ):
            return cls(None, None, work())
        ctx = multiprocessing.get_context("fork")
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(work, send, os.getpid()), daemon=True)
        try:
            proc.start()
        except OSError:
            recv.close()
            send.close()
            return cls(None, None, work())
        send.close()
        return cls(proc, recv)

    def next(self) -> _Ranked | None:
        """The next phase's figures; None when there are no more or the child failed
        (the caller then routes the naive placement itself)."""
        if self._phases is not None:
            return next(self._phases, None)
        if self._conn is None:
            return None
        try:
            got = self._conn.recv()
        except (EOFError, OSError):
            got = None
        if got is None:
            self._conn.close()
            self._conn = None
        return got

    def stop(self) -> None:
        """Close the pipe, end the child if it still runs, and reap it."""
        if self._conn is not None:
            self._conn.close()
        if self._process is not None:
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()


def _child(work: Callable[[], Iterator[_Ranked]], conn: Connection, parent: int) -> None:
    """Run ``work`` in the child, sending each phase's figures, then None."""

    def orphaned() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=orphaned, daemon=True).start()
    try:
        for got in work():
            conn.send(got)
    except BaseException:
        pass
    try:
        conn.send(None)
    except OSError:  # the parent stopped listening
        pass
    finally:
        conn.close()


def _value(plan: Plan) -> float:
    """The plan's objective on its final cables: cable cost in US dollars or length in
    metres."""
    if plan.solver.objective == "cost":
        return plan.cable_cost_cents / 100
    return plan.total_length_mm / 1000


def _spare_mm2(plan: Plan, free: set[str]) -> np.ndarray:
    """Per segment, the fill limit less the cables of ``plan`` that touch no device in
    ``free`` (mm²)."""
    area_of = {m.id: m.area_mm2 for m in plan.catalog.media}
    spare = np.array([s.capacity_mm2 for s in plan.pathways.segments], dtype=np.float64)
    for c in plan.cables:
        if c.segments and c.media and c.a_device not in free and c.b_device not in free:
            np.subtract.at(spare, list(c.segments), area_of[c.media])
    return spare


def _overflow(plan: Plan) -> float:
    """Cross-section over the fill limits, summed over the segments (mm²)."""
    return sum(f.over_mm2 for f in plan.overflows)


def _max_fill(plan: Plan) -> float:
    return max((f.fill for f in plan.fills), default=0.0)


def _rank(plan: Plan) -> tuple[int, bool, float, int]:
    """Order of preference among plans of one scenario: fewer unrouted cables, fitting
    the trays, less overflow, then the lower objective."""
    unrouted = sum(1 for c in plan.cables if c.status != "ok")
    over = sum(f.over_mm2 for f in plan.overflows)
    value = plan.cable_cost_cents if plan.solver.objective == "cost" else plan.total_length_mm
    return unrouted, bool(plan.overflows), round(over, 3), value


def _route_and_finish(
    scenario: Scenario,
    floor: Floor,
    catalog: Catalog,
    graph: PathwayGraph,
    fabric: Fabric,
    placement: Placement,
    report: PlacementReport | None,
    say: Progress,
    routing: Literal["optimize", "shortest"] | None = None,
    installed: Installed | None = None,
) -> tuple[Plan, TrayPrices]:
    """Route, choose media, compute fill and bounds, and assemble the plan; also the
    router's tray prices (mm per mm²) with the cross-section it assumed by link speed.
    ``routing`` overrides the scenario's routing method.

    On an installed plan, the installed cables kept are not routed: the other links are
    routed on trays less the kept cables' cross-sections, and the kept cables are merged
    back (:mod:`topo.brownfield`)."""
    options = scenario.options
    method = routing or options.routing
    devices = placement.device_index()
    reuse = reuse_cables(fabric, devices, graph, installed)
    fabric, kept = reuse.fabric, reuse.kept
    full_graph = graph
    graph = reduced_pathways(graph, list(kept.values()), {m.id: m.area_mm2 for m in catalog.media})
    todo = replace(fabric, links=tuple(link for link in fabric.links if link.id not in kept))

    say("routing cables")
    demands = _demands(todo, devices, floor, options.dress_m)
    slack = None if options.slack_m is None else round(options.slack_m * 1000)
    tables = {
        speed: media_table(catalog.media_for(speed), slack)
        for speed in sorted({d.speed_gbps for d in demands})
    }
    route_opts = RouteOptions(
        objective=options.objective,
        effort=options.effort,
        time_limit_s=options.time_limit_s,
        seed=options.seed,
        threads=options.threads,
        thin_media=options.thin_media,
    )
    result = route_cables(graph, demands, tables, options=route_opts, method=method, progress=say)

    say("choosing media and lengths")
    cables, problems = _cables(
        fabric, todo, devices, floor, result, catalog, options, installed, kept
    )
    area_of = {m.id: m.area_mm2 for m in catalog.media}
    # the router estimated each cable's cross-section from its shortest route; if the
    # media finally chosen differ and a tray overflows because of it, route once more
    # with the final cross-sections
    est = {d.link: a for d, a in zip(demands, result.area_mm2, strict=True)}
    changed = {
        c.link: area_of[c.media]
        for c in cables
        if c.media and c.link in est and abs(area_of[c.media] - est[c.link]) > 1e-9
    }
    fills = tray_fill(full_graph, cables, area_of)
    # (not if the routes overflow with the router's own cross-sections: a re-route would
    # not make them fit, only take as long again)
    fitted = result.solver.status in ("OPTIMAL", "FEASIBLE")
    if changed and method == "optimize" and fitted and any(f.over for f in fills):
        say("re-routing with the final cross-sections")
        result = route_cables(
            graph,
            demands,
            tables,
            options=route_opts,
            method="optimize",
            area_override=changed,
            progress=say,
        )
        cables, problems = _cables(
            fabric, todo, devices, floor, result, catalog, options, installed, kept
        )
        fills = tray_fill(full_graph, cables, area_of)

    thinned = _thinned(cables, result.media_limits, catalog, options.slack_m)
    say("computing bounds")
    length_lb, cost_lb = _bounds(
        cables, fabric.links, devices, demands, result, dict(tables), catalog, options
    )
    shortest = (
        not any(f.over for f in fills)
        and not result.media_limits
        and _on_shortest_routes(demands, result)
    )
    if shortest:
        # every cable on a shortest route, sized as short as it can be: no plan costs less
        cost_lb = sum(c.cost_cents for c in cables if c.status == "ok")
    # a minimum domestic share moves cables to domestic media (no thicker): the bounds
    # above stay those of the cheapest media, which no plan can beat
    legs = {
        link.id
        for link, r in zip(todo.links, breakout_assemblies(todo.links), strict=True)
        if r >= 0
    }
    cables, moved = prefer_domestic(
        options.sourcing, catalog, placement.devices, cables,
        slack_m=options.slack_m, keep=legs | set(kept),
    )  # fmt: skip
    if moved:
        fills = tray_fill(full_graph, cables, area_of)
    thin_note = _thinned_note(thinned)
    solver = _final_status(result.solver, cables, fills, length_lb, cost_lb, shortest=shortest)
    speeds = np.array([d.speed_gbps for d in demands], dtype=np.int64)
    areas = {s: float(result.area_mm2[speeds == s].mean()) for s in np.unique(speeds).tolist()}
    prices = result.prices * 1000 if len(result.prices) else np.zeros(len(graph.segments))
    plan_ = Plan(
        scenario=scenario.model_copy(update={"floor": floor}),
        floor=floor,
        catalog=catalog,
        pathways=full_graph,
        fabric=fabric,
        placement=placement,
        cables=cables,
        fills=fills,
        solver=solver,
        lower_bound_mm=length_lb,
        problems=problems + reuse.problems,
        notes=(
            fabric.notes
            + placement.notes
            + solver.notes
            + ((thin_note,) if thin_note else ())
            + ((moved,) if moved else ())
        ),
        lower_bound_cost_cents=cost_lb,
        placement_report=report,
        thinned=thinned,
        shared_segments=result.shared,
        changes=(
            None if installed is None else cable_changes(full_graph, floor, cables, installed)
        ),
    )
    return plan_, TrayPrices(prices, areas)


def _thinned(
    cables: Sequence[Cable],
    limits: Mapping[str, float],
    catalog: Catalog,
    slack_m: float | None,
) -> dict[str, tuple[str, str, int]]:
    """The cables the router moved to thinner media: by link, the media their length
    calls for, the media they got and the difference in cost (cents)."""
    out: dict[str, tuple[str, str, int]] = {}
    slack = None if slack_m is None else round(slack_m * 1000)
    media = catalog.media_index
    for c in cables:
        if c.link not in limits or c.status != "ok" or not c.media:
            continue
        own = slack if slack is not None else round(media[c.media].slack_m * 1000)
        choice = choose_media(catalog.media_for(c.speed_gbps), c.length_mm - 2 * own, slack)
        if choice is None or choice[0].id == c.media:
            continue
        m, _, stock = choice
        out[c.link] = (m.id, c.media, c.cost_cents - m.link_cost_cents(stock))
    return out


def _thinned_note(thinned: Mapping[str, tuple[str, str, int]]) -> str:
    """One sentence on the cables moved to thinner media (empty if none)."""
    if not thinned:
        return ""
    s = thin_media_summary(thinned)
    kinds = list(s["by_media"])
    shown = ", ".join(kinds[:3]) + (f" and {len(kinds) - 3} more" if len(kinds) > 3 else "")
    return (
        f"{s['cables']:,} cables moved to thinner media than their length calls for, "
        f"where the trays were full ({shown}): ${s['extra_cost_usd']:,.2f} more than the "
        "cheapest media for their lengths"
    )


def _demands(
    fabric: Fabric, devices: dict[str, Device], floor: Floor, dress_m: float
) -> list[CableDemand]:
    """The links between two racks, with the length that does not depend on the route."""
    racks = floor.rack_index
    dress = round(dress_m * 1000)
    at: dict[str, tuple[str, int]] = {}
    for d in devices.values():
        assert d.rack is not None and d.u is not None, d.id
        at[d.id] = (d.rack, inrack_mm(racks[d.rack].height_u, d.u, dress))
    root = breakout_assemblies(fabric.links)
    floor_of: dict[int, int] = {}  # legs inside one rack size their assembly too
    for link, r in zip(fabric.links, root, strict=True):
        (ra, _), (rb, _) = at[link.a.device], at[link.b.device]
        if r >= 0 and ra == rb:
            da, db = devices[link.a.device], devices[link.b.device]
            assert da.u is not None and db.u is not None
            run = round(abs(da.u - db.u) * RACK_UNIT_MM) + dress
            floor_of[r] = max(floor_of.get(r, 0), run)
    out = []
    for link, r in zip(fabric.links, root, strict=True):
        (ra, run_a), (rb, run_b) = at[link.a.device], at[link.b.device]
        if ra != rb:
            out.append(
                CableDemand(
                    link.id,
                    ra,
                    rb,
                    link.speed_gbps,
                    run_a + run_b,
                    link.redundancy,
                    r >= 0,
                    r,
                    floor_of.get(r, 0),
                )
            )
    return out


def _cables(
    fabric: Fabric,
    todo: Fabric,
    devices: dict[str, Device],
    floor: Floor,
    result: RoutingResult,
    catalog: Catalog,
    options: Options,
    installed: Installed | None = None,
    kept: dict[str, Cable] | None = None,
) -> tuple[tuple[Cable, ...], tuple[Problem, ...]]:
    """The cables of ``todo``'s links, with the kept installed cables merged back in
    ``fabric``'s link order (new ones numbered after the installed ones)."""
    cables, problems = make_cables(
        todo.links,
        devices,
        floor,
        result.routes,
        catalog,
        slack_m=options.slack_m,
        dress_m=options.dress_m,
        label_room=options.label_room,
        media_limits=result.media_limits,
    )
    if installed is None:
        return cables, problems
    return merge_cables(fabric.links, cables, kept or {}, installed), problems


def _bounds(
    cables: Sequence[Cable],
    links: Sequence[Link],
    devices: dict[str, Device],
    demands: Sequence[CableDemand],
    result: RoutingResult,
    tables: dict[int, MediaTable],
    catalog: Catalog,
    options: Options,
) -> tuple[int, int]:
    """Lower bounds on total length (mm) and cable cost (cents) over the plan's good
    cables.

    Each link needs at least its in-rack runs plus its shortest route (exact inside one
    rack); the legs of a breakout cage are sized as the cables are, to the longest leg
    of their assembly; the least slack and the cost follow from the media table. The
    router's priced bound replaces the shortest routes where it is stronger; so does its
    proven cost bound.
    """
    index = {d.link: i for i, d in enumerate(demands)}
    dress = round(options.dress_m * 1000)
    slack = None if options.slack_m is None else round(options.slack_m * 1000)
    measured: list[tuple[str, int, tuple[int, ...], int]] = []
    for link in links:
        i = index.get(link.id)
        if i is not None:
            sp = float(result.sp_mm[i])
            if np.isfinite(sp):
                measured.append(("ok", 0, (), demands[i].base_mm + int(sp)))
            else:
                measured.append(("unrouted", 0, (), 0))
        else:
            da, db = devices[link.a.device], devices[link.b.device]
            assert da.u is not None and db.u is not None
            measured.append(("ok", 0, (), round(abs(da.u - db.u) * RACK_UNIT_MM) + dress))
    sized = np.asarray(breakout_lengths(links, measured), dtype=np.int64)
    ok = np.array([c.status == "ok" for c in cables], dtype=bool)
    speeds = np.array([link.speed_gbps for link in links], dtype=np.int64)
    demand_of = np.array([index.get(link.id, -1) for link in links], dtype=np.int64)
    least = np.zeros(len(links), dtype=np.int64)
    cost = np.zeros(len(links), dtype=np.int64)
    for speed in np.unique(speeds[ok]).tolist():
        if speed not in tables:
            tables[speed] = media_table(catalog.media_for(speed), slack)
        t = tables[speed]
        sel = np.nonzero(ok & (speeds == speed))[0]
        j = t.interval(sized[sel])
        has = j < len(t.breaks)  # always, for a cable that got media
        sel, j = sel[has], j[has]
        slack_after = np.minimum.accumulate(t.slack_mm[::-1])[::-1][j]
        if options.thin_media:  # any media reaching the cable may carry it
            slack_after = np.minimum(slack_after, t.least_slack_mm(sized[sel]))
        least[sel] = sized[sel] + 2 * slack_after
        cost[sel] = t.cost_cents[j]
    shortest = float(least.sum())
    cents = int(cost.sum())
    routed = ok & (demand_of >= 0)
    any_routed = bool(routed.any())
    priced = float(least[ok & (demand_of < 0)].sum())
    priced += float(result.lagrange_lb_mm[demand_of[routed]].sum())
    if any_routed:
        priced += result.lagrange_offset_mm
    if result.cost_priced_cents is not None and any_routed:
        proven = float(cost[ok & (demand_of < 0)].sum()) + result.cost_offset_cents
        proven += float(result.cost_priced_cents[demand_of[routed]].sum())
        cents = max(cents, math.floor(proven + 1e-6))
    return math.floor(max(shortest, priced) + 1e-6), cents


def _on_shortest_routes(demands: Sequence[CableDemand], result: RoutingResult) -> bool:
    """Whether every cable between racks that has a route runs on a shortest one."""
    rs = [result.routes.get(d.link) for d in demands]
    total = np.fromiter((-1 if r is None else r.total_mm for r in rs), np.float64, len(rs))
    return not bool((total > result.sp_mm + 0.5).any())


def _final_status(
    solver: SolverInfo,
    cables: Sequence[Cable],
    fills: Sequence[SegmentFill],
    length_lb: int,
    cost_lb: int,
    *,
    shortest: bool = False,
) -> SolverInfo:
    """The router's status, checked against the final cables: a plan that meets its
    bound is optimal, one above it is not proven optimal, and one that overflows after
    media selection is not feasible. A plan that fits with every cable on a shortest
    route is checked against its bound whatever the router said."""
    status, notes = solver.status, list(solver.notes)
    over = sum(1 for f in fills if f.over)
    if shortest and not over:
        status = "FEASIBLE"
        notes = [n for n in notes if "overfill" not in n and "overflow" not in n]
    if over and status in ("OPTIMAL", "FEASIBLE"):
        status = "UNKNOWN"
        notes.append(f"{over} tray segments overflow once the media are final")
    elif status in ("OPTIMAL", "FEASIBLE"):
        ok = [c for c in cables if c.status == "ok"]
        value = (
            sum(c.cost_cents for c in ok)
            if solver.objective == "cost"
            else sum(c.length_mm for c in ok)
        )
        bound = cost_lb if solver.objective == "cost" else length_lb
        status = "OPTIMAL" if value <= bound else "FEASIBLE"
    return replace(solver, status=status, notes=tuple(notes))
