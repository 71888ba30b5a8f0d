"""Memory of a web process receiving an oversize upload (issue 11, item 4).

    .venv/bin/python bench/bench_upload.py                    # 300 MB against this checkout
    .venv/bin/python bench/bench_upload.py --mb 300 --src /tmp/old/src   # against another tree

A throwaway SQLite database gets the demo district and one order in progress for 李强. A server
process (the WSGI application under wsgiref, one request at a time, as a gunicorn sync worker
would run it) serves one warm-up page, then one attach POST whose file is --mb megabytes, sent
by this process in 1 MB pieces (the client never holds the body). The server prints its peak
resident memory (VmHWM) after the warm-up and after the upload, and what it answered.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECRET = "b" * 32  # a CSRF secret set as the cookie and sent back in the header


def _hwm_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def setup() -> None:
    """Child: migrate, build the district, bring one order to in_progress; print order id and
    a session key for 李强."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.sessions.backends.db import SessionStore

    from hotline.demo.district import build_district
    from hotline.orders import actions

    d = build_district(password="pw")
    p = d.people
    data = actions.Intake(title="东湖路路面塌陷", description="东湖路与湖滨路交叉口路面塌陷，请尽快处理。",
                          caller_name="张先生", caller_phone="13812345678", area_id=d.areas["east-lake"].pk,
                          category_id=d.categories["道路塌陷破损"].pk)
    oid = actions.do_create(data, actor=p["wangfang"]).pk
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=d.units["street-a"].pk)
    actions.do_sign(oid, actor=p["liqiang"])
    user = p["liqiang"]
    s = SessionStore()
    s["_auth_user_id"] = str(user.pk)
    s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    s["_auth_user_hash"] = user.get_session_auth_hash()
    s.create()
    print(json.dumps({"order": oid, "session": s.session_key}))


def serve(port: int) -> None:
    """Child: serve two requests (a warm-up page, then the upload) and print peak memory."""
    import django

    django.setup()
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from hotline.wsgi import application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = make_server("127.0.0.1", port, application, handler_class=Quiet)
    print("ready", flush=True)
    server.handle_request()
    warm = _hwm_kb()
    t0 = time.perf_counter()
    server.handle_request()
    print(json.dumps({"after_warmup_mb": round(warm / 1024, 1), "after_upload_mb": round(_hwm_kb() / 1024, 1),
                      "upload_seconds": round(time.perf_counter() - t0, 2)}), flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=300, help="size of the uploaded file in MB")
    ap.add_argument("--src", default=str(ROOT / "src"), help="the source tree to measure (default: this one)")
    ap.add_argument("--child", choices=["setup", "serve"], help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child == "setup":
        return setup()
    if args.child == "serve":
        return serve(args.port)

    tmp = tempfile.mkdtemp(prefix="hotline-bench-upload-")
    env = dict(os.environ, SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50), DJANGO_SETTINGS_MODULE="hotline.settings", PYTHONPATH=args.src, HOTLINE_DATA_DIR=tmp,
               DEBUG="false", LOG_LEVEL="ERROR")
    env.pop("DATABASE_URL", None)
    me = [sys.executable, __file__]
    info = json.loads(subprocess.run([*me, "--child", "setup"], env=env, check=True, capture_output=True,
                                     text=True).stdout.strip().splitlines()[-1])
    port = _free_port()
    server = subprocess.Popen([*me, "--child", "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              text=True)
    assert server.stdout is not None
    assert server.stdout.readline().strip() == "ready"
    cookie = f"sessionid={info['session']}; csrftoken={SECRET}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request("GET", f"/orders/{info['order']}/", headers={"Cookie": cookie})
    warm = conn.getresponse()
    warm.read()
    conn.close()

    boundary = "----hotlinebench"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"attach-file\"; filename=\"site.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    piece = b"\xff" * (1024 * 1024)
    size = len(head) + args.mb * len(piece) + len(tail)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.putrequest("POST", f"/orders/{info['order']}/act/attach/")
    for k, v in {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(size),
                 "Cookie": cookie, "X-CSRFToken": SECRET}.items():
        conn.putheader(k, v)
    conn.endheaders()
    conn.send(head)
    for _ in range(args.mb):
        conn.send(piece)
    conn.send(tail)
    r = conn.getresponse()
    body = r.read().decode("utf-8", "replace")
    conn.close()
    out, _err = server.communicate(timeout=120)
    figures = json.loads(out.strip().splitlines()[-1])
    found = re.search(r"文件过大（[^）]*）", body)
    message = found.group(0) if found else body[:80].replace("\n", " ")
    print(json.dumps({"src": args.src, "upload_mb": args.mb, "warmup_status": warm.status, "status": r.status,
                      "says": message, **figures}, ensure_ascii=False))


if __name__ == "__main__":
    main()
