"""The public disclosure (社会公示) at /public/stats/: figures equal to the assessment's own,
screened-out requests counted by reason without any identity, anonymous access with public
caching, bad months refused with a 404, CSV downloads neutralised, the cache following the
assessment's build mark, and the public host name serving nothing else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from hotline.assessment import indicators, stats
from hotline.orders import actions
from hotline.orders.models import WorkOrder
from hotline.public import disclosure
from tests.assessment.conftest import closed
from tests.conftest import make_order

FEW = {"min_sample": 2}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _this_month() -> tuple[dt.date, dt.date, str]:
    first = timezone.localdate().replace(day=1)
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return first, last, f"{first:%Y-%m}"


def _loop(district) -> None:
    """Two ranked streets (different satisfaction), one street below the minimum sample."""
    for _ in range(3):
        closed(district, "street-a")
    closed(district, "street-b", satisfaction="satisfied")
    closed(district, "street-b", resolved=False, satisfaction="unsatisfied")
    closed(district, "street-c", satisfaction="basic")


SCREENED = [
    {"reason": "malicious", "caller_name": "欧阳秘密", "caller_phone": "13911112222", "title": "骚扰诉求标题甲",
     "description": "这是一段不应公开的恶意诉求正文内容甲乙丙丁。"},
    {"reason": "malicious", "caller_name": "司马隐私", "caller_phone": "13933334444", "title": "骚扰诉求标题乙",
     "description": "这是另一段不应公开的恶意诉求正文内容戊己庚辛。"},
    {"reason": "repeat", "caller_name": "诸葛保密", "caller_phone": "13955556666", "title": "重复诉求标题丙",
     "description": "同一事项已有答复仍重复来电的诉求正文内容壬癸。"},
]


def _screen(district) -> list[WorkOrder]:
    out = []
    for s in SCREENED:
        data = dict(s)
        reason = data.pop("reason")
        oid = make_order(district, **data)
        actions.do_screen_out(oid, actor=district.people["chengang"], reason=reason, advice="请通过其他渠道反映。")
        out.append(WorkOrder.objects.get(pk=oid))
    return out


def test_a_months_figures_and_ranking_are_the_assessments_own(district, client, settings):
    settings.HOTLINE_ASSESSMENT = FEW
    _loop(district)
    first, last, slug = _this_month()
    data = disclosure.compute_month(first)
    theirs = indicators.overview(first, last)
    for key in ("received", "orders", "valid_callbacks", "response_rate", "resolution_rate", "satisfaction_rate",
                "reply_on_time"):
        assert data["district"][key] == theirs["district"][key], key
    assert data["district"]["valid_callbacks"] == 6
    ours = {u["unit"]: (u["rank"], u["small_sample"], u["composite"]) for g in data["groups"] for u in g["units"]}
    assessed = {r["unit"]: (r["rank"], r["small_sample"], r["composite"]) for r in theirs["units"]
                if r["orders"] or r["valid_callbacks"]}
    assert ours == assessed
    a, b, c = (district.units[k].name for k in ("street-a", "street-b", "street-c"))
    assert ours[a][0] == 1 and ours[b][0] == 2 and ours[c][0] is None and ours[c][1] is True

    response = client.get(f"/public/stats/{slug}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert disclosure.pct(theirs["district"]["resolution_rate"]) in html
    assert disclosure.pct(theirs["district"]["reply_on_time"]) in html
    assert "样本不足" in html and "本月进行中" in html
    # the row of the unit below the minimum sample has no rank
    row_c = html[html.index(c) - 200:html.index(c)]
    assert "样本不足" in row_c


def test_screened_out_requests_are_counted_by_reason_without_any_identity(district, client):
    orders = _screen(district)
    closed(district, "street-a")
    _first, _last, slug = _this_month()
    html = client.get(f"/public/stats/{slug}/").content.decode()
    csv = client.get(f"/public/stats/{slug}/screened.csv").content.decode("utf-8-sig")
    lines = {line.split(",")[1]: line.split(",")[-1].strip() for line in csv.splitlines()[1:]}
    assert lines["malicious"] == "2" and lines["repeat"] == "1" and lines["litigation"] == "0"
    assert "恶意或辱骂性诉求" in html
    others = "".join(client.get(f"/public/stats/{slug}/{name}.csv").content.decode("utf-8-sig")
                     for name in ("figures", "rankings"))
    for order in orders:
        for secret in (order.caller_name, order.caller_phone, order.title, order.description, order.number):
            assert secret and secret not in html and secret not in csv and secret not in others, secret


def test_anonymous_visitors_get_every_page_without_login_and_cacheable(district, client):
    closed(district, "street-a")
    _first, _last, slug = _this_month()
    for url in ("/public/stats/", f"/public/stats/{slug}/", f"/public/stats/{slug}/figures.csv",
                f"/public/stats/{slug}/rankings.csv", f"/public/stats/{slug}/screened.csv"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Location" not in response.headers and "/login/" not in response.headers.get("Location", "")
        assert "public" in response["Cache-Control"] and "max-age=" in response["Cache-Control"], url
    assert client.get(f"/public/stats/{slug}/figures.csv")["Content-Type"].startswith("text/csv")
    index = client.get("/public/stats/").content.decode()
    assert f'href="/public/stats/{slug}/"' in index and "本月进行中" in index


def test_a_signed_in_users_copy_is_private(district, client):
    closed(district, "street-a")
    client.force_login(district.people["chengang"])
    response = client.get(f"/public/stats/{_this_month()[2]}/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("month", ["2026-13", "0000-01", "99999-01", "..", "%2e%2e", "2026-1", "2026-00",
                                   "abc", "1999-12", "2026-02-01", "２０２６-０１", "2026-1\n"])
def test_bad_months_are_a_404_in_chinese(district, client, month):
    closed(district, "street-a")
    for url in (f"/public/stats/{month}/", f"/public/stats/{month}/figures.csv"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "没有这个月份的公示" in response.content.decode()


def test_future_months_and_months_before_the_first_order_are_a_404(district, client):
    closed(district, "street-a")
    first, _last, _slug = _this_month()
    after = (first + dt.timedelta(days=40)).replace(day=1)
    before = (first - dt.timedelta(days=1)).replace(day=1)
    assert client.get(f"/public/stats/{after:%Y-%m}/").status_code == 404
    assert client.get(f"/public/stats/{before:%Y-%m}/").status_code == 404
    assert client.get(f"/public/stats/{before:%Y-%m}/rankings.csv").status_code == 404
    assert client.get("/public/stats/../").status_code == 404


def test_no_month_is_disclosed_without_orders(db, client):
    response = client.get("/public/stats/")
    assert response.status_code == 200 and "暂无可公示的数据" in response.content.decode()
    assert client.get(f"/public/stats/{_this_month()[2]}/").status_code == 404


def test_a_unit_name_that_is_a_formula_is_neutralised_in_the_csv(district, client, settings):
    settings.HOTLINE_ASSESSMENT = FEW
    unit = district.units["street-a"]
    unit.name = '=HYPERLINK("http://evil.example","点击")'
    unit.save()
    closed(district, "street-a")
    closed(district, "street-a")
    raw = client.get(f"/public/stats/{_this_month()[2]}/rankings.csv").content
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert ',=HYPERLINK' not in text and ',"=HYPERLINK' not in text


def test_a_cached_page_costs_at_most_a_couple_of_queries(district, client, django_assert_max_num_queries):
    _loop(district)
    url = f"/public/stats/{_this_month()[2]}/"
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as uncached:
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(2):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(2):
        assert client.get(url + "rankings.csv").status_code == 200
    with django_assert_max_num_queries(2):
        assert client.get("/public/stats/").status_code == 200
    assert len(uncached.captured_queries) > 2


def test_the_cache_follows_the_assessments_build_mark(district, client):
    closed(district, "street-a")
    first, _last, slug = _this_month()
    before = disclosure.month_figures(first, disclosure._stamp())
    assert before["district"]["valid_callbacks"] == 1
    closed(district, "street-b")
    # Same build mark: the cached copy (within its time to live).
    assert disclosure.month_figures(first, disclosure._stamp())["district"]["valid_callbacks"] == 1
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    stats.rebuild(yesterday - dt.timedelta(days=3), yesterday)
    assert disclosure.month_figures(first, disclosure._stamp())["district"]["valid_callbacks"] == 2
    assert ">2<" in client.get(f"/public/stats/{slug}/").content.decode().replace(" ", "")


def test_the_months_are_listed_newest_first_with_the_current_one_marked():
    today = dt.date(2026, 3, 15)
    months = [dt.date(2026, 3, 1), dt.date(2026, 2, 1), dt.date(2026, 1, 1), dt.date(2025, 12, 1)]
    assert disclosure.parse_month("2026-03", today=today) == months[0]
    assert disclosure.parse_month("2026-04", today=today) is None
    assert disclosure.parse_month("2025-12", today=today) == months[3]


# ---- the public host name -------------------------------------------------------------------------------------


@pytest.fixture
def public_host(settings):
    settings.HOTLINE_PUBLIC_HOSTS = ["citizen.example.gov.cn"]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "citizen.example.gov.cn"]
    return "citizen.example.gov.cn"


@pytest.mark.parametrize("path", ["/login/", "/admin/", "/admin/login/", "/api/docs", "/api/v1/orders", "/orders/",
                                  "/triage/stats/", "/assessment/", "/tokens/", "/open311/", "/media/x.jpg",
                                  "/publicx/", "/PUBLIC/stats/"])
def test_the_public_host_serves_nothing_of_the_staff_side(district, client, public_host, path):
    response = client.get(path, HTTP_HOST=public_host)
    assert response.status_code == 404, path
    assert "页面不存在" in response.content.decode()
    assert client.get(path, HTTP_HOST=f"{public_host}:8443").status_code == 404


def test_the_public_host_serves_the_public_part(district, client, public_host):
    closed(district, "street-a")
    assert client.get("/public/stats/", HTTP_HOST=public_host).status_code == 200
    assert client.get(f"/public/stats/{_this_month()[2]}/", HTTP_HOST=public_host).status_code == 200
    root = client.get("/", HTTP_HOST=public_host)
    assert root.status_code == 302 and root["Location"] == "/public/"
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/public/stats/"}, HTTP_HOST=public_host)
    assert switched.status_code == 302 and switched["Location"] == "/public/stats/"
    # The staff host name is untouched.
    assert client.get("/login/").status_code == 200


def test_without_public_hosts_nothing_is_restricted(district, client, settings):
    settings.HOTLINE_PUBLIC_HOSTS = []
    assert client.get("/login/").status_code == 200


def test_a_past_month_from_the_history_and_the_built_aggregates(district, client, settings):
    from hotline.assessment.history import import_rows
    from tests.assessment.conftest import hist

    settings.HOTLINE_ASSESSMENT = FEW
    street, other = district.units["street-a"].name, district.units["street-b"].name
    rows = [hist(f"H{i}", street, f"2023-07-{3 + i:02d}") for i in range(3)]
    rows += [hist("H9", other, "2023-07-10", resolved=False, satisfaction="不满意"),
             hist("H8", other, "2023-07-11")]
    assert not import_rows(rows).errors
    stats.rebuild(dt.date(2023, 7, 1), dt.date(2023, 8, 31))
    data = disclosure.month_figures(dt.date(2023, 7, 1), disclosure._stamp())
    assert data["live"] is False
    theirs = indicators.overview(dt.date(2023, 7, 1), dt.date(2023, 7, 31))
    assert data["district"]["valid_callbacks"] == theirs["district"]["valid_callbacks"] == 5
    assert data["district"]["satisfaction_rate"] == theirs["district"]["satisfaction_rate"]
    ranks = {u["unit"]: u["rank"] for g in data["groups"] for u in g["units"]}
    assert ranks == {street: 1, other: 2}

    response = client.get("/public/stats/2023-07/")
    assert response.status_code == 200 and "本月进行中" not in response.content.decode()
    assert f"max-age={disclosure.MAX_AGE_PAST}" in response["Cache-Control"]
    index = client.get("/public/stats/").content.decode()
    assert index.index('href="/public/stats/2023-08/"') < index.index('href="/public/stats/2023-07/"')
    assert client.get("/public/stats/2023-06/").status_code == 404

    # A later history import into that month moves the build mark: the page follows.
    assert not import_rows([hist("H7", street, "2023-07-20", resolved=False, satisfaction="不满意")]).errors
    data = disclosure.month_figures(dt.date(2023, 7, 1), disclosure._stamp())
    assert data["district"]["valid_callbacks"] == 6 and data["live"] is True


def test_query_counts_are_printed_for_the_report(district, client, capsys):
    """Not a timing: the number of queries of an uncached and a cached month page, printed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _loop(district)
    _screen(district)
    url = f"/public/stats/{_this_month()[2]}/"
    with CaptureQueriesContext(connection) as uncached:
        client.get(url)
    with CaptureQueriesContext(connection) as cached:
        client.get(url)
    with capsys.disabled():
        print(f"\nqueries: uncached month page {len(uncached.captured_queries)}, cached {len(cached.captured_queries)}")
    assert len(cached.captured_queries) < len(uncached.captured_queries)
