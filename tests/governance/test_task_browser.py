"""A governance task's life in a real browser: from a hotspot to a task, its measure, the unit's
progress with evidence, the effect against the other areas, submission and assessment; no
Content Security Policy violation and nothing loaded from outside the app."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.orders.files import png
from tests.web.test_browser_loop import login, page  # noqa: F401  (the page fixture)

from .data import WATER

pytestmark = pytest.mark.browser


def _history(district, now):
    """Six calls about one burst main (the hotspot), and twelve weeks before and after the task's
    start of calls about water cuts: in east-lake 60 then 20, in the other areas 90 then 90."""
    from hotline.orders.actions import HistoryRecord, do_import_history

    units = {"east-lake": "street-a", "west-city": "street-b", "south-park": "street-c", "north-hill": "town-d"}
    rnd = random.Random(7)
    rows = []
    burst = now - dt.timedelta(days=3)
    for n in range(6):
        rows.append(HistoryRecord(
            number=f"W{n:05d}", received_at=burst + dt.timedelta(minutes=20 * n), title=WATER[n], description=WATER[n],
            unit=district.units["water"], area=district.areas["east-lake"], address="东湖路与湖滨路交叉口",
            category=district.categories["停水"], caller_phone=f"1350000{n:04d}", closed_at=burst + dt.timedelta(days=1)))
    start = now - dt.timedelta(days=84)
    for area, (before, after) in {"east-lake": (60, 20), "west-city": (30, 30), "south-park": (30, 30),
                                  "north-hill": (30, 30)}.items():
        for k in range(before + after):
            at = start - dt.timedelta(days=84) + dt.timedelta(seconds=rnd.uniform(0, 84 * 86400)) if k < before \
                else start + dt.timedelta(seconds=rnd.uniform(0, 80 * 86400))
            rows.append(HistoryRecord(
                number=f"E{area[:2]}{k:05d}", received_at=at, title=f"{district.areas[area].name}小区停水",
                description="家里停水了，没有通知", unit=district.units[units[area]], area=district.areas[area],
                category=district.categories["停水"], caller_phone=f"137{k:08d}", closed_at=at + dt.timedelta(days=1)))
    do_import_history(rows, actor=district.people["admin"])


@pytest.mark.django_db(transaction=True)
def test_a_task_from_a_hotspot_to_its_effect(live_server, page):  # noqa: F811
    from hotline.demo.district import build_district
    from hotline.directory.models import User
    from hotline.governance.models import GovernanceTask, Hotspot

    district = build_district(password="pw")
    now = timezone.now()
    _history(district, now)
    call_command("hotspots", "--from", (now - dt.timedelta(days=10)).date().isoformat(), "--to",
                 now.date().isoformat(), stdout=io.StringIO())
    hotspot = Hotspot.objects.filter(label__in=WATER).get()
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda err: violations.append(str(err)))

    # the supervisor turns the hotspot into a task, prefilled from it
    login(page, live_server, "liudu")
    page.goto(f"{live_server.url}/governance/hotspots/{hotspot.root_order_id}/")
    page.get_by_role("link", name="立为治理任务").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("input[name=title]").input_value() == hotspot.label
    page.fill("input[name=target_reduction]", "50")
    page.fill("input[name=target_weeks]", "12")
    page.get_by_role("button", name="立项").click()
    page.wait_for_load_state("networkidle")
    task = GovernanceTask.objects.get()
    assert page.locator(".task-state").inner_text() == "拟定中"
    # a measure for the lead unit, then the work starts
    page.fill(".measure-form input[name=text]", "排查东湖路老旧供水管网并更换")
    page.select_option(".measure-form select[name=owner]", str(task.lead_unit_id))
    page.fill(".measure-form input[name=due_on]", (timezone.localdate() + dt.timedelta(days=20)).isoformat())
    page.get_by_role("button", name="增加").click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="启动治理").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".task-state").inner_text() == "治理中"

    # the lead unit reports its progress with a photo and marks the measure done
    handler = User.objects.filter(unit_id=task.lead_unit_id, role="handler").first()
    login(page, live_server, handler.username)
    page.goto(f"{live_server.url}/governance/tasks/{task.pk}/")
    page.fill(".report-form textarea[name=text]", "已更换东湖路供水管道300米")
    page.set_input_files(".report-form input[name=file]", files=[{"name": "现场.png", "mimeType": "image/png",
                                                                   "buffer": png()}])
    page.get_by_role("button", name="报告进展").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("link", name="现场.png").is_visible()
    page.get_by_role("button", name="措施完成").click()
    page.wait_for_load_state("networkidle")
    assert "按时完成" in page.locator(".measure-state").inner_text()

    # twelve weeks later (the start moved back): the calls fell in east-lake only, so it is credited
    GovernanceTask.objects.filter(pk=task.pk).update(started_at=now - dt.timedelta(days=84))
    login(page, live_server, "liudu")
    page.goto(f"{live_server.url}/governance/tasks/{task.pk}/")
    assert "计入治理成效" in page.locator(".effect-verdict").inner_text()
    assert page.locator(".effect-change").inner_text().startswith("-")
    page.fill("textarea[name=note]", "管网更换完成，观察期满")
    page.get_by_role("button", name="申请结项评估").click()
    page.wait_for_load_state("networkidle")
    page.check("input[name=verdict][value=met]")
    page.locator("form", has=page.locator("input[name=verdict]")).locator("textarea[name=note]").fill("来电下降超过目标")
    page.get_by_role("button", name="评估结项").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".task-state").inner_text() == "已结项"
    assert "留痕完整" in page.content()
    task.refresh_from_db()
    assert task.state == "closed" and task.verdict == "met"
    assert list(task.events.values_list("action", flat=True)) == [
        "create", "add_measure", "start", "report", "complete_measure", "submit", "assess"]
    assert violations == [] and page.outside_requests == []
