"""The public part under load: page views and submissions at fixed rates against gunicorn on
127.0.0.1, with the staff pages' latency measured at the same time.

    PYTHONPATH=src .venv/bin/python bench/bench_public.py                        # 200 views/s + 20 submissions/s, 5 min, PostgreSQL
    PYTHONPATH=src .venv/bin/python bench/bench_public.py --seconds 30 --db sqlite

What it does:
- builds a throwaway database (PostgreSQL database `hotline_bench_public` on 127.0.0.1, dropped
  afterwards; or a SQLite file) with the demo district (`hotline demo --orders N`) and the
  assessment's aggregates, so the disclosure pages have a year of figures;
- starts gunicorn (production settings: DEBUG off, CSP, axes) and the background worker (which
  triages every submitted request, as in production) on the same 2 cores as the load;
- files a few requests through the form to have numbers and query codes to follow;
- measures the staff pages (dispatch board, order list) alone for a baseline;
- then runs an OPEN-loop load: requests are started on a fixed schedule whatever the server's
  speed (latency counts from the scheduled moment, so a slow server is not hidden by clients
  that wait: no coordinated omission; a request that could not even be sent within 30 s of its
  moment is counted as an error and dropped, so the run is bounded), for S seconds: V page views/s spread over the filing
  form, the disclosure index and month pages, a CSV, the tracking form and an order's public
  page; and U submissions/s (each: the form, then the POST with a photo for one in four);
- meanwhile a signed-in dispatcher requests the staff pages once a second.

Prints, per kind of request: count, achieved rate, p50 / p99 / max latency in ms and errors
(a status other than the one expected, or no answer within 30 s), the staff pages' latency
before and during the load, how many submitted requests became orders and how many the
worker had triaged by the end, and the load average. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import io
import json
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from childrun import pg  # noqa: E402

BIN = Path(sys.executable).parent
PG_DB = "hotline_bench_public"
TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One browser: a keep-alive connection to the server and its cookies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
                ) -> tuple[int, str, dict[str, str]]:
        hdrs = {"Host": f"127.0.0.1:{self.port}", "User-Agent": "bench_public", "Accept-Language": "zh-CN"}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        hdrs.update(headers or {})
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                k, _, rest = value.partition("=")
                self.cookies[k.strip()] = rest.split(";", 1)[0]
        if resp.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return resp.status, data.decode("utf-8", "replace"), {k.lower(): v for k, v in resp.getheaders()}

    def get(self, path: str) -> tuple[int, str, dict[str, str]]:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes, str]] | None = None
                  ) -> tuple[int, str, dict[str, str]]:
        headers = {"Referer": f"http://127.0.0.1:{self.port}{path}", "Origin": f"http://127.0.0.1:{self.port}"}
        if files:
            boundary = "----bench" + secrets.token_hex(8)
            out = io.BytesIO()
            for k, v in fields.items():
                out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
            for k, (fname, content, ctype) in files.items():
                out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{fname}"\r\n'
                          f"Content-Type: {ctype}\r\n\r\n".encode())
                out.write(content + b"\r\n")
            out.write(f"--{boundary}--\r\n".encode())
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
            body = out.getvalue()
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urllib.parse.urlencode(fields).encode()
        return self.request("POST", path, body=body, headers=headers)


def csrf_token(html: str) -> str:
    m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return m.group(1) if m else ""


def hidden_fields(html: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)}


def login(client: Client, username: str) -> None:
    _status, html, _ = client.get("/login/")
    client.post_form("/login/", {"csrfmiddlewaretoken": csrf_token(html), "username": username,
                                 "password": "hotline123"})


@dataclass
class Tally:
    times: list[float] = field(default_factory=list)
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, ok: bool) -> None:
        with self.lock:
            self.times.append(seconds)
            if not ok:
                self.errors += 1

    def row(self, name: str, span: float) -> str:
        t = sorted(self.times)
        if not t:
            return f"{name:<22} {0:>7} {'-':>7} {'-':>8} {'-':>8} {'-':>8} {self.errors:>6}"

        def pct(p: float) -> float:
            return t[min(len(t) - 1, int(p * len(t)))] * 1000

        return (f"{name:<22} {len(t):>7} {len(t) / span:>7.1f} {statistics.median(t) * 1000:>8.0f} "
                f"{pct(0.99):>8.0f} {t[-1] * 1000:>8.0f} {self.errors:>6}")


# ---- the public part's requests (the filing form's fields: docs/public.md) -------------------------

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")
TITLES = ["小区门口路灯不亮", "楼下餐馆油烟扰民", "人行道井盖破损", "公交站台广告牌松动", "小区垃圾清运不及时",
          "道路积水影响通行", "夜间施工噪音扰民", "共享单车乱停放堵塞通道"]


def solve_challenge(html: str) -> dict[str, str]:
    """The filing form's offline challenge, answered from the page as a person would (the
    signed token travels in the form's hidden fields)."""
    from hotline.public import challenge  # the same module the form uses

    return {"answer": challenge.solve(html)}


