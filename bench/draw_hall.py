"""Benchmark: draw the floor plan of halls from a few hundred to several thousand racks.

Plans each hall once (not timed), then times :func:`topo.outputs.drawing.plan_to_svg` (best of
``--repeat``) plain and with a whole tier highlighted, and reports the SVG size.

    python bench/draw_hall.py                 # AI hall example, 2,048 and 7,920 racks
    python bench/draw_hall.py --repeat 3
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import topo
from layouts.generate import regular_hall
from topo.outputs.drawing import plan_to_svg
from topo.scenario import parse_scenario

ROOT = Path(__file__).resolve().parent.parent


def _generated(rows: int, per_row: int, cross_every: int) -> topo.Scenario:
    """A regular hall of end-of-row leaves, one dual-homed server per compute rack."""
    floor = regular_hall(
        name=f"H{rows * per_row}",
        rows=rows,
        racks_per_row=per_row,
        network_positions=(per_row // 2, per_row // 2 + 1),
        cross_every=cross_every,
        column_every=6.0,
    )
    return parse_scenario(
        {
            "name": f"hall-{len(floor.racks)}",
            "floor": floor.model_dump(),
            "servers": {"model": "srv-2u-2x100g", "per_rack": 1},
            "fabric": {
                "kind": "spine-leaf",
                "uplink_speed_gbps": 100,
                "leaf": {"model": "sw-64x400g-1u", "placement": "end-of-row"},
                "spine": {"model": "sw-64x400g-1u"},
            },
        }
    )


HALLS: dict[str, Callable[[], topo.Scenario]] = {
    "ai-hall-spine-leaf": lambda: topo.load_scenario(ROOT / "examples/ai-hall-spine-leaf.yaml"),
    "regular 32 x 64": lambda: _generated(32, 64, 16),
    "regular 80 x 99": lambda: _generated(80, 99, 2),
}


def _best(fn: Callable[[], str], repeat: int) -> tuple[float, str]:
    best, out = float("inf"), ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    print("| hall | racks | segments | cables | draw s | MB | tier highlighted s | MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, make in HALLS.items():
        plan = topo.plan(make())
        tier = sorted({c.tier for c in plan.cables})[0]
        plain_s, plain = _best(lambda p=plan: plan_to_svg(p), args.repeat)
        tier_s, lit = _best(lambda p=plan, t=tier: plan_to_svg(p, tier=t), args.repeat)
        print(
            f"| {name} | {len(plan.floor.racks):,} | {len(plan.pathways.segments):,} | "
            f"{len(plan.cables):,} | {plain_s:.2f} | {len(plain) / 1e6:.1f} | "
            f"{tier_s:.2f} | {len(lit) / 1e6:.1f} |"
        )


if __name__ == "__main__":
    main()
