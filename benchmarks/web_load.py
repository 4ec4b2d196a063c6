"""Load benchmark of the web API's score endpoint on the demo database, over loopback only.

Starts `partnerscore serve` on 127.0.0.1 (a free port, access log off), waits for it, warms the cache,
then runs CONCURRENCY keep-alive clients that send a bounded number of requests in total (and stop
after a time limit whatever happens). Writes requests per second and latency percentiles to
`benchmarks/results/web_load.json`.

    python benchmarks/web_load.py                      # demo database built in a temp folder if needed
    python benchmarks/web_load.py --db demo.duckdb --requests 20000 --concurrency 50

The client is a minimal asyncio HTTP/1.1 client, so that the load generator (on the same two cores)
costs less CPU than the server it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HOST = "127.0.0.1"  # loopback only: the benchmark never sends traffic anywhere else
AS_OF = "2026-10-31"
RESULTS = Path(__file__).parent / "results" / "web_load.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def demo_db(folder: Path) -> Path:
    from partnerscore.demo.fixtures import build_demo, write_dataset
    from partnerscore.ingest.importer import import_dataset

    db = folder / "demo.duckdb"
    import_dataset(write_dataset(build_demo(42), folder / "data"), db)
    return db


async def fetch(reader, writer, request: bytes) -> tuple[int, int]:
    """Send one request on a kept-alive connection; returns (status, body bytes)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    body = await reader.readexactly(length)
    return status, len(body)


async def client(port: int, request: bytes, budget: list[int], deadline: float, latencies: list[float],
                 errors: list[str]) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while budget[0] > 0 and time.perf_counter() < deadline:
            budget[0] -= 1
            start = time.perf_counter()
            status, _ = await fetch(reader, writer, request)
            latencies.append(time.perf_counter() - start)
            if status != 200:
                errors.append(str(status))
    finally:
        writer.close()


async def load(port: int, path: str, token: str, requests: int, concurrency: int, seconds: float) -> dict:
    request = (f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Bearer {token}\r\n"
               "Accept: application/json\r\n\r\n").encode()
    latencies: list[float] = []
    errors: list[str] = []
    budget = [requests]
    start = time.perf_counter()
    await asyncio.gather(*(client(port, request, budget, start + seconds, latencies, errors)
                           for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {"path": path, "requests": len(latencies), "concurrency": concurrency, "seconds": round(elapsed, 2),
            "rps": round(len(latencies) / elapsed, 1), "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99),
            "max_ms": round(ordered[-1] * 1000, 2), "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
            "errors": len(errors)}


def wait_ready(port: int, token: str, path: str, timeout: float = 180.0) -> float:
    """Wait until the server answers, then time the first (uncached) request of `path`."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://{HOST}:{port}/healthz", timeout=2).raise_for_status()
            break
        except httpx.HTTPError:
            time.sleep(0.3)
    start = time.perf_counter()
    httpx.get(f"http://{HOST}:{port}{path}", headers={"Authorization": f"Bearer {token}"},
              timeout=timeout).raise_for_status()
    return round(time.perf_counter() - start, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="partnerscore database (default: build the demo in a temp folder)")
    parser.add_argument("--requests", type=int, default=20_000, help="requests in total per scenario (bounded)")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0, help="stop each scenario after this long")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    from partnerscore.web.security import add_user

    load_before = round(os.getloadavg()[0], 2)  # the machine is shared: other work skews the numbers

    with tempfile.TemporaryDirectory(prefix="partnerscore-bench-") as tmp:
        tmp = Path(tmp)
        db = args.db or demo_db(tmp)
        users = tmp / "users.yaml"
        admin = add_user(users, "bench-admin", "admin", "*")
        reseller = add_user(users, "bench-reseller", "viewer", "4650505")
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-c", "from partnerscore.cli.app import main; main()", "serve",
             "--db", str(db), "--users", str(users),
             "--host", HOST, "--port", str(port), "--as-of", AS_OF, "--no-access-log"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            scenarios = [("admin: every partner", f"/api/scores?as_of={AS_OF}", admin),
                         ("reseller: its own partner", f"/api/partners/4650505/scores?as_of={AS_OF}", reseller)]
            results = []
            for name, path, token in scenarios:
                first = wait_ready(port, token, path)
                asyncio.run(load(port, path, token, 500, args.concurrency, 30))  # warm up connections and code paths
                result = asyncio.run(load(port, path, token, args.requests, args.concurrency, args.seconds))
                results.append({"scenario": name, "first_request_s": first, **result})
                print(json.dumps(results[-1]))
        finally:
            server.terminate()
            server.wait(timeout=30)
    document = {
        "benchmark": "web API score endpoint under load (loopback)",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_1m_before": load_before},
        "server": "partnerscore serve (uvicorn, one process), cached score per (database state, day, partners)",
        "target": {"p95_ms": 50, "concurrency": 50},
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
