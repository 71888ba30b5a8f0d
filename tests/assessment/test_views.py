"""Assessment pages: who may see what (no permission / permitted / out of scope), exports,
subscriptions, and the `assess` command."""

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from hotline.assessment.models import StatsBuild, Subscription, UnitDayStats
from tests.assessment.conftest import closed

PAGES = ["/assessment/", "/assessment/gaming/", "/assessment/warnings/", "/assessment/diagnostics/",
         "/assessment/gaps/", "/assessment/report/?month=2023-07"]


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def data(district):
    closed(district, "street-a")
    closed(district, "street-b", resolved=False, satisfaction="basic", area="west-city")
    return district


def test_anonymous_users_are_sent_to_log_in(data):
    for url in PAGES:
        assert Client().get(url).status_code == 302


def test_roles_without_assessment_get_403(data):
    agent = _client(data.people["wangfang"])
    for url in PAGES + [f"/assessment/unit/{data.units['street-a'].pk}/"]:
        assert agent.get(url).status_code == 403, url


def test_a_supervisor_sees_every_page(data):
    c = _client(data.people["liudu"])
    for url in PAGES + [f"/assessment/unit/{data.units['street-b'].pk}/?lost=resolution"]:
        resp = c.get(url)
        assert resp.status_code == 200, url
    page = c.get("/assessment/").content.decode()
    assert "东湖街道办事处" in page and "西城街道办事处" in page
    assert "vendor/chart-4.6.1.umd.min.js" in page


@pytest.mark.parametrize("who", ["chengang", "zhoushen", "admin"])
def test_other_district_roles_see_the_district(data, who):
    c = _client(data.people[who])
    assert c.get("/assessment/").status_code == 200
    assert c.get(f"/assessment/unit/{data.units['street-b'].pk}/").status_code == 200
    assert c.get("/assessment/gaps/").status_code == 200


def test_a_unit_sees_only_its_own_figures(data):
    c = _client(data.people["liqiang"])
    own = data.units["street-a"].pk
    resp = c.get("/assessment/")
    assert resp.status_code == 302 and resp["Location"].endswith(f"/assessment/unit/{own}/")
    assert c.get(f"/assessment/unit/{own}/").status_code == 200
    assert c.get(f"/assessment/unit/{data.units['street-b'].pk}/").status_code == 403
    assert c.get("/assessment/gaps/").status_code == 403
    diag = c.get("/assessment/diagnostics/?format=csv").content.decode("utf-8-sig")
    assert "东湖街道办事处" in diag and "西城街道办事处" not in diag


def test_the_orders_behind_lost_points_are_one_click_away(data):
    c = _client(data.people["liudu"])
    b = data.units["street-b"].pk
    page = c.get(f"/assessment/unit/{b}/?lost=resolution").content.decode()
    from hotline.orders.models import WorkOrder
    number = WorkOrder.objects.get(lead_unit_id=b).number
    assert number in page
    assert number not in c.get(f"/assessment/unit/{b}/?lost=response").content.decode()


def test_tables_export_to_csv_with_bom_and_to_excel(data):
    c = _client(data.people["liudu"])
    resp = c.get("/assessment/?format=csv")
    assert resp["Content-Type"].startswith("text/csv")
    assert resp.content.startswith(b"\xef\xbb\xbf")
    text = resp.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("组内排名,单位类型,单位")
    assert "西城街道办事处" in text
    resp = c.get("/assessment/?table=categories&format=xlsx")
    from openpyxl import load_workbook
    ws = load_workbook(io.BytesIO(resp.content)).active
    assert ws["A1"].value == "诉求类别"
    assert ws["A2"].value == "城乡建设"
    for url in ["/assessment/gaming/?format=xlsx", "/assessment/warnings/?format=csv", "/assessment/gaps/?format=csv",
                "/assessment/?table=areas&format=csv", "/assessment/?table=groups&format=xlsx"]:
        assert c.get(url).status_code == 200, url


def test_a_supervisor_subscribes_and_unsubscribes_to_a_warning_rule(data):
    boss = data.people["liudu"]
    c = _client(boss)
    assert c.post("/assessment/warnings/subscribe/", {"rule": "redo_jump", "on": "1"}).status_code == 302
    assert list(Subscription.objects.filter(user=boss).values_list("rule", flat=True)) == ["redo_jump"]
    assert c.post("/assessment/warnings/subscribe/", {"rule": "bogus"}).status_code == 400
    c.post("/assessment/warnings/subscribe/", {"rule": "redo_jump", "on": "0"})
    assert not Subscription.objects.filter(user=boss).exists()
    assert _client(data.people["wangfang"]).post("/assessment/warnings/subscribe/", {"rule": "redo_jump"}).status_code == 403


def test_a_bad_period_is_refused_instead_of_showing_another_periods_figures(data):
    c = _client(data.people["liudu"])
    for q in ["?from=2023-13-01", "?month=abc", "?from=2024-02-01&to=2023-01-01"]:
        resp = c.get("/assessment/" + q)
        assert resp.status_code == 400, q
        assert "请求有误" in resp.content.decode()


def test_the_assess_command_rebuilds_and_prints_one_json_object_per_unit(data):
    out = io.StringIO()
    call_command("assess", "--rebuild", stdout=out)
    assert "已重算" in out.getvalue()
    assert not StatsBuild.objects.exists()  # everything happened today: nothing to store yet
    today = timezone.localdate().isoformat()
    out = io.StringIO()
    call_command("assess", "--from", today, "--to", today, "--json", stdout=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {r["unit"] for r in rows} == {"东湖街道办事处", "西城街道办事处"}
    b = next(r for r in rows if r["unit"] == "西城街道办事处")
    assert b["satisfaction_rate"] == 0.9 and b["resolution_rate"] == 0.0 and b["gaming"] == []
    assert not UnitDayStats.objects.filter(day=timezone.localdate()).exists()  # today stays live


@pytest.mark.parametrize("bad", ["20230701", "2023-02-30", "2023-W27-1"])
def test_the_assess_command_reads_dates_as_the_pages_do(data, bad):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("assess", "--from", bad, stdout=io.StringIO())
