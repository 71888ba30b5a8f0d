"""One integer parser (orders.validation.as_int / as_id) for everything that reads an integer
from a request, a form, a file or a caller: 3.7 never quietly means 3, True never means 1,
"3.0" and "" are not numbers, and an id is positive."""

import pytest
from django.test import Client

from hotline.assessment.history import import_rows
from hotline.errors import NotFound
from hotline.orders import actions
from hotline.orders.validation import as_id, as_int
from hotline.triage import pipeline, services
from hotline.triage.models import DecisionKind, ReviewOutcome, TriageDecision
from tests.assessment.conftest import hist
from tests.conftest import make_order

REFUSED = [3.7, "3.7", "3.0", True, False, "", " ", "abc", "٣", "３", "1e3", [3], None, 2**63, "0x10"]


@pytest.mark.parametrize("value", REFUSED)
def test_it_refuses_what_is_not_a_whole_number(value):
    assert as_int(value) is None
    assert as_id(value) is None


def test_it_reads_whole_numbers_and_ids_are_positive():
    assert [as_int(v) for v in (3, "3", " 42 ", 3.0, "-2", "0")] == [3, 3, 42, 3, -2, 0]
    assert [as_id(v) for v in (3, "3", 0, "0", -1, "-5")] == [3, 3, None, None, None, None]
    assert as_int("7", minimum=1, maximum=5) is None


def test_the_intake_suggestion_does_not_read_a_fraction_as_an_area(district):
    make_order(district)  # another caller's order in 东湖 with the same text
    title, text = "东湖路路面塌陷", "东湖路与湖滨路交叉口路面塌陷约一平方米，存在安全隐患，请尽快处理。"
    area = district.areas["east-lake"].pk
    assert services.suggest(title, text, area_id=area)["duplicates"]  # the area is what finds it
    assert services.suggest(title, text, area_id=area + 0.7)["duplicates"] == []
    assert services.suggest(title, text, area_id=str(area) + ".0")["duplicates"] == []


def test_the_daily_review_does_not_read_a_fraction_as_a_decision_id(district):
    oid = make_order(district, category="私人合同纠纷", title="借款纠纷", description="朋友借款不还，我要去法院起诉他")
    pipeline.triage_order(oid)
    flag = TriageDecision.objects.filter(order_id=oid, kind=DecisionKind.FLAG).first()
    assert flag is not None
    with pytest.raises(NotFound):
        pipeline.review_decision(flag.pk + 0.5, actor=district.people["wangfang"], outcome=ReviewOutcome.ACCEPT)
    with pytest.raises(NotFound):
        pipeline.review_decision(str(flag.pk) + ".0", actor=district.people["wangfang"], outcome=ReviewOutcome.ACCEPT)
    assert TriageDecision.objects.get(pk=flag.pk).review_outcome == ""


@pytest.mark.parametrize("count", ["1.5", "1.0", "yes"])
def test_the_history_import_refuses_a_count_that_is_not_a_whole_number(district, count):
    summary = import_rows([hist("H1", "东湖街道办事处", redo_count=count)])
    assert summary.created == 0 and summary.errors and "应为整数" in summary.errors[0][1]


@pytest.mark.parametrize("page", ["3.7", "abc", "0", "-1", "1.0"])
def test_a_list_refuses_a_page_number_that_is_not_a_positive_whole_number(district, page):
    c = Client()
    c.force_login(district.people["chengang"])
    for url in ("/orders/", "/dispatch/"):
        resp = c.get(url, {"page": page})
        assert resp.status_code == 400, (url, page)
        assert "页码" in resp.content.decode()
    assert c.get("/orders/", {"page": "999"}).status_code == 200  # past the end: the last page


@pytest.mark.parametrize("days", ["3.0", "3.7", "True"])
def test_an_extension_of_a_fraction_of_days_is_refused_and_nothing_changes(district, days):
    oid = make_order(district)
    p = district.people
    actions.do_dispatch(oid, actor=p["chengang"], unit_id=district.units["street-a"].pk, note="按属地派单")
    actions.do_sign(oid, actor=p["liqiang"])
    c = Client()
    c.force_login(p["liqiang"])
    r = c.post(f"/api/orders/{oid}/actions/request_extension", data={"days": days, "reason": "需要协调施工单位排期施工"},
               content_type="application/json")
    assert 400 <= r.status_code < 500, r.content
    from hotline.orders.models import ExtensionRequest
    assert not ExtensionRequest.objects.filter(order_id=oid).exists()
