"""Property-based fuzzing of the whole JSON API with schemathesis, against a live server on PostgreSQL.

    .venv/bin/python bench/api_fuzz.py                              # 25 examples, five roles
    .venv/bin/python bench/api_fuzz.py --examples 100 --users chengang,zhaomin
    .venv/bin/python bench/api_fuzz.py --db sqlite --examples 10    # no PostgreSQL at hand

What it does:

1. A fresh PostgreSQL database `hotline_api_fuzz` on 127.0.0.1 as user `postgres` (dropped and
   created again; override with --database-url), migrated, with the demo district
   (`hotline demo --orders N`) in it. Nothing of var/ is touched.
2. gunicorn on 127.0.0.1 (a free port), production settings (DEBUG off, a throwaway key).
3. For each user of --users: logs in through the login page (session cookie + CSRF token, the
   way a staff app does; with --auth key, a system API key in that user's role and unit,
   `Authorization: Bearer`, the way another system does), fetches /api/openapi.json, adds a few real orders of every state as
   examples of the `order_id` path parameter (schemathesis also reuses the ids that GET
   /api/orders returns), and runs `st run` over every operation of the schema: the examples,
   coverage and fuzzing phases, positive and negative data, at most --examples cases per
   operation and phase.
4. Checks: no 5xx (not_a_server_error), every status documented (status_code_conformance),
   bodies and content types as the schema says (response_schema_conformance,
   content_type_conformance, response_headers_conformance), and schema-invalid input refused
   with a 4xx (negative_data_rejection). Prints the cases, the statuses seen and the failures
   per user, and exits 1 on any failure. The reports (JUnit, JSON) stay in --report-dir.

Only 127.0.0.1 is contacted. The default run (25 examples, five users) takes about ten minutes
on two cores.
"""

from __future__ import annotations

