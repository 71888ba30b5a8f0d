"""The crash run: the importer, a web worker and the task worker each killed with -9 at random
moments under load, then restarted; then the figures that must be 0 / ok.

    PYTHONPATH=src python bench/bench_crash.py [--requests 200] [--rows 600] [--database-url postgres://...]

On 127.0.0.1 only, in a fresh data directory (SQLite) or a fresh PostgreSQL database named in
--database-url (dropped and created: give it a name of its own). Bounded: it sends a fixed number
of requests, kills a fixed number of times, and gives up waiting after --drain seconds.

Load: --requests intakes over HTTP to gunicorn (hotline.wsgi, 3 sync workers), each with its own
Idempotency-Key and retried with the same key when a killed web worker drops the connection;
`hotline import` of a CSV of --rows orders killed -9 once mid-way and run again; `hotline
db_worker` killed -9 while it triages, and restarted. Printed: orders and create events expected
and found, tasks lost (triage jobs never done, tasks left READY/RUNNING), duplicates (a request or
an import row that made two orders), and `hotline verify-trace`'s result.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Client:
    """A logged-in agent (王芳) with the session cookie and CSRF token the API expects."""

    def __init__(self, base: str, password: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.open(f"{base}/login/", timeout=10).read()
        data = urllib.parse.urlencode({"username": "wangfang", "password": password,
                                       "csrfmiddlewaretoken": self.csrf()}).encode()
        req = urllib.request.Request(f"{base}/login/", data=data, headers={"Referer": f"{base}/login/"})
        self.opener.open(req, timeout=10).read()

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def create(self, i: int) -> int:
        body = json.dumps({"title": f"崩溃测试-API-{i}", "description": f"东湖路路灯不亮一周了，第{i}次反映，请尽快处理。",
                           "caller_phone": f"1390000{i:04d}", "channel": "web"}).encode()
        req = urllib.request.Request(f"{self.base}/api/orders", data=body, method="POST", headers={
            "Content-Type": "application/json", "X-CSRFToken": self.csrf(), "Referer": f"{self.base}/",
            "Idempotency-Key": f"crash-{i}"})
        with self.opener.open(req, timeout=30) as resp:
            return resp.status


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--rows", type=int, default=600)
    ap.add_argument("--web-kills", type=int, default=3)
    ap.add_argument("--worker-kills", type=int, default=3)
    ap.add_argument("--drain", type=float, default=180.0)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--database-url", default="")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    data_dir = Path(tempfile.mkdtemp(prefix="hotline-crash-"))
    env = {**os.environ, "HOTLINE_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT / "src"),
           "DJANGO_SETTINGS_MODULE": "hotline.settings", "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50), "HOTLINE_WORKER_BEAT_SECONDS": "1",
           "HOTLINE_WORKER_LEASE_SECONDS": "5", "LOG_LEVEL": "ERROR"}
    env.pop("DATABASE_URL", None)
    if args.database_url:
        url = urllib.parse.urlparse(args.database_url)
        assert url.hostname in ("127.0.0.1", "localhost"), "127.0.0.1 only"
        name = url.path.lstrip("/")
        admin = args.database_url.rsplit("/", 1)[0] + "/postgres"
        subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}"'], check=True)
        subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)
        env["DATABASE_URL"] = args.database_url
    hotline = [str(BIN / "hotline")]
    py = [sys.executable, "-c"]
    subprocess.run([*hotline, "migrate", "-v0"], env=env, check=True)
    subprocess.run([*py, "import django; django.setup(); from hotline.demo.district import build_district; "
                    "build_district()"], env=env, check=True)
    from_demo = subprocess.run([*py, "import django; django.setup(); from hotline.demo.district import DEMO_PASSWORD; print(DEMO_PASSWORD)"],
                               env=env, check=True, capture_output=True, text=True).stdout.strip()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(data_dir / "processes.log", "w")  # noqa: SIM115 - open for the whole run
    web = subprocess.Popen([str(BIN / "gunicorn"), "-w", "3", "-b", f"127.0.0.1:{port}", "hotline.wsgi:application"],
                           env=env, stdout=log, stderr=log)
    worker_cmd = [*hotline, "db_worker", "--no-startup-delay", "--no-reload", "--interval", "0.2"]
    worker = [subprocess.Popen(worker_cmd, env=env, stdout=log, stderr=log)]
    killed = {"web": 0, "worker": 0, "import": 0}
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/login/", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)

        # The import: a CSV with numbered rows, killed -9 mid-way, then run again to the end.
        csv_path = data_dir / "orders.csv"
        lines = ["编号,标题,诉求内容,联系电话"] + [
            f"CR{j:05d},崩溃测试-CSV-{j},西城路路灯连续三晚不亮，夜间行人看不清路（{j}）。,1370000{j:04d}"
            for j in range(args.rows)]
        csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        importer = subprocess.Popen([*hotline, "import", str(csv_path), "--as", "wangfang", "--batch-size", "50",
                                     "--no-progress"], env=env, stdout=log, stderr=log)

        todo = list(range(args.requests))
        lock = threading.Lock()
        retries = [0]

        def send() -> None:
            client = None
            while True:
                with lock:
                    if not todo:
                        return
                    i = todo.pop()
                for _attempt in range(30):
                    try:
                        client = client or Client(base, from_demo)
                        if client.create(i) in (200, 201):
                            break
                    except (OSError, urllib.error.HTTPError, StopIteration):
                        client = None  # a killed web worker: log in again, resend with the same key
                        with lock:
                            retries[0] += 1
                        time.sleep(0.2)

        senders = [threading.Thread(target=send) for _ in range(4)]
        for t in senders:
            t.start()
        time.sleep(rng.uniform(0.5, 2.0))
        if importer.poll() is None:
            importer.send_signal(signal.SIGKILL)
            killed["import"] += 1
        importer.wait()
        for _ in range(args.web_kills + args.worker_kills):
            time.sleep(rng.uniform(0.3, 1.5))
            if killed["web"] < args.web_kills and (rng.random() < 0.5 or killed["worker"] >= args.worker_kills):
                pids = children(web.pid)
                if pids:
                    os.kill(rng.choice(pids), signal.SIGKILL)  # gunicorn's master starts another
                    killed["web"] += 1
            else:
                worker[-1].send_signal(signal.SIGKILL)
                worker[-1].wait()
                killed["worker"] += 1
                worker.append(subprocess.Popen(worker_cmd, env=env, stdout=log, stderr=log))
        for t in senders:
            t.join(timeout=300)
        rerun = subprocess.run([*hotline, "import", str(csv_path), "--as", "wangfang", "--no-progress"], env=env,
                               stdout=log, stderr=log)

        deadline = time.monotonic() + args.drain
        # A task due now and not run is lost; one queued to run later (the assessment's nightly
        # refresh, which every starting worker schedules) is not.
        due = ("DBTaskResult.objects.filter(Q(status='RUNNING') | Q(status='READY') & "
               "(Q(run_after__isnull=True) | Q(run_after__lte=timezone.now())))")
        count = ("import django; django.setup(); from django.db.models import Q; from django.utils import timezone; "
                 "from hotline.orders.models import TriageJob; from django_tasks_db.models import DBTaskResult; "
                 f"print(TriageJob.objects.filter(done_at=None).count() + {due}.count())")
        while time.monotonic() < deadline:
            left = subprocess.run([*py, count], env=env, capture_output=True, text=True).stdout.strip()
            if left == "0":
                break
            time.sleep(1)
        figures = subprocess.run([*py, """
