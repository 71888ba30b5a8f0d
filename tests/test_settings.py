"""The settings read from the environment: no published secret key, strict booleans and numbers,
security headers, and `hotline check --deploy` clean in the README's production configuration.
Each case imports the settings in a fresh subprocess with its own environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[1] / "src")
KEY = "a-test-key-" + "z" * 50


def run_python(code: str, tmp_path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "SECRET_KEY_FILE", "DEBUG", "HOTLINE_HTTPS", "DATABASE_URL",
                                                   # set by the browser tests (playwright in this process)
                                                   "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    base.update(PYTHONPATH=SRC, HOTLINE_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="hotline.settings", **env)
    return subprocess.run([sys.executable, "-c", code], env=base, capture_output=True, text=True, timeout=120)


def settings_value(name: str, tmp_path, **env: str) -> subprocess.CompletedProcess:
    return run_python(f"from hotline import settings as s; print(repr(s.{name}))", tmp_path, **env)


def test_it_refuses_to_start_without_a_secret_key_outside_debug(tmp_path):
    result = settings_value("SECRET_KEY", tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY is not set" in result.stderr


def test_it_refuses_an_empty_secret_key(tmp_path):
    result = settings_value("SECRET_KEY", tmp_path, SECRET_KEY="")
    assert "SECRET_KEY is not set" in result.stderr


def test_it_reads_the_key_from_secret_key_file(tmp_path):
    (tmp_path / "secret_key").write_text(KEY + "\n")
    result = settings_value("SECRET_KEY", tmp_path, SECRET_KEY_FILE=str(tmp_path / "secret_key"))
    assert result.stdout.strip() == repr(KEY)


def test_debug_runs_without_a_key_on_no_published_value(tmp_path):
    result = settings_value("SECRET_KEY", tmp_path, DEBUG="true")
    assert result.returncode == 0
    assert "dev-only-insecure-key" not in result.stdout


@pytest.mark.parametrize("value,expected", [("1", True), ("TRUE", True), ("yes", True), ("On", True),
                                            ("0", False), ("false", False), ("No", False), ("off", False)])
def test_envbool_reads_the_usual_spellings(tmp_path, value, expected):
    result = settings_value("DEBUG", tmp_path, SECRET_KEY=KEY, DEBUG=value)
    assert result.stdout.strip() == repr(expected)


@pytest.mark.parametrize("name", ["DEBUG", "HOTLINE_HTTPS"])
def test_envbool_refuses_a_value_it_cannot_read(tmp_path, name):
    result = settings_value("DEBUG", tmp_path, SECRET_KEY=KEY, **{name: "ture"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and f"{name}='ture'" in result.stderr


def test_envint_refuses_garbage_naming_the_variable(tmp_path):
    result = settings_value("HOTLINE_DUE_SOON_HOURS", tmp_path, SECRET_KEY=KEY, HOTLINE_DUE_SOON_HOURS="four")
    assert "ImproperlyConfigured" in result.stderr and "HOTLINE_DUE_SOON_HOURS='four'" in result.stderr


def test_envfloat_refuses_garbage_naming_the_variable(tmp_path):
    result = settings_value("HOTLINE_AUTO_DISPATCH_CONFIDENCE", tmp_path, SECRET_KEY=KEY,
                            HOTLINE_AUTO_DISPATCH_CONFIDENCE="high")
    assert "ImproperlyConfigured" in result.stderr and "HOTLINE_AUTO_DISPATCH_CONFIDENCE='high'" in result.stderr


def test_https_turns_on_hsts_and_secure_cookies(tmp_path):
    code = ("from hotline import settings as s; "
            "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)")
    result = run_python(code, tmp_path, SECRET_KEY=KEY, HOTLINE_HTTPS="true")
    assert result.stdout.split() == ["31536000", "True", "True", "True"]
    result = run_python("from hotline import settings as s; print(hasattr(s, 'SECURE_HSTS_SECONDS'))", tmp_path, SECRET_KEY=KEY)
    assert result.stdout.strip() == "False"


PRODUCTION = {  # the README's production configuration ("Running it for real")
    "SECRET_KEY": "prod-" + "q7Xr2" * 12,
    "DEBUG": "false",
    "HOTLINE_HTTPS": "true",
    "ALLOWED_HOSTS": "hotline.example.gov.cn",
    "CSRF_TRUSTED_ORIGINS": "https://hotline.example.gov.cn",
}


def test_check_deploy_is_clean_in_the_production_configuration(tmp_path):
    result = run_python("from hotline.cli import main; main(['hotline', 'check', '--deploy', '--fail-level', 'WARNING'])",
                        tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "WARNINGS" not in result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_pages_carry_a_strict_content_security_policy(client, people):
    client.force_login(people["liudu"])
    response = client.get("/overview/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    # The page's one inline script carries the nonce the policy names.
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in response.content.decode()
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.replace("style-src-attr 'unsafe-inline'", "")
    assert response["Referrer-Policy"] == "same-origin"
