"""Shared by the benchmarks: run one database's part in a child process with its own settings
(a throwaway SQLite file, or a PostgreSQL database on 127.0.0.1 as user postgres that is
dropped and created again), and read back the JSON line it prints last."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"


def pg(*statements: str) -> bool:
    """Run statements as the PostgreSQL superuser; False when there is no PostgreSQL here."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
            for s in statements:
                conn.execute(s)
    except Exception:  # noqa: BLE001 - any failure means: no PostgreSQL here
        return False
    return True


def run_in_child(script: str, db: str, pg_db: str, argv: list[str]) -> dict | None:
    """`script --child DB ARGV...` with its own database; its last stdout line, parsed. None
    (with a message) when PostgreSQL is asked for and not reachable."""
    env = dict(os.environ, SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50), DJANGO_SETTINGS_MODULE="hotline.settings", PYTHONPATH=str(ROOT / "src"))
    env.pop("DATABASE_URL", None)
    tmp = Path(tempfile.mkdtemp(prefix=f"hotline-{Path(script).stem}-{db}-"))
    env["HOTLINE_DATA_DIR"] = str(tmp)
    if db == "sqlite":
        env["HOTLINE_SQLITE_PATH"] = str(tmp / "bench.sqlite3")
    elif pg(f"DROP DATABASE IF EXISTS {pg_db} WITH (FORCE)", f"CREATE DATABASE {pg_db}"):
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{pg_db}"
    else:
        print("PostgreSQL is not reachable on 127.0.0.1:5432 as postgres: skipped.", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)
        return None
    try:
        out = subprocess.run([sys.executable, script, "--child", db, *argv], env=env, check=True,
                             stdout=subprocess.PIPE, text=True).stdout
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if db == "postgres":
            pg(f"DROP DATABASE IF EXISTS {pg_db} WITH (FORCE)")
    return json.loads(out.strip().splitlines()[-1])
