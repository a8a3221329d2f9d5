"""What a drawing picks out of a plan: the cables to highlight, the points their routes
pass, what each rack holds."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from topo.errors import DrawingError, Problem

if TYPE_CHECKING:
    from topo.cables import Cable
    from topo.plan import Plan

__all__ = ["rack_contents", "route_points", "select_cables"]


def select_cables(
    plan: Plan,
    *,
    cables: Iterable[str] = (),
    rack: str | None = None,
    tier: str | None = None,
) -> tuple[Cable, ...]:
    """The cables a drawing highlights: those matching every option given, by cable id.

    Args:
        cables: cable ids (``C000123``); empty means any cable.
        rack: only cables with an end in this rack.
        tier: only cables of this tier (``server-leaf``, ``leaf-spine``, ...).

    Returns:
        The matching cables sorted by id; empty when no option is given or none matches.

    Raises:
        DrawingError: a cable id, rack or tier the plan does not have (every one is named).

    Example:
        >>> picked = select_cables(plan, rack="A01", tier="server-leaf")  # doctest: +SKIP
    """
    wanted = sorted(set(cables))
    if not wanted and rack is None and tier is None:
        return ()
    index = {c.id: c for c in plan.cables}
    problems = []
    for cid in wanted:
        if cid not in index:
            first, last = (plan.cables[0].id, plan.cables[-1].id) if plan.cables else ("", "")
            known = f"; its cables run {first}..{last}" if plan.cables else "; it has no cables"
            problems.append(
                Problem("cable", f"no cable {cid!r} in plan {plan.scenario.name!r}{known}", cid)
            )
    if rack is not None and rack not in plan.floor.rack_index:
        problems.append(Problem("rack", f"no rack {rack!r} on floor {plan.floor.name!r}", rack))
    tiers = sorted({c.tier for c in plan.cables})
    if tier is not None and tier not in tiers:
        problems.append(
            Problem(
                "tier",
                f"no tier {tier!r} in plan {plan.scenario.name!r}; "
                f"its tiers are {', '.join(tiers) or 'none'}",
                tier,
            )
        )
    if problems:
        raise DrawingError(problems)
    pool = [index[c] for c in wanted] if wanted else list(plan.cables)
    out = [
        c
        for c in pool
        if (rack is None or rack in (c.a_rack, c.b_rack)) and (tier is None or c.tier == tier)
    ]
    return tuple(sorted(out, key=lambda c: c.id))


def route_points(plan: Plan, cable: Cable) -> list[tuple[float, float]]:
    """Rack centre, drop point, every segment end in order, drop point, rack centre."""
    racks, drops, segs = plan.floor.rack_index, plan.pathways.drops, plan.pathways.segments
    a, b = racks[cable.a_rack], racks[cable.b_rack]
    pts: list[tuple[float, float]] = [(a.x, a.y)]
    if cable.segments and cable.a_rack in drops:
        pts.append(drops[cable.a_rack].point)
    for i in cable.segments:
        s = segs[i]
        here = pts[-1]
        near, far = (
            (s.start, s.end)
            if math.dist(here, s.start) <= math.dist(here, s.end)
            else (s.end, s.start)
        )
        pts += [near, far]
    if cable.segments and cable.b_rack in drops:
        pts.append(drops[cable.b_rack].point)
    pts.append((b.x, b.y))
    out = [pts[0]]
    for p in pts[1:]:
        if math.dist(p, out[-1]) > 1e-9:
            out.append(p)
    return out


def rack_contents(plan: Plan) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for d in plan.placement.devices:
        if d.rack is not None:
            out[d.rack][d.role] += 1
    return out
