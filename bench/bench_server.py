"""Requests per second and latency of gunicorn on this machine, for the README's worker guidance.

    /work/main/.venv/bin/python bench/bench_server.py                       # 1..4 sync workers
    /work/main/.venv/bin/python bench/bench_server.py --workers 2 --threads 4 --seconds 10

Builds a throwaway SQLite demo district (`hotline demo --orders N`) in a temporary directory,
starts gunicorn on 127.0.0.1 (a free port) with the production settings (DEBUG off, a random key),
logs in one client per page's role, then for each configuration runs a bounded load: C client
threads, each requesting the page back to back for S seconds. Prints requests/s and the median
and 95th percentile latency per page. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent
PAGES = [("/login/", None), ("/dispatch/", "chengang"), ("/orders/", "wangfang"), ("/overview/", "liudu")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def opener_for(base: str, username: str | None) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    if username:
        html = opener.open(base + "/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username,
                                       "password": "hotline123"}).encode()
        opener.open(urllib.request.Request(base + "/login/", data=data, headers={"Referer": base + "/login/"}))
    return opener


def load(base: str, path: str, username: str | None, clients: int, seconds: float) -> tuple[float, float, float, int]:
    openers = [opener_for(base, username) for _ in range(clients)]
    times: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(opener):
        mine = []
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                with opener.open(base + path, timeout=30) as r:
                    r.read()
                    ok = r.status == 200
            except Exception:
                ok = False
            mine.append(time.perf_counter() - t0)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            times.extend(mine)

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(o,)) for o in openers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))] if times else float("nan")
    return len(times) / elapsed, statistics.median(times) * 1000, p95 * 1000, errors[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--workers", default="1,2,3,4", help="comma-separated worker counts")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (1: sync worker)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--seconds", type=float, default=8.0, help="load time per page and configuration")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="hotline-bench-server-")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    env.update(HOTLINE_DATA_DIR=tmp, SECRET_KEY=secrets.token_urlsafe(50), DJANGO_SETTINGS_MODULE="hotline.settings",
               HOTLINE_LOGIN_FAILURE_LIMIT="1000")
    subprocess.run([str(BIN / "hotline"), "migrate", "--verbosity", "0"], env=env, check=True)
    subprocess.run([str(BIN / "hotline"), "demo", "--orders", str(args.orders)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; "
          f"{os.cpu_count()} CPUs; {args.clients} clients, {args.seconds:g} s per page")
    print(f"{'workers':>7} {'threads':>7} {'page':<12} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6}")
    for workers in [int(w) for w in args.workers.split(",")]:
        port = free_port()
        cmd = [str(BIN / "gunicorn"), "hotline.wsgi:application", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--timeout", "60", "--log-level", "warning"]
        if args.threads > 1:
            cmd += ["--worker-class", "gthread", "--threads", str(args.threads)]
        server = subprocess.Popen(cmd, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/login/", timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.2)
            for path, username in PAGES:
                load(base, path, username, 2, 1.0)  # warm every worker's caches
                rps, p50, p95, errors = load(base, path, username, args.clients, args.seconds)
                print(f"{workers:>7} {args.threads:>7} {path:<12} {rps:>7.1f} {p50:>7.0f} {p95:>7.0f} {errors:>6}",
                      flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