import django, json; django.setup()
from django.db.models import Count, Q
from django.utils import timezone
from hotline.orders.models import Event, TriageJob, WorkOrder
from django_tasks_db.models import DBTaskResult
orders = WorkOrder.objects.filter(title__startswith="崩溃测试-")
dup = orders.values("title").annotate(n=Count("id")).filter(n__gt=1).count()
print(json.dumps({
  "orders_found": orders.count(),
  "events_found": Event.objects.filter(order__in=orders, action="create").count(),
  "lost_jobs": TriageJob.objects.filter(done_at=None).count(),
  "untriaged": orders.filter(triage_job__isnull=True).count(),
  "tasks_left": DBTaskResult.objects.filter(Q(status="RUNNING") | Q(status="READY") & (
      Q(run_after__isnull=True) | Q(run_after__lte=timezone.now()))).count(),
  "scheduled": DBTaskResult.objects.filter(status="READY", run_after__gt=timezone.now()).count(),
  "failed_tasks": DBTaskResult.objects.filter(status="FAILED").count(),
  "duplicates": dup,
}))"""], env=env, capture_output=True, text=True, check=True).stdout
        f = json.loads(figures)
        trace = subprocess.run([*hotline, "verify-trace"], env=env, capture_output=True, text=True)
    finally:
        for p in [web, *worker]:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in [web, *worker]:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGKILL)
        log.close()
    expected = args.requests + args.rows
    print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}; data in {data_dir}")
    print(f"killed -9: importer {killed['import']}, web workers {killed['web']}, task worker {killed['worker']}; "
          f"HTTP retries {retries[0]}; import rerun exit {rerun.returncode}")
    print(f"orders expected {expected}, found {f['orders_found']}")
    print(f"create events expected {expected}, found {f['events_found']}")
    lost = f["lost_jobs"] + f["untriaged"] + f["tasks_left"]
    print(f"tasks lost {lost} (triage jobs not done {f['lost_jobs']}, orders without a triage job "
          f"{f['untriaged']}, tasks due and READY or RUNNING {f['tasks_left']}; FAILED {f['failed_tasks']}; "
          f"queued for later {f['scheduled']})")
    print(f"duplicates {f['duplicates']}")
    ok = trace.returncode == 0
    print(f"verify-trace: {'ok' if ok else 'FAILED'}: {trace.stdout.strip().splitlines()[-1] if trace.stdout else ''}")
    good = (f["orders_found"] == expected == f["events_found"] and lost == 0 and f["duplicates"] == 0 and ok
            and f["failed_tasks"] == 0)
    print("result: " + ("all 0 / ok" if good else "NOT OK"))
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
