"""A city platform simulator (`hotline citylink simulate`): a small HTTP server on 127.0.0.1 that
receives the district's updates, and a sender that hands orders (and city updates) down to the
district's inbound endpoint at a given rate, with switchable faults:

- timeouts: the receiver sometimes hangs past the district's send timeout (after keeping the
  update, or before), the sender's own requests time out too and are sent again;
- 500s: the receiver sometimes answers 500 without keeping the update;
- duplicates: some orders and city updates are sent twice;
- reorder: some orders are held back and sent after later ones, and some city updates are
  sent before their order;
- dead: the link is down for a while (the receiver drops every connection, the sender holds off).

It counts what it got: per order, updates in order (seq 1, 2, 3... of the order's stream, a gap
or a step back is "out of order"), duplicates ignored by message id. Pure standard library, no
Django: the bench and the tests run it in-process or as the command."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import queue
import random
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import signing

FAULTS = ("timeouts", "500s", "duplicates", "reorder", "dead")


@dataclass
class Faults:
    timeout: float = 0.0  # share of requests that hang (receiver) / are given up on (sender)
    error500: float = 0.0  # share answered 500 by the receiver
    duplicate: float = 0.0  # share of orders and city updates sent twice
    reorder: float = 0.0  # share of orders held back; of city updates sent before their order
    dead_after: float | None = None  # seconds after start when the link dies
    dead_for: float = 0.0  # ... and for how long
    hang: float = 3.0  # how long a hanging receiver waits before answering

    @classmethod
    def parse(cls, names: str, *, rate: float = 0.05, dead_after: float | None = None, dead_for: float = 0.0,
              hang: float = 3.0) -> Faults:
        chosen = set(FAULTS) if names.strip() == "all" else {n.strip() for n in names.split(",") if n.strip()}
        unknown = chosen - set(FAULTS) - {"none"}
        if unknown:
            raise ValueError(f"unknown faults: {', '.join(sorted(unknown))} (choose from {', '.join(FAULTS)}, all, none)")
        return cls(
            timeout=rate if "timeouts" in chosen else 0.0, error500=rate if "500s" in chosen else 0.0,
            duplicate=rate if "duplicates" in chosen else 0.0, reorder=rate if "reorder" in chosen else 0.0,
            dead_after=dead_after if "dead" in chosen else None, dead_for=dead_for if "dead" in chosen else 0.0,
            hang=hang,
        )


@dataclass
class Counts:
    orders_sent: int = 0  # distinct orders handed down
    order_posts: int = 0  # requests, with duplicates and retries
    orders_acked: int = 0  # distinct orders the district confirmed
    orders_created: int = 0  # "created" answers (more than orders_acked: an order taken twice)
    city_updates_sent: int = 0
    city_updates_acked: int = 0
    city_update_status: dict = field(default_factory=dict)
    sender_retries: int = 0
    updates_received: int = 0  # distinct updates kept
    duplicates: int = 0  # an update received again (same message id), ignored
    out_of_order: int = 0  # an update whose seq is not the one after the last kept for its order
    refused_signature: int = 0
    dropped: int = 0  # requests the faults dropped (dead link, 500, hang before keeping)
    kinds: dict = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Simulator:
    def __init__(self, *, inbound_url: str, secret: str, port: int = 0, rate: float = 20.0,
                 faults: Faults | None = None, seed: int = 12345, run: str | None = None,
                 codes: dict[str, list[str]] | None = None, city_updates: float = 0.2,
                 send_timeout: float = 5.0, senders: int = 4) -> None:
        self.inbound_url, self.secret, self.rate = inbound_url, secret, rate
        self.faults = faults or Faults()
        self.rng = random.Random(seed)
        self.run = run or f"S{int(time.time()) % 10**6:06d}"
        self.codes = codes or {}
        self.city_updates = city_updates
        self.send_timeout = send_timeout
        self.counts = Counts()
        self.lock = threading.Lock()
        # what the receiver kept: message id -> (city number, seq); per order, the seqs in arrival order
        self.seen_ids: set[str] = set()
        self.per_order: dict[str, list[int]] = {}
        self.acked: set[str] = set()
        self.created: dict[str, int] = {}
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._sending = threading.Event()
        self._heap: list[tuple[float, int, dict]] = []
        self._tick = itertools.count()
        self._queue: queue.Queue[dict | None] = queue.Queue()
        self._numbers = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._threads: list[threading.Thread] = []
        self._senders = senders

    # ---- the link's state ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/updates"

    def dead(self) -> bool:
        f = self.faults
        if f.dead_after is None:
            return False
        t = time.monotonic() - self.started
        return f.dead_after <= t < f.dead_after + f.dead_for

    def _chance(self, p: float) -> bool:
        with self.lock:
            return p > 0 and self.rng.random() < p

    # ---- receiving the district's updates ------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sim = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # One write per answer, and no Nagle: headers and body written apart would wait for the
            # client's delayed ACK (40 ms an answer) on a kept-alive connection.
            wbufsize = 64 * 1024
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if sim.dead():
                    with sim.lock:
                        sim.counts.dropped += 1
                    self.close_connection = True
                    return
                try:
                    signing.verify(sim.secret, self.headers.get(signing.TIMESTAMP_HEADER),
                                   self.headers.get(signing.SIGNATURE_HEADER), body, window=300)
                    message = json.loads(body)
                    # a district order's request for joint supervision has no city number: its stream
                    mid, seq = message["message_id"], int(message["seq"])
                    number = message["city_number"] or message["stream"]
                except (signing.BadSignature, ValueError, KeyError, TypeError):
                    with sim.lock:
                        sim.counts.refused_signature += 1
                    self._answer(401, {"error": "bad_signature"})
                    return
                if sim._chance(sim.faults.error500):
                    with sim.lock:
                        sim.counts.dropped += 1
                    self._answer(500, {"error": "injected"})
                    return
                hang = sim._chance(sim.faults.timeout)
                if hang and sim._chance(0.5):  # lost on the way in: never kept
                    with sim.lock:
                        sim.counts.dropped += 1
                    time.sleep(sim.faults.hang)
                    self.close_connection = True
                    return
                status = sim.keep(mid, number, seq, message.get("kind", ""))
                if hang:  # kept, but the answer comes too late: the district sends it again
                    time.sleep(sim.faults.hang)
                self._answer(200, {"status": status})

        return Handler

    def keep(self, mid: str, number: str, seq: int, kind: str) -> str:
        with self.lock:
            if mid in self.seen_ids:
                self.counts.duplicates += 1
                return "duplicate"
            self.seen_ids.add(mid)
            seqs = self.per_order.setdefault(number, [])
            if seq != (seqs[-1] if seqs else 0) + 1:
                self.counts.out_of_order += 1
            seqs.append(seq)
            self.counts.updates_received += 1
            self.counts.kinds[kind] = self.counts.kinds.get(kind, 0) + 1
            return "ok"

    # ---- handing orders down ------------------------------------------------------------------------------

    def _order(self, n: int) -> dict:
        number = f"{self.run}-{n:07d}"
        areas, cats = self.codes.get("areas") or [], self.codes.get("categories") or []
        with self.lock:
            area = self.rng.choice(areas) if areas else ""
            cat = self.rng.choice(cats) if cats else ""
        return {
            "type": "order", "city_number": number, "title": f"市级转办诉求{n}",
            "text": f"市民来电反映小区门口路灯不亮已有三天，夜间出行不便，请尽快派人维修（市级转办第{n}件）。",
            "caller_name": "王女士", "caller_phone": f"139{n % 10**8:08d}", "address": "东湖路88号",
            "area_code": area, "category_code": cat, "urgency": "general",
        }

    def _schedule(self, delay: float, job: dict) -> None:
        with self.lock:
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._tick), job))

    def _plan_order(self) -> None:
        n = next(self._numbers)
        order = self._order(n)
        number = order["city_number"]
        with self.lock:
            self.counts.orders_sent += 1
        delay = 0.0
        if self._chance(self.faults.reorder):
            delay = 0.5 + self.rng.random()  # held back: later orders overtake it
        self._schedule(delay, {"body": order})
        if self._chance(self.faults.duplicate):
            self._schedule(delay + 0.2 + self.rng.random(), {"body": order, "dup": True})
        if self._chance(self.city_updates):
            kind = self.rng.choice(["supervise", "urge", "note"])
            update = {"type": "update", "city_number": number, "message_id": f"{number}-u1", "kind": kind, "seq": 1,
                      "text": "请加快办理，市级平台关注此件。"}
            with self.lock:
                self.counts.city_updates_sent += 1
            # before its order (reorder) or a little after it
            early = self._chance(self.faults.reorder)
            self._schedule(0.0 if early else delay + 0.3, {"body": update, "early": early})
            if self._chance(self.faults.duplicate):
                self._schedule(delay + 1.0, {"body": update, "dup": True})

    def _post(self, job: dict) -> None:
        body = job["body"]
        if self.dead():
            self._retry(job)
            return
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.inbound_url, data=data, method="POST",
                                         headers=signing.signed_headers(self.secret, data))
        timeout = 0.05 if self._chance(self.faults.timeout) else self.send_timeout  # the sender gives up early
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                answer = json.loads(response.read() or b"{}")
                status = response.status
        except urllib.error.HTTPError as exc:
            status, answer = exc.code, {}
        except (OSError, ValueError):
            status, answer = 0, {}
        if body["type"] == "order":
            with self.lock:
                self.counts.order_posts += 1
        if status in (200, 202):
            self._acked(body, answer)
        elif status in (0, 409, 429) or status >= 500:
            # no answer, a replay refusal of a retry we did not re-sign, or the district down: again
            self._retry(job)
        else:
            with self.lock:
                self.counts.city_update_status[f"http_{status}"] = self.counts.city_update_status.get(f"http_{status}", 0) + 1

    def _retry(self, job: dict) -> None:
        with self.lock:
            self.counts.sender_retries += 1
        self._schedule(1.0, job)

    def _acked(self, body: dict, answer: dict) -> None:
        number = body["city_number"]
        with self.lock:
            if body["type"] == "order":
                if number not in self.acked:
                    self.acked.add(number)
                    self.counts.orders_acked += 1
                if answer.get("status") == "created":
                    self.created[number] = self.created.get(number, 0) + 1
                    self.counts.orders_created += 1
            else:
                status = answer.get("status", "?")
                self.counts.city_update_status[status] = self.counts.city_update_status.get(status, 0) + 1
                if status in ("applied", "not_applied", "queued") and not body.get("_acked"):
                    body["_acked"] = True
                    self.counts.city_updates_acked += 1

    # ---- running ------------------------------------------------------------------------------------------

    def start(self) -> Simulator:
        self.started = time.monotonic()
        t = threading.Thread(target=self._server.serve_forever, name="sim-receiver", daemon=True)
        t.start()
        self._threads.append(t)
        for i in range(self._senders):
            s = threading.Thread(target=self._sender, name=f"sim-sender-{i}", daemon=True)
            s.start()
            self._threads.append(s)
        d = threading.Thread(target=self._dispatch, name="sim-schedule", daemon=True)
        d.start()
        self._threads.append(d)
        return self

    def send_orders(self, seconds: float) -> None:
        """Hand down orders at the rate for `seconds` (blocking)."""
        if self.rate <= 0:
            return
        end = time.monotonic() + seconds
        interval = 1.0 / self.rate
        nxt = time.monotonic()
        while time.monotonic() < end and not self._stop.is_set():
            self._plan_order()
            nxt += interval
            time.sleep(max(0.0, nxt - time.monotonic()))

    def pending_sends(self) -> int:
        with self.lock:
            return len(self._heap) + self._queue.qsize()

    def _dispatch(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            ready = []
            with self.lock:
                while self._heap and self._heap[0][0] <= now:
                    ready.append(heapq.heappop(self._heap)[2])
            for job in ready:
                self._queue.put(job)
            time.sleep(0.01)

    def _sender(self) -> None:
        while not self._stop.is_set():
            try:
                job = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if job is None:
                return
            try:
                self._post(job)
            except Exception:  # noqa: BLE001 - a sender thread must not die; the job is tried again
                self._retry(job)

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def report(self) -> dict[str, Any]:
        with self.lock:
            out = self.counts.as_dict()
            out["orders_taken_twice"] = sum(1 for c in self.created.values() if c > 1)
            out["orders_with_updates"] = len(self.per_order)
            out["run"] = self.run
            return json.loads(json.dumps(out))


def main(argv: list[str] | None = None) -> None:
    """`python -m hotline.citylink.simulator --port P [--faults ...]`: only the receiving side, in a
    process of its own (the benches), until SIGTERM; then its counts as JSON to --report."""
    import argparse
    import os
    import signal

    parser = argparse.ArgumentParser(description="the city platform simulator, receiving only")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--faults", default="none")
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--hang", type=float, default=3.0)
    parser.add_argument("--report", required=True)
    args = parser.parse_args(argv)
    secret = os.environ["HOTLINE_CITYLINK_SECRET"]
    sim = Simulator(inbound_url="http://127.0.0.1:9/unused", secret=secret, port=args.port, rate=0,
                    faults=Faults.parse(args.faults, rate=args.fault_rate, hang=args.hang)).start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    done.wait()
    sim.stop()
    with open(args.report, "w", encoding="utf-8") as f:
        json.dump(sim.report(), f)


if __name__ == "__main__":
    main()
