"""Run calls at the same moment in threads (for the PostgreSQL race tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def race(calls: list[Callable[[], object]], *, timeout: float = 60) -> list[object]:
    """Run the calls in threads released together by a barrier; the result or the exception of
    each, in the order of `calls`. Each thread closes its own database connection."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)
    done = [False] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                results[i] = call()
            except Exception as exc:  # noqa: BLE001 - returned for the test to assert on
                results[i] = exc
            done[i] = True
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert all(done), "a racing call did not finish"
    return results
