"""Time the viewer's JSON routes, and optionally the page in Chromium, on a large plan.

    PYTHONPATH=$PWD python bench/viewer.py examples/ai-hall-spine-leaf.yaml
    PYTHONPATH=$PWD python bench/viewer.py --racks 2048 --browser

Plans the scenario (or the benchmark pod hall of about ``--racks`` racks), stores it as
``topo view`` does, then times (in process, through the ASGI app) the first request
(which builds the plan's index from cables.csv) and the requests a user's clicks make:
the busiest rack's cables, the fullest segment, a search, a tier. With ``--browser`` it
also serves the plan on loopback and times, in headless Chromium, opening the plan page
and highlighting the busiest rack's cables.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient

import topo
from api.config import Settings
from api.main import create_app
from api.routes.viewer import import_plan_folder
from api.store import PlanStore
from topo.outputs.exports import write_plan
from topo.plan import Plan


def _timed(client: TestClient, url: str, **params: object) -> tuple[float, dict]:
    t0 = time.perf_counter()
    response = client.get(url, params=params)
    elapsed = time.perf_counter() - t0
    response.raise_for_status()
    return elapsed, response.json() if "json" in response.headers["content-type"] else {}


def _plan(scenario: str | None, racks: int | None) -> tuple[str, Plan]:
    if racks is None:
        assert scenario is not None
        return scenario, topo.plan(topo.load_scenario(scenario))
    from bench.workloads import pod_hall, scenario_for
    from topo.planner import plan_fabric

    floor, fabric, catalog = pod_hall(racks)
    plan = plan_fabric(scenario_for(floor), fabric, floor=floor, catalog=catalog)
    return f"pod hall, {len(floor.racks):,} racks", plan


def _browser_rows(settings: Settings, plan_id: str, rack: str, tmp: Path) -> list[tuple]:
    import uvicorn

    from tests.browser.cdp import Browser

    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=8797, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with Browser(tmp / "profile") as browser:
            t0 = time.perf_counter()
            browser.goto(f"http://127.0.0.1:8797/#/plan/{plan_id}")
            browser.wait(
                f"document.querySelector('#floor [data-rack={json.dumps(rack)}]')", timeout=120
            )
            opened = time.perf_counter() - t0
            point = browser.eval(
                f"""(() => {{
                const rack = document.querySelector('#floor [data-rack={json.dumps(rack)}]');
                rack.scrollIntoView();
                const r = rack.getBoundingClientRect();
                for (let f = 0.05; f < 1; f += 0.05) for (let g = 0.1; g < 1; g += 0.2) {{
                  const x = r.left + r.width * g, y = r.top + r.height * f;
                  const top = document.elementFromPoint(x, y);
                  if (top && top.closest('[data-rack], [data-segment]') === rack) return [x, y];
                }}
                return [r.left, r.top, r.width, r.height]; }})()"""
            )
            t0 = time.perf_counter()
            browser.click_at(*point)
            browser.wait(
                "document.querySelector('#detail h2')?.textContent === "
                f"'Rack ' + {json.dumps(rack)} && document.querySelectorAll('#floor .v-hl').length",
                timeout=60,
            )
            lit = time.perf_counter() - t0
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    return [
        ("browser: open the plan page", opened, {}),
        (f"browser: click rack {rack}, routes lit", lit, {}),
    ]


def main(scenario: str | None, racks: int | None, browser: bool) -> None:
    name, plan = _plan(scenario, racks)
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
        if browser:
            rows += _browser_rows(settings, plan_id, busiest, Path(tmp))
    print(f"{name}: {len(plan.cables):,} cables")
    print("| request | ms |\n|---|---:|")
    for name, seconds, _ in rows:
        print(f"| {name} | {seconds * 1000:.0f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="examples/ai-hall-spine-leaf.yaml")
    parser.add_argument("--racks", type=int, help="plan the benchmark pod hall instead")
    parser.add_argument("--browser", action="store_true", help="also time the page")
    args = parser.parse_args()
    main(args.scenario, args.racks, args.browser)
