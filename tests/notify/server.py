"""A real HTTP server on 127.0.0.1 for the senders' tests: it answers each POST as told (a status,
a JSON reply, a delay) and keeps what it received."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Behaviour:
    status: int = 200
    reply: Any = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    delay: float = 0.0


class LocalServer:
    def __init__(self) -> None:
        self.behaviour = Behaviour()
        self.received: list[Received] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw.decode("utf-8"))
                except ValueError:
                    body = raw
                outer.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                b = outer.behaviour
                if b.delay:
                    time.sleep(b.delay)
                data = json.dumps(b.reply).encode("utf-8")
                try:
                    self.send_response(b.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (a timeout test)
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        self.behaviour = Behaviour()
        self.received.clear()

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
