"""Assessment pages. Login required; district roles (supervisor, dispatcher, reviewer, admin)
see the district, a unit's people see only their own unit, everyone else gets 403. Every
table page exports with ?format=csv or ?format=xlsx."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from hotline import exports, periods
from hotline.directory.changeflow import CHANGE_RIGHTS, ChangeAction
from hotline.directory.models import Unit
from hotline.directory.roles import Role
from hotline.errors import DomainError
from hotline.governance import monthly
from hotline.orders.actions import EFFECT_QUESTIONS, REDO_REASON_LABELS, REDO_REASONS
from hotline.web.views.common import roles_required

from . import appeal_actions, burden, consequences, gaming, indicators, rechecks, rules, stats
from . import supervision as supervision_figures
from . import warnings as warning_rules
from .access import ASSESSMENT_ROLES, DISTRICT_ROLES, unit_scope
from .templatetags.assessment_tags import evidence_text
from .templatetags.assessment_tags import pct as percent

UNIT_COLUMNS = [
    ("rank", _l("组内排名")), ("group_label", _l("单位类型")), ("unit", _l("单位")), ("orders", _l("派单数")),
    ("valid_callbacks", _l("有效回访")), ("response_rate", _l("响应率")), ("resolution_rate", _l("解决率")),
    ("satisfaction_rate", _l("满意率")), ("composite", _l("综合得分")), ("small_sample", _l("样本不足")),
    ("resolution_ci", _l("解决率95%置信区间")), ("expected_resolution", _l("预期解决率")),
    ("resolution_vs_expected", _l("解决率较预期（百分点）")), ("expected_satisfaction", _l("预期满意率")),
    ("satisfaction_vs_expected", _l("满意率较预期（百分点）")), ("redo_rate", _l("重办率")),
    ("return_rate", _l("退单率")), ("returns_upheld", _l("退单获准")), ("returns_rejected", _l("退单被驳回")),
    ("pingpong_orders", _l("多次退单工单")), ("sign_on_time", _l("按时签收率")), ("contact_on_time", _l("按时首联率")),
    ("reply_on_time", _l("按时答复率")), ("extension_rate", _l("延期率")), ("replies_late", _l("超时答复")),
    ("overdue_now", _l("当前超时")), ("hours_to_dispatch", _l("受理至派单（小时）")),
    ("days_to_close", _l("受理至办结（天）")), ("excluded_valid", _l("超权限不计入")),
    ("excluded_unreasonable", _l("认定不合理诉求不计入")),
    ("proactive_verified", _l("主动治理核验办结")), ("proactive_first_time", _l("一次核验通过")),
    ("proactive_first_time_rate", _l("一次核验通过率")),
    ("score", _l("考核得分（本组方案）")), ("scheme_version", _l("考核方案版本")),
    ("upheld_return_rate", _l("退单成立率")), ("repeat_calls", _l("重复来电")), ("repeat_rate", _l("重复来电率")),
    ("adjusted_resolution", _l("难度调整后解决率")), ("adjusted_satisfaction", _l("难度调整后满意率")),
]
SHORT_KEYS = ["rank", "unit", "score", "orders", "valid_callbacks", "response_rate", "resolution_rate",
              "satisfaction_rate", "composite", "resolution_vs_expected", "satisfaction_vs_expected", "redo_rate",
              "return_rate", "sign_on_time", "contact_on_time", "reply_on_time", "excluded_unreasonable",
              "proactive_verified"]
SHORT_COLUMNS = [c for k in SHORT_KEYS for c in UNIT_COLUMNS if c[0] == k]
GROUP_COLUMNS = [("group_label", _l("单位类型")), ("orders", _l("派单数")), ("valid_callbacks", _l("有效回访")),
                 ("response_rate", _l("响应率")), ("resolution_rate", _l("解决率")),
                 ("satisfaction_rate", _l("满意率")), ("composite", _l("综合得分")), ("redo_rate", _l("重办率")),
                 ("return_rate", _l("退单率"))]
CATEGORY_COLUMNS = [("category", _l("诉求类别")), ("received", _l("受理量")), ("valid_callbacks", _l("有效回访")),
                    ("resolution_rate", _l("解决率")), ("satisfaction_rate", _l("满意率")), ("small_sample", _l("样本不足"))]
AREA_COLUMNS = [("area", _l("区域")), ("valid_callbacks", _l("有效回访")), ("response_rate", _l("响应率")),
                ("resolution_rate", _l("解决率")), ("satisfaction_rate", _l("满意率")), ("composite", _l("综合得分")),
                ("small_sample", _l("样本不足"))]
GAMING_COLUMNS = [("unit", _l("单位")), ("label", _l("检查项")), ("evidence_text", _l("证据")), ("orders", _l("相关工单")),
                  ("suspect", _l("疑似刷分"))]
WARNING_COLUMNS = [("rule_label", _l("预警规则")), ("subject", _l("对象")), ("message", _l("说明")),
                   ("evidence_text", _l("证据")), ("orders", _l("相关工单"))]
DIAG_COLUMNS = [
    ("unit", _l("单位")), ("group_label", _l("单位类型")), ("orders", _l("派单数")), ("handlers", _l("承办人员")),
    ("load", _l("负荷（派单/处办能力）")), ("redo_rate", _l("重办率")), ("evidence_per_order", _l("每件证据材料")),
    ("reviews_per_order", _l("每件审核轮次")), ("redos_per_order", _l("每件重办轮次")),
    ("chars_per_reply", _l("每次答复字数")), ("photos_per_order", _l("每件现场照片")),
    ("unit_steps_per_order", _l("每件单位操作步数")), ("sign_to_reply_minutes", _l("签收至答复（工作日分钟，中位数）")),
    ("contact_to_reply_minutes", _l("首次联系至答复（工作日分钟，中位数）")),
    ("idle_gap", _l("满意率−解决率（百分点）")), ("no_authority_replies", _l("答复称无权处理")),
    ("no_authority_returns", _l("以超权限退单")), ("excluded_valid", _l("确认超权限不计入")),
    ("returns", _l("退单")), ("return_rate", _l("退单率")), ("returns_rejected", _l("退单被驳回")),
    ("pingpong_orders", _l("多次退单工单")), ("arbitration_hours", _l("平均裁定耗时（小时）")),
    ("proactive_verified", _l("主动治理核验办结")), ("proactive_first_time", _l("一次核验通过")),
]
# review by effect (burden.py): the burden per procedure profile, and the redo reasons used
PROFILE_COLUMNS = [
    ("profile_name", _l("办理流程")), ("orders", _l("工单数")), ("replies_per_order", _l("每件答复次数")),
    ("chars_per_reply", _l("每次答复字数")), ("files_per_order", _l("每件证据材料")), ("photos_per_order", _l("每件现场照片")),
    ("unit_steps_per_order", _l("每件单位操作步数")), ("reviews_per_order", _l("每件审核轮次")),
    ("redos_per_order", _l("每件重办轮次")), ("sign_to_reply_minutes", _l("签收至答复（工作日分钟，中位数）")),
    ("contact_to_reply_minutes", _l("首次联系至答复（工作日分钟，中位数）")),
]
REASON_UNIT_COLUMNS = [("unit", _l("单位")), ("redos", _l("驳回重办")), ("reasons_text", _l("驳回理由")),
                       ("form_only", _l("仅因完整性驳回（旧理由）")), ("form_only_share", _l("仅因完整性驳回比例"))]
REASON_REVIEWER_COLUMNS = [("reviewer", _l("审核员")), ("redos", _l("驳回重办")), ("reasons_text", _l("驳回理由")),
                           ("form_only", _l("仅因完整性驳回（旧理由）")), ("form_only_share", _l("仅因完整性驳回比例"))]
UNREASONABLE_COLUMNS = [("unit", _l("单位")), ("reported", _l("上报不合理诉求")), ("upheld", _l("认定（不计入考核）")),
                        ("rejected", _l("不予认定")), ("pending", _l("待审核")),
                        ("excluded_callbacks", _l("不计入的有效回访"))]
# The monthly report's section on appeals (申诉, docs/appeals.md): per kind and per unit.
APPEAL_COLUMNS = [("label", _l("申诉类型")), ("filed", _l("提出")), ("upheld", _l("成立")), ("rejected", _l("不成立")),
                  ("withdrawn", _l("撤回")), ("pending", _l("待裁定")), ("late", _l("超期裁定或超期未裁定"))]
APPEAL_UNIT_COLUMNS = [("unit", _l("单位")), *APPEAL_COLUMNS[1:]]
SUPERVISION_COLUMNS = [("unit", _l("单位")), ("received", _l("收到督办")), ("answered", _l("已反馈")),
                       ("on_time", _l("按期反馈")), ("missed", _l("逾期（含逾期反馈）")),
                       ("escalated", _l("提请市级联合督办")), ("on_time_rate", _l("按期反馈率"))]
ENDING_COLUMNS = [("unit", _l("单位")), ("suspect_callbacks", _l("疑似回访")), ("rechecked", _l("已复核")),
                  ("confirmed", _l("确认属实")), ("fabricated", _l("回访不实")), ("not_reached", _l("复核未接通")),
                  ("pending", _l("待复核")), ("deduction_points", _l("扣分"))]
GAP_COLUMNS = [("number", _l("工单编号")), ("title", _l("标题")), ("category", _l("诉求类别")),
               ("returned_by", _l("退回单位")), ("authority", _l("有权处理的单位")), ("state", _l("状态"))]
RULE_COLUMNS = [("rule", _l("权责清单条目")), ("category", _l("诉求类别")), ("area", _l("区域")),
                ("lead_unit", _l("主办单位")), ("version", _l("版本")), ("dispatches", _l("派单数")),
                ("on_list", _l("按清单派单")), ("off_list", _l("改派其他单位")), ("off_list_share", _l("改派比例")),
                ("instead_text", _l("改派给")), ("returns", _l("引用本条的退单")), ("returns_upheld", _l("退单获准")),
                ("returns_rejected", _l("退单被驳回")), ("returns_pending", _l("待裁定")),
                ("review_reasons", _l("建议复核的理由"))]
UNCOVERED_COLUMNS = [("category", _l("诉求类别")), ("area", _l("区域")), ("dispatches", _l("无清单依据的派单")),
                     ("gap", _l("建议增补清单"))]
CONSEQUENCE_COLUMNS = [("month", _l("考核月份")), ("unit", _l("单位")), ("kind_label", _l("类型")), ("points", _l("分值")),
                      ("description", _l("奖惩内容")), ("reason", _l("理由")), ("recorded_by", _l("记录人")),
                      ("recorded_at", _l("记录时间"))]
SCORE_COLUMNS = [("label", _l("指标")), ("value", _l("本期数值")), ("target", _l("目标值")), ("weight", _l("权重")),
                 ("points", _l("得分"))]
LOST_COLUMNS = [("number", _l("工单编号")), ("title", _l("标题")), ("category", _l("诉求类别")), ("at", _l("回访时间")),
                ("contacted", _l("是否联系")), ("resolved", _l("是否解决")), ("satisfaction", _l("满意度"))]
LOST_KINDS = {"response": _l("未联系来电人（响应失分）"), "resolution": _l("未解决（解决失分）"),
              "satisfaction": _l("非“满意”（满意失分）")}


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    """?month=YYYY-MM, or ?from=&to= (YYYY-MM-DD); default: this month to today. A bad one is a
    400 in the user's language (hotline.periods), never another period's figures."""
    return periods.period(request.GET)


def _scope(request: HttpRequest) -> int | None:
    return unit_scope(request.user)


def _district_only(request: HttpRequest) -> None:
    if _scope(request) is not None:
        raise PermissionDenied


def _export(request: HttpRequest, rows: list[dict[str, Any]], columns: list, name: str) -> HttpResponse | None:
    fmt = request.GET.get("format", "")
    if fmt:
        return exports.table_download(rows, columns, name=name, fmt=fmt)  # an unknown format is a 404
    return None


def _ctx(request: HttpRequest, first: dt.date, last: dt.date, **extra: Any) -> dict[str, Any]:
    query = request.GET.copy()
    query.pop("format", None)
    return {"first": first, "last": last, "query": query.urlencode(), "freshness": stats.freshness(first, last), **extra}


def order_url(order_id: int) -> str:
    """The order's page in the web app, where it exists."""
    for name in ("web:order", "web:order_detail", "web:order-detail"):
        try:
            return reverse(name, args=[order_id])
        except NoReverseMatch:
            continue
    return ""


