"""Plan a rail-optimized cluster of 16,384 GPUs end to end and report time, memory, cables.

    PYTHONPATH=. python bench/rail_cluster.py [--rows 32] [--mgmt] [--shortest]
    PYTHONPATH=. python bench/rail_cluster.py --scenario bench/scenarios/ai-cluster-100k.yaml

The hall comes from ``layouts.generate.regular_hall``: ``rows`` rows of 18 racks at 50 kW,
positions 09-10 network racks, a cross tray every 9 racks; 16 compute racks a row hold 4
eight-GPU nodes each (32 rows: 2,048 nodes, 16,384 GPUs). The compute fabric is
rail-optimized InfiniBand NDR (64 x 400G switches) in scalable units of 32 nodes; at this
size it needs three tiers. ``--mgmt`` adds a per-rack management network.

``--scenario`` plans a scenario file instead (``bench/scenarios/ai-cluster-100k.yaml``:
101,376 GPUs on InfiniBand XDR, about 306,000 cables); ``--shortest`` plans with
``routing: shortest`` (every cable on its shortest route) instead of the scenario's routing.

Prints the wall time of each stage as it ends and in all, the peak resident memory of
the process and of the largest child process (the planner routes the naive placement in
a forked child on a second core), and the cable counts.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

from layouts.generate import regular_hall
from topo.planner import plan
from topo.scenario import Scenario, floor_of, load_scenario, parse_scenario


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=32)
    ap.add_argument("--mgmt", action="store_true", help="add a management network")
    ap.add_argument("--cross-every", type=int, default=9, help="a cross tray every N racks")
    ap.add_argument("--backbone-width", type=float, default=0.9, help="cross tray width, m")
    ap.add_argument("--scenario", help="plan this scenario file instead of the generated hall")
    ap.add_argument("--shortest", action="store_true", help="plan with routing: shortest")
    ap.add_argument("--no-thin-media", action="store_true", help="plan with thin_media: false")
    args = ap.parse_args()
    scenario = load_scenario(args.scenario) if args.scenario else _generated(args)
    if args.shortest:
        options = scenario.options.model_copy(update={"routing": "shortest"})
        scenario = scenario.model_copy(update={"options": options})
    if args.no_thin_media:
        options = scenario.options.model_copy(update={"thin_media": False})
        scenario = scenario.model_copy(update={"options": options})
    floor = floor_of(scenario)
    _run(scenario, floor)


def _generated(args: argparse.Namespace) -> Scenario:
    """The generated hall of ``args.rows`` rows and its NDR rail fabric."""
    floor = regular_hall(
        name="BENCH", rows=args.rows, racks_per_row=18, power_kw=50.0, cold_aisle=1.8,
        margin=2.4, network_positions=(9, 10), cross_every=args.cross_every,
        backbone_width=args.backbone_width,
    )  # fmt: skip
    fabrics: list[dict] = [
        {
            "name": "compute",
            "kind": "rail-optimized",
            "nics": "compute",
            "su_nodes": 32,
            "leaf": {"model": "ib-64x400g-1u"},
            "spine": {"model": "ib-64x400g-1u"},
        }
    ]
    if args.mgmt:
        fabrics.append(
            {"name": "oob", "kind": "management", "switch": {"model": "mgmt-48x1g-4x10g"}}
        )
    return parse_scenario(
        {
            "name": "rail-cluster",
            "floor": floor.model_dump(),
            "servers": {"model": "gpu-8x400g-8u", "per_rack": 4},
            "fabrics": fabrics,
        }
    )


def _run(scenario: Scenario, floor) -> None:
    marks: list[tuple[str, float]] = []

    def progress(msg: str) -> None:  # each stage's time is printed as the next one starts
        now = time.perf_counter()
        if marks:
            _stage(marks[-1][0], now - marks[-1][1])
        marks.append((msg, now))

    t0 = time.perf_counter()
    result = plan(scenario, progress=progress)
    wall = time.perf_counter() - t0
    if marks:
        _stage(marks[-1][0], t0 + wall - marks[-1][1])
    s = result.summary
    gpus = 8 * s["devices"]["server"]
    peak_mb = _peak_mb(resource.RUSAGE_SELF)
    child_mb = _peak_mb(resource.RUSAGE_CHILDREN)
    print(f"GPUs {gpus:,}  nodes {s['devices']['server']:,}  racks {len(floor.racks)}")
    print(f"devices {s['devices']}")
    for name, f in s["fabrics"].items():
        print(f"fabric {name}: {f['kind']}, {f['tiers']} tiers, cables {f['cables_by_tier']}")
        if "shape" in f:
            print(f"  shape {f['shape']}")
    print(
        f"cables {s['cables']:,}  unrouted {s['unrouted']}  max tray fill {s['max_tray_fill']:.1%}"
        f"  trays over limit {s['trays_over_limit']} ({s['overflow_mm2']:,.0f} mm²)"
        f"  status {s['solver']['status']}"
    )
    if "placement" in s:
        print(f"placement {s['placement']}")
    if "thin_media" in s:
        print(f"thin media {s['thin_media']}")
    if result.floor_cut is not None:
        print(result.floor_cut.describe())
    print(
        f"wall time {wall:.2f} s  peak memory {peak_mb:,.0f} MB (child process {child_mb:,.0f} MB)"
    )


def _stage(msg: str, seconds: float) -> None:
    print(f"  {msg:<28} {seconds:7.2f} s", flush=True)


def _peak_mb(who: int) -> float:
    """Peak resident memory of this process or of its largest child, MB."""
    peak = resource.getrusage(who).ru_maxrss / 1024
    return peak / 1024 if sys.platform == "darwin" else peak  # bytes there, KiB on Linux


if __name__ == "__main__":
    main()
