"""Benchmark: a 32-variant sweep of the AI hall with 1 and with 2 local workers.

Each run is ``topo batch`` in a fresh process (start-up, validation of every variant, the
worker pool, planning and writing included), into a fresh folder. The table shows the
wall time, the time the variants took in their workers added up, and the speed-up of
each run over the first.

    python bench/batch_sweep.py                  # 1 and 2 workers
    python bench/batch_sweep.py --workers 1 2 4
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "examples" / "ai-hall-spine-leaf.yaml"

AXES = {
    "servers.per_rack": [8, 12, 16, 20],
    "fabric.oversubscription": [1, 2, 3, 4],
    "fabric.leaf.model": ["sw-64x400g-1u", "sw-32x400g-1u"],
}


def sweep_file(folder: Path) -> Path:
    path = folder / "sweep-ai-hall.yaml"
    doc = {"name": "ai-hall-bench", "base": str(BASE), "axes": AXES}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def run(sweep: Path, out: Path, workers: int) -> dict[str, float]:
    cmd = [sys.executable, "-m", "topo", "batch", str(sweep), "-o", str(out), "-j", str(workers)]
    t0 = time.perf_counter()
    proc = subprocess.run([*cmd, "-q"], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        sys.exit(f"topo batch failed ({proc.returncode}):\n{proc.stderr}")
    rows = list(csv.DictReader((out / "summary.csv").open()))
    return {
        "wall": wall,
        "variants": len(rows),
        "ok": sum(r["status"] == "ok" for r in rows),
        "work": sum(float(r["seconds"] or 0) for r in rows),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sweep = sweep_file(Path(tmp))
        results = [(n, run(sweep, Path(tmp) / f"runs-{n}", n)) for n in args.workers]
    first = results[0][1]["wall"]
    print("| workers | variants | planned | wall s | variant s (sum) | variants/min | speed-up |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n, r in results:
        print(
            f"| {n} | {r['variants']:.0f} | {r['ok']:.0f} | {r['wall']:.1f} | {r['work']:.1f} | "
            f"{60 * r['variants'] / r['wall']:.1f} | {first / r['wall']:.2f}x |"
        )


if __name__ == "__main__":
    main()