def submit(client: Client, areas: list[str], n: int, with_photo: bool) -> tuple[bool, str, str]:
    """File one request through the form; (ok, number, code)."""
    status, html, _ = client.get("/public/")
    if status != 200:
        return False, "", ""
    fields = hidden_fields(html)
    fields.update(solve_challenge(html))
    fields.update({
        "title": f"{random.choice(TITLES)}（第{n}号）", "description": "已经好几天了，希望有关部门尽快处理。" * 2,
        "area": random.choice(areas), "address": f"幸福路{n % 300}号附近",
        "name": "张先生", "phone": f"139{n:08d}"[-11:],
    })
    files = {"photos": ("现场.png", PNG, "image/png")} if with_photo else None
    status, html, headers = client.post_form("/public/", fields, files)
    if status in (301, 302, 303):
        status, html, _ = client.get(headers["location"])
    m = re.search(r'id="order-number">([^<]+)<.*?id="query-code">([^<]+)<', html, re.S)
    return status == 200 and m is not None, (m.group(1) if m else ""), (m.group(2) if m else "")


def follow(client: Client, number: str, code: str) -> bool:
    status, html, _ = client.get("/public/track/")
    if status != 200:
        return False
    fields = hidden_fields(html)
    fields.update({"number": number, "code": code})
    status, html, headers = client.post_form("/public/track/", fields)
    if status in (301, 302, 303):
        status, html, _ = client.get(headers["location"])
    return status == 200 and number in html