@roles_required(*ASSESSMENT_ROLES)
def overview_page(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if scope is not None:
        return redirect("assessment:unit", unit_id=scope)
    first, last = _period(request)
    data = indicators.overview(first, last)
    table = request.GET.get("table", "units")
    if table == "groups":
        rows, cols = data["groups"], GROUP_COLUMNS
    elif table == "categories":
        rows, cols = data["categories"], CATEGORY_COLUMNS
    elif table == "areas":
        rows, cols = data["areas"], AREA_COLUMNS
    else:
        rows, cols = data["units"], UNIT_COLUMNS
    resp = _export(request, rows, cols, f"assessment-{table}-{first}-{last}")
    if resp:
        return resp
    groups_of_units: dict[str, list[dict[str, Any]]] = {}
    for row in data["units"]:
        groups_of_units.setdefault(row["group_label"], []).append(row)
    chart = {"units": [r["unit"] for r in data["units"] if r["valid_callbacks"]],
             "resolution": [r["resolution_rate"] for r in data["units"] if r["valid_callbacks"]],
             "satisfaction": [r["satisfaction_rate"] for r in data["units"] if r["valid_callbacks"]]}
    return render(request, "assessment/overview.html", _ctx(
        request, first, last, data=data, groups_of_units=groups_of_units, unit_columns=SHORT_COLUMNS,
        group_columns=GROUP_COLUMNS, categories=data["categories"], category_columns=CATEGORY_COLUMNS,
        areas=data["areas"], area_columns=AREA_COLUMNS, chart=chart))


@roles_required(*ASSESSMENT_ROLES)
def unit_page(request: HttpRequest, unit_id: int) -> HttpResponse:
    scope = _scope(request)
    if scope is not None and scope != unit_id:
        raise PermissionDenied
    unit = get_object_or_404(Unit, pk=unit_id)
    first, last = _period(request)
    rows = [r for r in indicators.unit_table(first, last) if r["unit_id"] == unit.pk]
    if not rows:
        raise Http404
    row = rows[0]
    lost = request.GET.get("lost", "")
    lost_rows: list[dict[str, Any]] = []
    if lost in LOST_KINDS:
        for cb in indicators.lost_points(unit.pk, first, last, kind=lost):
            lost_rows.append({"order_id": cb.order_id, "number": cb.order.number, "title": cb.order.title,
                              "category": cb.order.category.path if cb.order.category else "",
                              "at": timezone.localtime(cb.at).strftime("%Y-%m-%d %H:%M"),
                              "contacted": cb.contacted, "resolved": cb.resolved,
                              "satisfaction": cb.get_satisfaction_display(), "url": order_url(cb.order_id)})
        resp = _export(request, lost_rows, LOST_COLUMNS, f"lost-{lost}-{unit.code}-{first}-{last}")
        if resp:
            return resp
    else:
        resp = _export(request, [row], UNIT_COLUMNS, f"unit-{unit.code}-{first}-{last}")
        if resp:
            return resp
    year_ago = last.replace(day=1) - dt.timedelta(days=330)
    trend = indicators.monthly(year_ago.replace(day=1), last, unit.pk)
    fired = gaming.check(first, last, unit_ids=[unit.pk]).get(unit.pk, [])
    lost_counts = {"response": row["valid_callbacks"] - round((row["response_rate"] or 0) * row["valid_callbacks"]),
                   "resolution": row["valid_callbacks"] - round((row["resolution_rate"] or 0) * row["valid_callbacks"])}
    return render(request, "assessment/unit.html", _ctx(
        request, first, last, unit=unit, row=row, score_lines=score_lines(row),
        consequences=consequences.for_month(first, last, unit.pk), consequence_columns=CONSEQUENCE_COLUMNS, columns=UNIT_COLUMNS, lost=lost, lost_label=LOST_KINDS.get(lost, ""),
        lost_rows=lost_rows, lost_columns=LOST_COLUMNS, lost_kinds=LOST_KINDS, lost_counts=lost_counts,
        trend=trend, fired=fired, suspect=gaming.suspect(fired),
        deduction=rechecks.deductions(first, last, unit_ids=[unit.pk]).get(unit.pk, {"count": 0, "points": 0.0}),
        unreasonable=next((r for r in indicators.unreasonable(first, last)["units"] if r["unit_id"] == unit.pk), {}),
        # the unit's head appeals the score from here (web/_score_appeal_form.html, docs/appeals.md)
        may_appeal=request.user.role == "unit_head" and request.user.unit_id == unit.pk,
        score_appeals=list(appeal_actions.visible_to(request.user).filter(
            unit=unit, month__gte=first.replace(day=1), month__lte=last).order_by("-filed_at")[:20]),
        indicator_choices=list(appeal_actions.indicator_choices().items()),
        reason_choices=[(k, _(v)) for k, v in appeal_actions.SCORE_APPEAL_REASONS.items()],
        appeal_month=f"{first:%Y-%m}", form={}))


def _evidence_text(evidence: dict[str, Any]) -> str:
    return evidence_text(evidence)


@roles_required(*ASSESSMENT_ROLES)
def gaming_page(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    first, last = _period(request)
    fired = gaming.check(first, last, unit_ids=[scope] if scope is not None else None)
    names = dict(Unit.objects.filter(pk__in=list(fired)).values_list("pk", "name"))
    rows = []
    units = []
    for unit_id, checks in sorted(fired.items(), key=lambda kv: (-len(kv[1]), names.get(kv[0], ""))):
        suspect = gaming.suspect(checks)
        units.append({"unit_id": unit_id, "unit": names.get(unit_id, ""), "checks": checks, "suspect": suspect})
        for c in checks:
            rows.append({"unit": names.get(unit_id, ""), "label": c["label"], "evidence_text": _evidence_text(c["evidence"]),
                         "orders": c["orders"], "suspect": suspect})
    resp = _export(request, rows, GAMING_COLUMNS, f"gaming-{first}-{last}")
    if resp:
        return resp
    return render(request, "assessment/gaming.html", _ctx(
        request, first, last, units=units, checks=gaming.CHECKS,
        may_recheck=request.user.role in RECHECK_ROLES))  # type: ignore[union-attr]


# Who works the re-check queue (复核回访): the callback agents who call, the supervisors who
# answer for the assessment, the administrator who sets the deduction.
RECHECK_ROLES = frozenset({Role.CALLBACK.value, Role.SUPERVISOR.value, Role.ADMIN.value})
RECHECK_COLUMNS = [("number", _l("工单编号")), ("unit", _l("单位")), ("at_text", _l("原回访时间")),
                   ("agent", _l("原回访人")), ("phone", _l("作答号码")), ("satisfaction", _l("原评价")),
                   ("status_label", _l("复核状态")), ("rechecked_by", _l("复核人")), ("recheck_note", _l("复核说明"))]


@roles_required(Role.CALLBACK, Role.SUPERVISOR, Role.ADMIN)
def rechecks_page(request: HttpRequest) -> HttpResponse:
    """The suspect callbacks of a month (default: last month) for a second, independent callback
    by the centre, with their status; each links to its order, where the re-check is recorded."""
    if request.GET.get("month") or request.GET.get("from") or request.GET.get("to"):
        first, last = _period(request)
    else:
        first, last = rechecks.last_month()
    status = request.GET.get("status", "")
    rows = rechecks.queue(first, last)
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in rechecks.STATUSES}
    if status in rechecks.STATUSES:
        rows = [r for r in rows if r["status"] == status]
    for r in rows:
        r["at_text"] = timezone.localtime(r["at"]).strftime("%Y-%m-%d %H:%M")
        r["url"] = order_url(r["order_id"])
    resp = _export(request, rows, RECHECK_COLUMNS, f"rechecks-{first}-{last}")
    if resp:
        return resp
    statuses = [{"code": s, "label": label, "n": counts[s]} for s, label in rechecks.STATUSES.items()]
    return render(request, "assessment/rechecks.html", _ctx(
        request, first, last, rows=rows, statuses=statuses, status=status, total=sum(counts.values())))


@roles_required(*ASSESSMENT_ROLES)
def warnings_page(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    as_of = periods.day_param(request.GET, "as_of")
    items = warning_rules.evaluate(as_of)
    if scope is not None:
        items = [w for w in items if w["unit_id"] == scope]
    subscribed = warning_rules.subscribed_rules(request.user)
    mine = request.GET.get("mine") == "1"
    if mine:
        items = [w for w in items if w["rule"] in subscribed]
    items.sort(key=lambda w: (w["rule"] not in subscribed, list(warning_rules.RULES).index(w["rule"])))
    for w in items:
        w["evidence_text"] = _evidence_text(w["evidence"])
        w["subscribed"] = w["rule"] in subscribed
    resp = _export(request, items, WARNING_COLUMNS, f"warnings-{as_of}")
    if resp:
        return resp
    rules = [{"code": k, "label": _(v), "subscribed": k in subscribed} for k, v in warning_rules.RULES.items()]
    return render(request, "assessment/warnings.html", _ctx(
        request, as_of, as_of, items=items, rules=rules, mine=mine,
        freshness=stats.freshness(as_of - dt.timedelta(days=2 * warning_rules.WINDOW - 1), as_of)))


@roles_required(*ASSESSMENT_ROLES)
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    _scope(request)  # 403 for roles without access
    rule = request.POST.get("rule", "")
    if rule not in warning_rules.RULES:
        return HttpResponse(_("未知的预警规则。"), status=400)
    warning_rules.subscribe(request.user, rule, on=request.POST.get("on", "1") == "1")
    return redirect("assessment:warnings")


@roles_required(*ASSESSMENT_ROLES)
def diagnostics_page(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    first, last = _period(request)
    data = indicators.diagnostics(first, last)
    if scope is not None:
        data["units"] = [r for r in data["units"] if r["unit_id"] == scope]
        data["profiles"] = []  # the district's orders by procedure: for the centre
    if request.GET.get("table") == "profiles":
        resp = _export(request, data["profiles"], PROFILE_COLUMNS, f"burden-profiles-{first}-{last}")
    else:
        resp = _export(request, data["units"], DIAG_COLUMNS, f"diagnostics-{first}-{last}")
    if resp:
        return resp
    trend = indicators.monthly(last.replace(day=1) - dt.timedelta(days=330), last) if scope is None else []
    return render(request, "assessment/diagnostics.html", _ctx(
        request, first, last, data=data, columns=DIAG_COLUMNS, trend=trend, district_view=scope is None,
        profile_columns=PROFILE_COLUMNS))


@roles_required(*DISTRICT_ROLES)
def review_reasons_page(request: HttpRequest) -> HttpResponse:
    """Which redo reasons the reviews of the period used, per unit and per reviewer (review by
    effect: a reviewer who still rejects for form shows in the last columns)."""
    _district_only(request)
    first, last = _period(request)
    data = burden.reasons(first, last)
    if request.GET.get("table") == "reviewers":
        resp = _export(request, data["reviewers"], REASON_REVIEWER_COLUMNS, f"redo-reasons-reviewers-{first}-{last}")
    else:
        resp = _export(request, data["units"], REASON_UNIT_COLUMNS, f"redo-reasons-units-{first}-{last}")
    if resp:
        return resp
    labels = [(code, REDO_REASON_LABELS[code], data["district"]["reasons"].get(code, 0)) for code in REDO_REASON_LABELS
              if code in REDO_REASONS or data["district"]["reasons"].get(code)]
    questions = [(label, data["district"]["effect_noes"].get(key, 0)) for key, label in EFFECT_QUESTIONS.items()]
    return render(request, "assessment/review_reasons.html", _ctx(
        request, first, last, data=data, labels=labels, questions=questions,
        unit_columns=REASON_UNIT_COLUMNS, reviewer_columns=REASON_REVIEWER_COLUMNS))


@roles_required(*DISTRICT_ROLES)
def gaps_page(request: HttpRequest) -> HttpResponse:
    _district_only(request)
    first, last = _period(request)
    data = indicators.gaps(first, last)
    resp = _export(request, data["orders"], GAP_COLUMNS, f"gaps-{first}-{last}")
    if resp:
        return resp
    for o in data["orders"]:
        o["url"] = order_url(o["order_id"])
    return render(request, "assessment/gaps.html", _ctx(request, first, last, data=data, columns=GAP_COLUMNS))


@roles_required(*DISTRICT_ROLES)
def rules_page(request: HttpRequest) -> HttpResponse:
    """The responsibility list in use (回头看): per rule, dispatches on and off it and the returns
    citing it; the matters dispatched with no rule. ?format=csv exports the rules table, and
    ?format=csv&table=uncovered the matters with no rule."""
    _district_only(request)
    first, last = _period(request)
    data = rules.report(first, last)
    if request.GET.get("table") == "uncovered":
        resp = _export(request, data["uncovered"], UNCOVERED_COLUMNS, f"rules-uncovered-{first}-{last}")
    else:
        resp = _export(request, data["rules"], RULE_COLUMNS, f"rules-{first}-{last}")
    if resp:
        return resp
    return render(request, "assessment/rules.html", _ctx(
        request, first, last, data=data, columns=RULE_COLUMNS, uncovered_columns=UNCOVERED_COLUMNS,
        override_pct=round(rules.OVERRIDE_SHARE * 100),
        may_propose=request.user.role in {r for r, rights in CHANGE_RIGHTS.items() if ChangeAction.PROPOSE in rights}))


@roles_required(*DISTRICT_ROLES)
def report_page(request: HttpRequest) -> HttpResponse:
    _district_only(request)
    if not request.GET.get("month"):
        today = timezone.localdate()
        prev = today.replace(day=1) - dt.timedelta(days=1)
        return redirect(f"{reverse('assessment:report')}?month={prev:%Y-%m}")
    first, last = _period(request)
    data = indicators.overview(first, last)
    fired = gaming.check(first, last)
    names = {r["unit_id"]: r["unit"] for r in data["units"]}
    suspects = [{"unit": names.get(u, str(u)), "checks": c} for u, c in fired.items() if gaming.suspect(c)]
    endings = rechecks.outcomes(first, last)
    groups_of_units: dict[str, list[dict[str, Any]]] = {}
    for row in data["units"]:
        if row["orders"] or row["valid_callbacks"]:
            groups_of_units.setdefault(row["group_label"], []).append(row)
    return render(request, "assessment/report.html", _ctx(
        request, first, last, data=data, groups_of_units=groups_of_units, columns=SHORT_COLUMNS,
        group_columns=GROUP_COLUMNS, gaps=indicators.gaps(first, last), suspects=suspects,
        diagnostics=indicators.diagnostics(first, last)["district"], month=f"{first:%Y-%m}",
        tasks=governance_tasks(first, last), unreasonable=indicators.unreasonable(first, last),
        consequences=consequences.for_month(first, last), consequence_columns=CONSEQUENCE_COLUMNS,
        unreasonable_columns=UNREASONABLE_COLUMNS, endings=endings, ending_columns=ENDING_COLUMNS,
        appeals=appeal_actions.summary(first, last), appeal_columns=APPEAL_COLUMNS,
        appeal_unit_columns=APPEAL_UNIT_COLUMNS,
        supervision=supervision_figures.table(first, last), supervision_columns=SUPERVISION_COLUMNS))


def governance_tasks(first: dt.date, last: dt.date) -> list[Any]:
    """The governance tasks open in the month, with their effect at its end (the report's section 7)."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    return monthly.tasks_during(start, start + dt.timedelta(days=(last - first).days + 1))


def score_lines(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The unit's score line by line, with the sentence that explains each line's points."""
    out = []
    for line in row.get("score_lines") or []:
        v, t, w, p = line["value"], line["target"], line["weight"], line["points"]
        if line.get("adjustment"):
            how = (_("复核认定回访不实%(n)s条，按管理员设定的标准扣分：%(p)s") if line["indicator"] == "gaming_deduction"
                   else _("得分申诉成立%(n)s项，督办领导裁定的更正合计：%(p)s")) % {"n": v, "p": f"{p:+.2f}"}
            out.append({**line, "how": how, "value_text": str(v), "target_text": "—"})
            continue
        if v is None:
            how = _("本期无数据，不计分，总分按其余指标折算")
        elif line.get("count"):
            how = _("件数：%(w)s × (%(v)s ÷ %(t)s，最高为1) = %(p)s") % {
                "w": f"{w:g}", "v": f"{v:g}", "t": f"{t:g}", "p": f"{p:.2f}"}
        elif line["higher_is_better"]:
            how = _("越高越好：%(w)s × (%(v)s ÷ %(t)s，最高为1) = %(p)s") % {
                "w": f"{w:g}", "v": f"{100 * v:.1f}%", "t": f"{100 * t:.1f}%", "p": f"{p:.2f}"}
        else:
            how = _("越低越好：%(w)s × ((1 − %(v)s) ÷ (1 − %(t)s)，最高为1) = %(p)s") % {
                "w": f"{w:g}", "v": f"{100 * v:.1f}%", "t": f"{100 * t:.1f}%", "p": f"{p:.2f}"}
        shown = (lambda x: "—" if x is None else f"{x:g}") if line.get("count") else percent
        out.append({**line, "how": how, "value_text": shown(v), "target_text": shown(t),
                    "label": line["label"] + (_("（难度调整后）") if line.get("adjusted") else "")})
    return out


@roles_required(*DISTRICT_ROLES)
def consequences_page(request: HttpRequest) -> HttpResponse:
    """Rewards and penalties recorded against months (考用结合): the month's list (?format=csv or
    xlsx exports it), and for supervisors and administrators the form that records one (POST,
    through consequences.record)."""
    _district_only(request)
    may_record = request.user.role in consequences.RECORDERS
    error = ""
    form: dict[str, Any] = {}
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied
        form = {k: request.POST.get(k, "") for k in ("unit", "month", "kind", "points", "description", "reason")}
        try:
            month = periods.parse_month(form["month"])[0]
            consequences.record(actor=request.user, unit_id=form["unit"], month=month, kind=form["kind"],
                                points=form["points"], description=form["description"], reason=form["reason"])
        except DomainError as exc:
            error = str(exc.message)
        else:
            return redirect(f"{reverse('assessment:consequences')}?month={month:%Y-%m}")
    first, last = _period(request)
    rows = consequences.for_month(first, last)
    resp = _export(request, rows, CONSEQUENCE_COLUMNS, f"consequences-{first:%Y-%m}-{last:%Y-%m}")
    if resp:
        return resp
    units = list(Unit.objects.filter(handles_orders=True).order_by("kind", "name").values("pk", "name"))
    return render(request, "assessment/consequences.html", _ctx(
        request, first, last, rows=rows, columns=CONSEQUENCE_COLUMNS, may_record=may_record, units=units,
        kinds=consequences.MonthlyConsequence.Kind.choices, error=error, form=form,
        month=f"{first:%Y-%m}"), status=400 if error else 200)
