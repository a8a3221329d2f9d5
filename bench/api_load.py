"""Load on the HTTP API: concurrent plan requests for the default scenario.

Sends ``--requests`` POST /v1/plans of the shipped default scenario
(topo/data/scenarios/enterprise-hall.yaml), ``--concurrency`` at a time, to a server on
this machine, and prints throughput and latency percentiles. A request answered 202 is
followed (GET /v1/plans/{id}) until its plan is done, so a latency is always the time to
a finished plan. By default every request is planned afresh (``reuse=false``);
``--reuse`` measures answers from the stored plan instead.

    topo serve --port 8080 &                       # or let the script start one:
    python bench/api_load.py --url http://127.0.0.1:8080
    python bench/api_load.py --start --requests 200 --concurrency 8

Only loopback addresses are accepted. The run stops after ``--requests`` requests or
``--max-seconds``, whichever comes first; a server it started is always stopped.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "topo" / "data" / "scenarios" / "enterprise-hall.yaml"


def _loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        ok = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        sys.exit(f"refusing {url!r}: only loopback addresses (127.0.0.0/8, ::1, localhost)")


@contextmanager
def _started_server(workers: int) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "TOPO_DB_PATH": str(Path(tmp) / "bench.db"),
            "TOPO_WORKERS": str(workers),
        }
        cmd = [sys.executable, "-m", "topo", "serve", "--port", str(port)]
        proc = subprocess.Popen(
            [*cmd, "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    sys.exit("the server did not start")
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _one(client: httpx.Client, body: bytes, reuse: bool, stop_at: float) -> tuple[str, float]:
    t0 = time.perf_counter()
    r = client.post(
        "/v1/plans",
        params={"reuse": str(reuse).lower()},
        content=body,
        headers={"content-type": "application/yaml"},
    )
    status = str(r.status_code)
    if r.status_code == 202:
        location = r.headers["location"]
        while time.monotonic() < stop_at:
            state = client.get(location).json()["status"]
            if state in ("done", "failed"):
                status = f"202->{state}"
                break
            time.sleep(0.02)
        else:
            status = "202->timeout"
    return status, time.perf_counter() - t0


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def run(url: str, *, requests: int, concurrency: int, reuse: bool, max_seconds: float) -> None:
    body = SCENARIO.read_bytes()
    stop_at = time.monotonic() + max_seconds
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    lock = threading.Lock()
    with httpx.Client(base_url=url, timeout=max_seconds) as client:
        # one untimed request first: the server's first plan also warms its caches
        _one(client, body, reuse, stop_at)
        sent = iter(range(requests))

        def worker() -> None:
            while time.monotonic() < stop_at:
                with lock:
                    if next(sent, None) is None:
                        return
                status, seconds = _one(client, body, reuse, stop_at)
                with lock:
                    statuses[status] += 1
                    latencies.append(seconds)

        t0 = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            for _ in range(concurrency):
                pool.submit(worker)
        wall = time.perf_counter() - t0
        info = client.get("/healthz").json()
    lat = sorted(latencies)
    print(f"server          {url} (topo {info['version']})")
    print(f"scenario        {SCENARIO.relative_to(ROOT)} ({len(body)} bytes, YAML)")
    print(f"mode            {'reuse=true (stored plan)' if reuse else 'reuse=false (plan)'}")
    print(f"requests        {len(lat)} done in {wall:.2f} s, concurrency {concurrency}")
    print(f"statuses        {dict(sorted(statuses.items()))}")
    print(f"throughput      {len(lat) / wall:.1f} plans/s")
    print(
        f"latency         p50 {_percentile(lat, 0.5) * 1000:.0f} ms, "
        f"p90 {_percentile(lat, 0.9) * 1000:.0f} ms, p99 {_percentile(lat, 0.99) * 1000:.0f} ms, "
        f"mean {statistics.fmean(lat) * 1000 if lat else float('nan'):.0f} ms, "
        f"max {lat[-1] * 1000 if lat else float('nan'):.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="a loopback server")
    parser.add_argument("--start", action="store_true", help="start a topo serve for the run")
    parser.add_argument("--workers", type=int, default=2, help="TOPO_WORKERS with --start")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--reuse", action="store_true", help="answer from the stored plan")
    parser.add_argument("--max-seconds", type=float, default=120.0)
    args = parser.parse_args()
    opts = {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "reuse": args.reuse,
        "max_seconds": args.max_seconds,
    }
    if args.start:
        with _started_server(args.workers) as url:
            run(url, **opts)
    else:
        _loopback(args.url)
        run(args.url, **opts)


if __name__ == "__main__":
    main()
