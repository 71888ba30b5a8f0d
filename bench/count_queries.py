"""How many SQL statements each kind of action runs (BEGIN and COMMIT included): a small
district, N orders driven round the loop by bench_loop's driver, the statements of the first
call of each action captured and printed.

    .venv/bin/python bench/count_queries.py [--orders 60] [--show]
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile

import bench_loop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=60)
    parser.add_argument("--show", action="store_true", help="print the statements too")
    args = parser.parse_args()
    os.environ["HOTLINE_DATA_DIR"] = tempfile.mkdtemp(prefix="hotline-count-queries-")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # a throwaway key for the run
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hotline.demo.district import build_district

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    ids = bench_loop.import_orders(build_district(password="bench"), args.orders, 1)
    first: dict[str, list[str]] = {}

    class Counting(bench_loop.Stopwatch):
        def __getattr__(self, name: str):
            fn = getattr(self._module, name)
            if not name.startswith("do_"):
                return fn

            def counted(*a, **kw):
                with CaptureQueriesContext(connection) as seen:
                    result = fn(*a, **kw)
                first.setdefault(name, [q["sql"] for q in seen.captured_queries])
                return result

            return counted

    bench_loop.Stopwatch = Counting
    bench_loop.drive(ids, 0, 1, 1)
    for name, statements in first.items():
        print(f"{name:<22} {len(statements):>3} statements")
        if args.show:
            for sql in statements:
                print("    ", sql[:200])


if __name__ == "__main__":
    sys.exit(main())