import argparse
import collections
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
          "response_schema_conformance,negative_data_rejection")
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/hotline_api_fuzz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_postgres(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def login(base: str, username: str, password: str) -> tuple[str, str]:
    """(sessionid, csrftoken) of a fresh login through the login page."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password}).encode()
    opener.open(urllib.request.Request(base + "/login/", data=data, headers={"Referer": base + "/login/"}))
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise SystemExit(f"login as {username} failed")
    return cookies["sessionid"], cookies["csrftoken"]


def api_key_like(env: dict[str, str], username: str) -> str:
    """A system key with every API scope, acting in the user's role (and unit): `hotline apikey create`."""
    code = ("from hotline.directory.models import User; "
            f"u = User.objects.select_related('unit').get(username={username!r}); "
            "print(u.role, u.unit.code if u.unit else '')")
    out = subprocess.run([str(BIN / "hotline"), "shell", "-v", "0", "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout.splitlines()[-1].split()
    cmd = [str(BIN / "hotline"), "apikey", "create", "--name", f"fuzz-{username}", "--role", out[0],
           "--rate", "100000"]
    for scope in ("orders:read", "orders:create", "orders:act", "evidence:write"):
        cmd += ["--scope", scope]
    if len(out) > 1 and out[0] in {"handler", "unit_head"}:
        cmd += ["--unit", out[1]]
    return subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]


def schema_with_examples(base: str, order_ids: list[int], out: Path) -> Path:
    """The served schema, with real order ids as examples of `order_id` (the schema itself is
    not narrowed: a negative case past a bound must still be refused, and orders the run
    creates lie past any bound taken now)."""
    schema = json.loads(urllib.request.urlopen(base + "/api/openapi.json").read())
    for ops in schema["paths"].values():
        for op in ops.values():
            for param in op.get("parameters", []):
                if param["in"] == "path" and param["name"] == "order_id":
                    param["schema"] = {**param["schema"], "examples": order_ids}
    out.write_text(json.dumps(schema))
    return out


def sample_order_ids(env: dict[str, str], username: str, per_state: int = 3) -> list[int]:
    """A few orders in every state among those the user sees (orders_visible_to)."""
    code = ("from hotline.directory.models import User; from hotline.orders.selectors import orders_visible_to; "
            "from hotline.orders.states import State; "
            f"qs = orders_visible_to(User.objects.get(username={username!r})); "
            f"print(0, *[i for s in State for i in qs.filter(state=s).values_list('id', flat=True)[:{per_state}]])")
    out = subprocess.run([str(BIN / "hotline"), "shell", "-v", "0", "-c", code], env=env, check=True, capture_output=True,
                         text=True).stdout.splitlines()
    return [int(x) for x in out[-1].split()[1:]]


def summarise(junit: Path, ndjson: Path) -> tuple[int, int, collections.Counter, collections.Counter,
                                                  collections.Counter]:
    """(requests, failing operations, statuses, error codes, operations answered 2xx) from the reports."""
    import base64
    import xml.etree.ElementTree as ET

    tree = ET.parse(junit)
    failures = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in tree.iter("testsuite"))
    statuses: collections.Counter = collections.Counter()
    codes: collections.Counter = collections.Counter()
    reached: collections.Counter = collections.Counter()
    requests = 0
    for line in ndjson.read_text().splitlines():
        event = json.loads(line).get("ScenarioFinished")
        if not event:
            continue
        label = event["recorder"].get("label", "")
        for interaction in (event["recorder"].get("interactions") or {}).values():
            response = interaction.get("response") or {}
            status = response.get("status_code")
            if status is None:
                continue
            requests += 1
            statuses[status] += 1
            if 200 <= status < 300:
                reached[label] += 1
            content = response.get("content") or {}
            try:
                body = json.loads(base64.b64decode(content["$base64"]) if "$base64" in content else content.get("text", ""))
            except (ValueError, KeyError, TypeError):
                body = None
            if isinstance(body, dict) and "error" in body:
                codes[f"{status} {body['error']}"] += 1
    return requests, failures, statuses, codes, reached


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--orders", type=int, default=200, help="demo orders in the database")
    parser.add_argument("--examples", type=int, default=25, help="at most this many cases per operation and phase")
    parser.add_argument("--users", default="chengang,zhaomin,zhoushen,sunhui,liudu",
                        help="comma-separated demo users to run as (default: one of each role)")
    parser.add_argument("--password", default="hotline123", help="the demo users' password")
    parser.add_argument("--auth", choices=["session", "key"], default="session",
                        help="log in as each user (session cookie + CSRF token), or use a system API key "
                             "(Authorization: Bearer) in each user's role and unit")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--report-dir", default=str(ROOT / "test-artifacts" / "api-fuzz"))
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="hotline-api-fuzz-"))
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    env.update(HOTLINE_DATA_DIR=str(tmp), SECRET_KEY=secrets.token_urlsafe(50), DJANGO_SETTINGS_MODULE="hotline.settings",
               HOTLINE_LOGIN_FAILURE_LIMIT="1000")
    if args.db == "postgres":
        fresh_postgres(args.database_url)
        env["DATABASE_URL"] = args.database_url
    started = time.perf_counter()
    subprocess.run([str(BIN / "hotline"), "migrate", "--verbosity", "0"], env=env, check=True)
    subprocess.run([str(BIN / "hotline"), "demo", "--orders", str(args.orders)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(tmp / "server.log", "w")  # noqa: SIM115 - the server's stderr for its whole life
    server = subprocess.Popen([str(BIN / "gunicorn"), "hotline.wsgi:application", "--bind", f"127.0.0.1:{port}",
                               "--workers", str(args.workers), "--timeout", "60", "--log-level", "warning"],
                              env=env, stderr=log)
    reports = Path(args.report_dir).resolve()  # st runs in the temporary folder
    shutil.rmtree(reports, ignore_errors=True)
    reports.mkdir(parents=True)
    total_cases = total_failures = 0
    all_statuses: collections.Counter = collections.Counter()
    all_codes: collections.Counter = collections.Counter()
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/login/", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        print(f"{args.db}: demo district with {args.orders} orders, "
              f"setup {time.perf_counter() - started:.0f} s; server {base}")
        ops = sum(len(v) for v in json.loads(urllib.request.urlopen(base + "/api/openapi.json").read())["paths"].values())
        print(f"{ops} operations; at most {args.examples} examples per operation and phase; checks: {CHECKS}")
        for user in args.users.split(","):
            if args.auth == "key":
                auth = ["--header", f"Authorization: Bearer {api_key_like(env, user)}"]
            else:
                session, csrf = login(base, user, args.password)
                auth = ["--header", f"Cookie: sessionid={session}; csrftoken={csrf}", "--header", f"X-CSRFToken: {csrf}"]
            ids = sample_order_ids(env, user if args.auth == "session" else f"api.fuzz-{user}")
            schema = schema_with_examples(base, ids, tmp / f"openapi-{user}.json")
            junit, ndjson = reports / f"{user}.junit.xml", reports / f"{user}.ndjson"
            cmd = [str(BIN / "st"), "run", str(schema), "--url", base, "--checks", CHECKS,
                   "--max-examples", str(args.examples), "--phases", "examples,coverage,fuzzing",
                   # one worker: two threads drawing examples crashed hypothesis' lambda parser (ast) on 3.11
                   "--workers", "1", "--generation-database", "none", "--no-color",
                   # the session is sent with every request (-H): not a parameter to leave out or break
                   "--generation-with-security-parameters", "false",
                   *auth,
                   "--report", "junit,ndjson", "--report-junit-path", str(junit), "--report-ndjson-path", str(ndjson),
                   "--output-truncate", "true"]
            if args.seed is not None:
                cmd += ["--seed", str(args.seed)]
            t0 = time.perf_counter()
            run = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp)  # its cache stays there
            (reports / f"{user}.log").write_text(run.stdout + run.stderr)
            cases, failures, statuses, codes, reached = summarise(junit, ndjson)
            total_cases += cases
            total_failures += failures
            all_statuses.update(statuses)
            all_codes.update(codes)
            print(f"  {user:<9} {cases:6d} requests in {time.perf_counter() - t0:5.0f} s, "
                  f"{failures} failing operations, st exit {run.returncode}; statuses "
                  + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
            print(f"            {len(ids)} of the orders {user} sees, in every state, as examples of order_id")
            print(f"            answered 2xx: {sum(reached.values())} requests on {len(reached)} of {ops} operations: "
                  + ", ".join(f"{label.split('/')[-1]} {n}" for label, n in sorted(reached.items())))
            if run.returncode != 0:
                tail = run.stdout.split("FAILURES", 1)[-1] if "FAILURES" in run.stdout else run.stdout[-3000:]
                print(tail[:6000])
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    server_errors = sum(n for s, n in all_statuses.items() if s >= 500)
    print(f"total: {total_cases} requests, {server_errors} answered 5xx, {total_failures} failing operations; "
          f"statuses " + ", ".join(f"{s}: {n}" for s, n in sorted(all_statuses.items())))
    print("error codes: " + ", ".join(f"{c}: {n}" for c, n in all_codes.most_common()))
    print(f"reports in {reports}; server log {tmp / 'server.log'}")
    return 1 if total_failures or server_errors else 0


if __name__ == "__main__":
    sys.exit(main())
