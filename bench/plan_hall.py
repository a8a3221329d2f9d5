"""Benchmark: plan shipped scenarios end to end and report time, memory and size.

Each scenario is planned in a fresh process (so peak memory is its own), ``--repeat``
times; the table shows the best wall time, the peak resident memory and the plan's size.

    python bench/plan_hall.py                       # the AI hall example
    python bench/plan_hall.py examples/*.yaml --repeat 3
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = [ROOT / "examples" / "ai-hall-spine-leaf.yaml"]

_CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import topo
from topo.outputs.exports import render_plan
t1 = time.perf_counter()
plan = topo.plan(topo.load_scenario(sys.argv[1]))
t2 = time.perf_counter()
files = render_plan(plan)
t3 = time.perf_counter()
s = plan.summary
print(json.dumps({
    "import_s": t1 - t0, "plan_s": t2 - t1, "export_s": t3 - t2,
    "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "cables": s["cables"], "racks": len(plan.floor.racks),
    "segments": len(plan.pathways.segments), "max_fill": s["max_tray_fill"],
    "gap": s["solver"]["gap"], "status": s["solver"]["status"],
    "bytes": sum(len(b) for b in files.values()),
}))
"""


def run_once(path: Path) -> dict[str, float]:
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - t0
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenarios", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    print("| scenario | racks | cables | plan s | export s | process s | peak MiB | max fill |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for path in args.scenarios:
        runs = [run_once(path) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["plan_s"])
        peak = max(r["peak_mib"] for r in runs)
        print(
            f"| {path.stem} | {best['racks']} | {best['cables']:,} | {best['plan_s']:.2f} | "
            f"{best['export_s']:.2f} | {best['wall_s']:.2f} | {peak:.0f} | "
            f"{best['max_fill']:.1%} |"
        )


if __name__ == "__main__":
    main()
