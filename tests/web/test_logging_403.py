"""A refused page is logged as one line (method, path, user, status), without a traceback: a 403
is the rule working, not a fault."""

from __future__ import annotations

import logging

from django.test import Client


def _refusals(caplog):
    return [r for r in caplog.records if r.name == "django.request" and getattr(r, "status_code", None) == 403]


def test_a_refused_page_is_logged_in_one_line_without_a_traceback(district, caplog):
    c = Client()
    c.force_login(district.people["liqiang"])
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert c.get("/dispatch/?tab=overdue").status_code == 403
    [record] = _refusals(caplog)
    assert record.exc_info is None
    line = record.getMessage()
    assert "GET" in line and "/dispatch/?tab=overdue" in line and "liqiang" in line and "403" in line
    assert "\n" not in caplog.text.strip()
    assert "Traceback" not in caplog.text


def test_other_errors_keep_their_traceback(district, caplog):
    # Only 403s are shortened: a 404 or a 500 is still logged the way Django logs it.
    c = Client()
    c.force_login(district.people["liqiang"])
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert c.get("/orders/999999/").status_code == 404
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage().startswith("Not Found")
