"""Every page with a month, from/to or day parameter reads it the same way (hotline.periods): a
bad one is a 400 that says what is wrong, in the user's language, never a report headed with
the bad month and filled with another period's figures."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from hotline import periods
from hotline.errors import InvalidInput

PERIOD_PAGES = ["/overview/", "/assessment/", "/assessment/gaming/", "/assessment/diagnostics/",
                "/assessment/gaps/", "/assessment/report/"]
BAD_MONTHS = ["2026-13", "2026-00", "2026-1", "abc", "2026-02-30", "２０２６-０３"]
BAD_RANGES = ["from=2026-02-30", "to=2026-13-01", "from=2026-03-01&to=2026-02-01", "from=2020-01-01&to=2026-01-01",
              "from=20260301", "from=2026-3-1"]


def _client(district, who="liudu"):
    c = Client()
    c.force_login(district.people[who])
    return c


@pytest.mark.parametrize("month", BAD_MONTHS)
def test_a_bad_month_is_a_clear_400_on_every_page(district, month):
    c = _client(district)
    for url in PERIOD_PAGES + [f"/assessment/unit/{district.units['street-a'].pk}/"]:
        resp = c.get(url, {"month": month})
        assert resp.status_code == 400, url
        page = resp.content.decode()
        assert "月份" in page and "无效" in page, url
        assert f"{month} 月度" not in page


@pytest.mark.parametrize("query", BAD_RANGES)
def test_a_bad_range_is_answered_the_same_on_every_page(district, query):
    c = _client(district)
    # (the monthly report takes only ?month=)
    answers = {url: (r.status_code, "请求有误" in r.content.decode()) for url in PERIOD_PAGES[:-1]
               if (r := c.get(f"{url}?{query}"))}
    assert set(answers.values()) == {(400, True)}, answers


def test_the_message_is_in_english_for_a_user_who_chose_english(district):
    c = _client(district)
    c.cookies["django_language"] = "en"
    resp = c.get("/assessment/report/", {"month": "2026-13"})
    assert resp.status_code == 400
    assert "2026-13" in resp.content.decode() and "无效" not in resp.content.decode()


def test_a_bad_day_is_a_400_on_the_warnings_and_the_daily_review(district):
    assert _client(district).get("/assessment/warnings/", {"as_of": "2026-02-30"}).status_code == 400
    assert _client(district, "chengang").get("/triage/review/", {"date": "yesterday"}).status_code == 400


def test_a_good_month_gives_that_month(district):
    resp = _client(district).get("/assessment/report/", {"month": "2024-02"})
    assert resp.status_code == 200
    assert (resp.context["first"], resp.context["last"]) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))


def test_empty_parameters_are_the_defaults():
    today = dt.date(2026, 3, 15)
    assert periods.period({"from": "", "to": "", "month": ""}, today=today) == (dt.date(2026, 3, 1), today)
    assert periods.period({}, today=today) == (dt.date(2026, 3, 1), today)
    assert periods.day_param({"as_of": " "}, "as_of") == timezone.localdate()


def test_the_parser_refuses_what_fromisoformat_would_read_differently():
    # Python 3.11's fromisoformat reads "20260301" and week dates; a page's period is YYYY-MM-DD.
    for bad in ["20260301", "2026-W10-1", "2026-03-01T00:00"]:
        with pytest.raises(InvalidInput):
            periods.parse_day(bad, "from")
    assert periods.parse_month("2026-12") == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