# ---- the run ---------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--orders", type=int, default=2000, help="demo district size")
    parser.add_argument("--views", type=float, default=200.0, help="public page views per second")
    parser.add_argument("--submits", type=float, default=20.0, help="submissions per second")
    parser.add_argument("--seconds", type=float, default=300.0, help="length of the load")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker")
    parser.add_argument("--clients", type=int, default=128, help="client threads (concurrent requests at most)")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="hotline-bench-public-")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    env.update(HOTLINE_DATA_DIR=tmp, SECRET_KEY=secrets.token_urlsafe(50), DJANGO_SETTINGS_MODULE="hotline.settings",
               HOTLINE_LOGIN_FAILURE_LIMIT="1000", PYTHONPATH=str(Path(__file__).resolve().parent.parent / "src"),
               # the load comes from one address and reuses phone numbers: the per-address and per-phone
               # limits are raised for the run (their own tests show they hold)
               HOTLINE_PUBLIC_FILE_PER_IP_PER_HOUR="1000000", HOTLINE_PUBLIC_FILE_PER_PHONE_PER_DAY="1000000")
    if args.db == "postgres":
        if not pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)", f"CREATE DATABASE {PG_DB}"):
            sys.exit("PostgreSQL is not reachable on 127.0.0.1:5432 as postgres")
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
    else:
        env["HOTLINE_SQLITE_PATH"] = str(Path(tmp) / "bench.sqlite3")
    os.environ.update({k: env[k] for k in ("SECRET_KEY", "DJANGO_SETTINGS_MODULE")})
    for name in ("DATABASE_URL", "HOTLINE_SQLITE_PATH", "HOTLINE_DATA_DIR"):
        if name in env:
            os.environ[name] = env[name]
    procs: list[subprocess.Popen] = []
    try:
        t0 = time.perf_counter()
        subprocess.run([str(BIN / "hotline"), "migrate", "--verbosity", "0"], env=env, check=True)
        subprocess.run([str(BIN / "hotline"), "demo", "--orders", str(args.orders)], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        print(f"database ({args.db}) with the demo district of {args.orders} orders built in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
        import django

        django.setup()
        from hotline.directory.models import Area

        areas = [str(pk) for pk in Area.objects.values_list("pk", flat=True)]
        port = free_port()
        procs.append(subprocess.Popen(
            [str(BIN / "gunicorn"), "hotline.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers",
             str(args.workers), "--worker-class", "gthread", "--threads", str(args.threads), "--timeout", "60",
             "--keep-alive", "30", "--log-level", "warning"], env=env))
        procs.append(subprocess.Popen([str(BIN / "hotline"), "db_worker", "--no-startup-delay", "--no-reload"],
                                      env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        probe = Client(port)
        for _ in range(150):
            try:
                if probe.get("/public/")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        run(args, port, areas)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        if args.db == "postgres":
            from django.db import connections

            connections.close_all()
            pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        shutil.rmtree(tmp, ignore_errors=True)


def staff_probe(port: int, stop: threading.Event, tally: dict[str, Tally]) -> None:
    client = Client(port)
    login(client, "chengang")
    while not stop.is_set():
        for path in ("/dispatch/", "/orders/"):
            t = time.perf_counter()
            try:
                ok = client.get(path)[0] == 200
            except OSError:
                ok = False
            tally[path].add(time.perf_counter() - t, ok)
        stop.wait(1.0)


def run(args: argparse.Namespace, port: int, areas: list[str]) -> None:
    from hotline.orders.models import WorkOrder

    local = threading.local()

    def client() -> Client:
        if not hasattr(local, "client"):
            local.client = Client(port)
        return local.client

    # numbers and codes to follow, filed through the form before the load
    warm = Client(port)
    tracked = []
    for i in range(20):
        ok, number, code = submit(warm, areas, 10_000_000 + i, with_photo=False)
        if not ok:
            sys.exit("filing through the form failed before the load: is the public part there?")
        tracked.append((number, code))
    months = re.findall(r'href="(/public/stats/\d{4}-\d{2}/)"', warm.get("/public/stats/")[1])
    month = months[0] if months else "/public/stats/"
    csv_links = re.findall(r'href="(/public/stats/\d{4}-\d{2}/[a-z]+\.csv)"', warm.get(month)[1])
    views = [("GET /public/", lambda c: c.get("/public/")[0] == 200),
             ("GET /public/stats/", lambda c: c.get("/public/stats/")[0] == 200),
             ("GET month", lambda c: c.get(month)[0] == 200),
             ("GET /public/track/", lambda c: c.get("/public/track/")[0] == 200),
             ("follow an order", lambda c: follow(c, *random.choice(tracked)))]
    if csv_links:
        views.append(("GET a month's CSV", lambda c: c.get(csv_links[0])[0] == 200))
    weights = [3, 2, 3, 1, 2, 1][: len(views)]

    staff_before = {p: Tally() for p in ("/dispatch/", "/orders/")}
    stop = threading.Event()
    probe = threading.Thread(target=staff_probe, args=(port, stop, staff_before))
    probe.start()
    time.sleep(15)
    stop.set()
    probe.join()

    web_before = WorkOrder.objects.filter(channel="web").count()
    tallies = {name: Tally() for name, _ in views}
    tallies["submit"] = Tally()
    staff_during = {p: Tally() for p in ("/dispatch/", "/orders/")}
    counter = [0]

    dropped = {"n": 0}

    def job(kind: str, fn, due: float) -> None:
        # Bounded: a request whose client thread frees up more than TIMEOUT after its due moment
        # is not sent at all; it counts as an error with TIMEOUT as its latency (the server could
        # not keep up), so the run ends soon after its S seconds whatever the server's speed.
        if time.perf_counter() - due > TIMEOUT:
            with tallies[kind].lock:
                dropped["n"] += 1
            tallies[kind].add(TIMEOUT, False)
            return
        try:
            ok = bool(fn(client()))
        except Exception:  # noqa: BLE001 - any failure is an error of the run, counted
            ok = False
        tallies[kind].add(time.perf_counter() - due, ok)

    def submission(c: Client) -> bool:
        counter[0] += 1
        n = counter[0]
        return submit(c, areas, n, with_photo=n % 4 == 0)[0]

    schedule: list[tuple[float, str]] = []
    for i in range(int(args.views * args.seconds)):
        schedule.append((i / args.views, "view"))
    for i in range(int(args.submits * args.seconds)):
        schedule.append((i / args.submits + 0.5 / args.submits, "submit"))
    schedule.sort()
    rng = random.Random(7)
    load0 = os.getloadavg()[0]
    print(f"load average before: {load0:.2f}; {os.cpu_count()} CPUs; {args.views:g} views/s + "
          f"{args.submits:g} submissions/s for {args.seconds:g} s; gunicorn {args.workers}x{args.threads} "
          f"threads; {args.clients} client threads", flush=True)
    stop = threading.Event()
    probe = threading.Thread(target=staff_probe, args=(port, stop, staff_during))
    probe.start()
    start = time.perf_counter()
    late = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.clients) as pool:
        for offset, kind in schedule:
            due = start + offset
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            elif wait < -0.05:
                late += 1
            if kind == "submit":
                pool.submit(job, "submit", submission, due)
            else:
                name, fn = rng.choices(views, weights=weights)[0]
                pool.submit(job, name, fn, due)
    span = time.perf_counter() - start
    stop.set()
    probe.join()
    load1 = os.getloadavg()[0]
    print(f"{'request':<22} {'count':>7} {'per s':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6}")
    for name, tally in tallies.items():
        print(tally.row(name, span))
    all_views = Tally(times=[t for n, x in tallies.items() if n != "submit" for t in x.times],
                      errors=sum(x.errors for n, x in tallies.items() if n != "submit"))
    print(all_views.row("all page views", span))
    for path in staff_before:
        print(staff_before[path].row(f"staff {path} alone", 15.0))
        print(staff_during[path].row(f"staff {path} in load", span))
    made = WorkOrder.objects.filter(channel="web").count() - web_before
    time.sleep(5)
    from hotline.orders.models import TriageJob

    pending = TriageJob.objects.filter(done_at__isnull=True).count() if hasattr(TriageJob, "done_at") else None
    print(json.dumps({"span_s": round(span, 1), "scheduled_late": late, "not_sent_over_30s_late": dropped["n"], "orders_made_by_submissions": made,
                      "submissions_ok": len(tallies["submit"].times) - tallies["submit"].errors,
                      "triage_jobs_pending_5s_after": pending, "load_before": round(load0, 2),
                      "load_after": round(load1, 2)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
