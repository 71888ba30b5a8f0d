"""The menus: which pages to offer a person. A page is offered when its view would open for them:
the roles come from the view's own `roles_required` (views.common), so a link and its page cannot
disagree. A view without roles is open to everyone logged in."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.urls import resolve, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Entry:
    view: str  # URL name
    label: Any
    keeps_query: bool = False  # the assessment pages carry the chosen period from one to the next


MAIN_MENU = [
    Entry("web:intake", _("受理")),
    Entry("web:dispatch", _("派单")),
    Entry("web:inbox", _("本单位工单")),
    Entry("web:review", _("审核")),
    Entry("web:callback", _("回访")),
    Entry("assessment:rechecks", _("复核回访")),
    Entry("web:verify", _("核验")),
    Entry("web:proactive_new", _("未诉先办")),
    Entry("web:orders", _("工单查询")),
    Entry("web:unreasonable", _("不合理诉求")),
    Entry("web:marks", _("来电人标记")),
    Entry("web:appeals", _("申诉")),
    Entry("web:supervision", _("督办件")),
    Entry("web:overview", _("总览")),
    Entry("web:deadlines", _("答复时限")),
    Entry("triage:review", _("甄别复核")),
    Entry("assessment:overview", _("考核评估")),
    Entry("governance:hotspots", _("热点")),
    Entry("governance:seasonal", _("季节性规则")),
    Entry("governance:map", _("区域地图")),
    Entry("governance:tasks", _("专项治理")),
    Entry("outbox:failed", _("外发异常")),
    Entry("notify:mine", _("通知")),
]
ASSESSMENT_MENU = [
    Entry("assessment:overview", _("考核总览"), keeps_query=True),
    Entry("assessment:gaming", _("刷分核查"), keeps_query=True),
    Entry("assessment:rechecks", _("复核回访"), keeps_query=True),
    Entry("assessment:warnings", _("预警")),
    Entry("assessment:diagnostics", _("负能诊断"), keeps_query=True),
    Entry("assessment:review_reasons", _("驳回理由"), keeps_query=True),
    Entry("assessment:gaps", _("制度空白"), keeps_query=True),
    Entry("assessment:rules", _("清单回头看"), keeps_query=True),
    Entry("assessment:rule_changes", _("清单修改建议")),
    Entry("assessment:report", _("月度报告")),
    Entry("assessment:consequences", _("奖惩记录"), keeps_query=True),
]


def may_open(user: Any, view_name: str) -> bool:
    """Whether the page named `view_name` opens for `user` (by the view's own roles)."""
    if not getattr(user, "is_authenticated", False):
        return False
    roles = _roles_of(view_name)
    return roles is None or getattr(user, "role", None) in roles


@cache  # the URLconf does not change while the process runs
def _roles_of(view_name: str) -> frozenset[str] | None:
    return getattr(resolve(reverse(view_name)).func, "roles", None)


def menu(entries: list[Entry], user: Any, current: str, query: str = "") -> list[dict[str, Any]]:
    """The entries `user` may open, as links; `current` (the page's view name) is marked active."""
    out = []
    for e in entries:
        if not may_open(user, e.view):
            continue
        url = reverse(e.view)
        if e.keeps_query and query:
            url = f"{url}?{query}"
        active = current == e.view or (e.view == "assessment:overview" and entries is MAIN_MENU
                                       and current.startswith("assessment:"))
        out.append({"url": url, "label": e.label, "active": active})
    return out
