"""The daily review page and the published statistics: who may see them, and the buttons."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from hotline.orders.models import WorkOrder
from hotline.orders.states import State
from hotline.triage import pipeline
from hotline.triage.models import DecisionKind, TriageDecision
from tests.conftest import make_order


def _flagged(district) -> TriageDecision:
    oid = make_order(district, category="私人合同纠纷", title="借款纠纷", description="朋友借款不还，我要去法院起诉他")
    pipeline.triage_order(oid)
    return TriageDecision.objects.get(order_id=oid, kind=DecisionKind.FLAG, code="litigation")


def test_the_review_page_is_for_agents_dispatchers_and_supervisors_only(district, client):
    flag = _flagged(district)
    today = timezone.localdate().isoformat()
    for username in ("wangfang", "chengang", "liudu"):
        client.force_login(district.people[username])
        page = client.get(f"/triage/review/?date={today}")
        assert page.status_code == 200 and flag.order.number in page.content.decode()
    for username in ("liqiang", "zhoushen", "sunhui"):
        client.force_login(district.people[username])
        assert client.get("/triage/review/").status_code == 403
        assert client.post(f"/triage/review/{flag.pk}/", {"outcome": "accept"}).status_code == 403
    client.logout()
    assert client.get("/triage/review/").status_code == 302


def test_another_day_shows_that_days_decisions(district, client):
    flag = _flagged(district)
    client.force_login(district.people["wangfang"])
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert flag.order.number not in client.get(f"/triage/review/?date={yesterday}").content.decode()
    assert client.get("/triage/review/?date=not-a-date").status_code == 400  # as every page (hotline.periods)


def test_accepting_a_flag_by_htmx_screens_the_order_out_and_returns_the_row(district, client):
    flag = _flagged(district)
    client.force_login(district.people["wangfang"])
    row = client.post(f"/triage/review/{flag.pk}/", {"outcome": "accept", "advice": "请向人民法院起诉或申请人民调解。"},
                      HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and f'id="decision-{flag.pk}"' in row.content.decode()
    assert WorkOrder.objects.get(pk=flag.order_id).state == State.SCREENED_OUT


def test_accepting_without_advice_shows_the_error_and_changes_nothing(district, client):
    flag = _flagged(district)
    client.force_login(district.people["wangfang"])
    row = client.post(f"/triage/review/{flag.pk}/", {"outcome": "accept", "advice": ""}, HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and "理由" in row.content.decode()
    flag.refresh_from_db()
    assert flag.review_outcome == "" and WorkOrder.objects.get(pk=flag.order_id).state == State.RECEIVED


def test_correcting_a_flag_keeps_the_order_and_counts_as_overridden(district, client):
    flag = _flagged(district)
    client.force_login(district.people["chengang"])
    response = client.post(f"/triage/review/{flag.pk}/", {"outcome": "correct", "note": "普通咨询，非诉讼"})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.review_outcome == "correct" and flag.correction["note"] == "普通咨询，非诉讼"
    assert WorkOrder.objects.get(pk=flag.order_id).state == State.RECEIVED
    row = next(r for r in pipeline.flag_statistics() if r["code"] == "litigation")
    assert (row["flagged"], row["confirmed"], row["overridden"]) == (1, 0, 1)


def test_the_statistics_page_and_csv(district, client):
    _flagged(district)
    client.force_login(district.people["liudu"])
    page = client.get("/triage/stats/")
    assert page.status_code == 200 and "诉讼、仲裁等法定途径事项" in page.content.decode()
    download = client.get("/triage/stats/?format=csv")
    assert download["Content-Type"].startswith("text/csv")
    lines = download.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 2 and lines[1].endswith(",1,0,0,0")


def test_correcting_an_automatic_merge_on_the_page_undoes_it(district, client):
    text = "东湖路与湖滨路交叉口路面塌陷，有一个大坑，很危险"
    first = make_order(district, description=text, caller_phone="13911110000")
    pipeline.triage_order(first)
    second = make_order(district, description=text + "，请尽快处理", caller_phone="13911110001")
    pipeline.triage_order(second)
    merge = TriageDecision.objects.get(order_id=second, kind=DecisionKind.MERGED)
    client.force_login(district.people["chengang"])
    page = client.get(f"/triage/review/?date={timezone.localdate().isoformat()}").content.decode()
    assert "纠正即撤销合并" in page
    row = client.post(f"/triage/review/{merge.pk}/", {"outcome": "correct", "note": "另一处塌陷，在湖滨路北段"},
                      HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and "纠正即撤销合并" not in row.content.decode()
    order = WorkOrder.objects.get(pk=second)
    assert order.state == State.RECEIVED and order.main_order_id is None


def test_a_classification_shows_its_confidence_and_words_once(district, client, category_model):
    oid = make_order(district, category=None, title="路灯", description="东湖路路灯坏了，晚上没有照明")
    pipeline.triage_order(oid)
    decision = TriageDecision.objects.get(order_id=oid, kind=DecisionKind.CLASSIFIED)
    client.force_login(district.people["chengang"])
    html = client.get(f"/triage/review/?date={timezone.localdate().isoformat()}").content.decode()
    row = html[html.index(f'id="decision-{decision.pk}"'):]
    row = row[:row.index("</tr>")]
    # The confidence in its own column, the words on their own line: neither again in the reason.
    assert row.count(f"{decision.confidence:.2f}") == 1 and "置信度" not in row
    assert row.count("依据词") == 1 and "关键词" not in row


def test_a_flag_is_shown_by_its_name_not_its_code(district, client):
    flag = _flagged(district)
    client.force_login(district.people["wangfang"])
    html = client.get(f"/triage/review/?date={timezone.localdate().isoformat()}").content.decode()
    row = html[html.index(f'id="decision-{flag.pk}"'):]
    row = row[:row.index("</tr>")]
    assert "诉讼、仲裁等法定途径事项" in row and ">litigation<" not in row
