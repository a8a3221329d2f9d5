"""Time the viewer's JSON routes on a planned scenario.

    PYTHONPATH=$PWD python bench/viewer.py examples/ai-hall-spine-leaf.yaml

Plans the scenario, stores it as ``topo view`` does, then times (in process, through the
ASGI app) the first request (which builds the plan's index from cables.csv) and the
requests a user's clicks make: the busiest rack's cables, the fullest segment, a search,
a tier.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

import topo
from api.config import Settings
from api.main import create_app
from api.routes.viewer import import_plan_folder
from api.store import PlanStore
from topo.exports import write_plan


def _timed(client: TestClient, url: str, **params: object) -> tuple[float, dict]:
    t0 = time.perf_counter()
    response = client.get(url, params=params)
    elapsed = time.perf_counter() - t0
    response.raise_for_status()
    return elapsed, response.json() if "json" in response.headers["content-type"] else {}


def main(scenario: str) -> None:
    plan = topo.plan(topo.load_scenario(scenario))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "plan"
        write_plan(plan, folder)
        settings = Settings(db_path=Path(tmp) / "plans.db", workers=1)
        store = PlanStore(settings.database_url_or_default())
        plan_id = import_plan_folder(store, folder).id
        store.close()
        svg_bytes = (folder / "floor.svg").stat().st_size
        with TestClient(create_app(settings)) as client:
            base = f"/v1/plans/{plan_id}"
            rows = [(f"floor.svg ({svg_bytes // 1024} KiB)", *_timed(client, f"{base}/floor.svg"))]
            rows.append(("overview, index built", *_timed(client, f"{base}/overview")))
            rows.append(("overview, cached", *_timed(client, f"{base}/overview")))
            racks: dict[str, int] = {}
            for c in plan.cables:
                racks[c.a_rack] = racks.get(c.a_rack, 0) + 1
                racks[c.b_rack] = racks.get(c.b_rack, 0) + 1
            busiest = max(sorted(racks), key=lambda r: racks[r])
            quiet = min(sorted(racks), key=lambda r: racks[r])
            rows.append(
                (
                    f"rack {busiest} ({racks[busiest]} cables)",
                    *_timed(client, f"{base}/racks/{busiest}/cables"),
                )
            )
            rows.append(
                (
                    f"rack {quiet} ({racks[quiet]} cables)",
                    *_timed(client, f"{base}/racks/{quiet}/cables"),
                )
            )
            fullest = max(plan.fills, key=lambda f: (f.cables, f.segment.id)).segment.id
            rows.append((f"segment {fullest}", *_timed(client, f"{base}/segments/{fullest}")))
            rows.append(("search C000001", *_timed(client, f"{base}/cables", search="C000001")))
            tier = sorted({c.tier for c in plan.cables})[0]
            rows.append((f"tier {tier}", *_timed(client, f"{base}/tiers", tier=tier)))
    print(f"{scenario}: {len(plan.cables):,} cables")
    print("| request | ms |\n|---|---:|")
    for name, seconds, _ in rows:
        print(f"| {name} | {seconds * 1000:.0f} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "examples/ai-hall-spine-leaf.yaml")
