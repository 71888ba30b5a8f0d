"""The only writers of score appeals (考核得分申诉): file, uphold, reject, withdraw. Each one is a
durable transaction that locks the appeal, asks appealflow.py's tables, writes the appeal and
exactly one hash-chained ScoreAppealEvent; `verify` checks the chain. An upheld appeal's
correction is read by assessment/adjustments.py into the unit's score_lines (docs/appeals.md).

What is refused: a month not over yet, or past the filing window (HOTLINE_APPEAL_FILING_DAYS
working days after the month's end); a second pending appeal for the same unit and month; an
indicator already decided for that month (a decided appeal is final for what it named: a new
appeal needs another indicator, i.e. new facts); orders the unit cannot see; a file whose
content is not what its name says (orders/evidence.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from hotline import chain, periods
from hotline.directory import calendar as workdays
from hotline.directory.models import Unit, User
from hotline.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed, NotFound
from hotline.orders import clock, evidence, selectors
from hotline.orders.models import OrderAppeal
from hotline.orders.validation import as_id

from . import scoring, stats
from .appealflow import (
    CENTRE_READERS,
    UNIT_READERS,
    AppealAction,
    AppealState,
    decide_appeal,
    next_appeal_state,
)
from .models import ScoreAppeal, ScoreAppealEvent

A = AppealAction
MIN_EXPLANATION = 10
MAX_EXPLANATION = 4000
MAX_NOTE = 4000
MAX_ORDERS = 50
MAX_POINTS = Decimal("100")
SCORE_APPEAL_REASONS = {
    "data_error": gettext_noop("统计数据有误"),
    "attribution": gettext_noop("工单归属有误（应计入其他单位或不应计入）"),
    "beyond_control": gettext_noop("超出本单位职权或属不可抗力"),
    "rule_misapplied": gettext_noop("考核口径适用不当"),
    "other": gettext_noop("其他（须详细说明）"),
}
# What a unit may contest: every indicator of the schemes, and the gaming deduction.
DEDUCTION = "gaming_deduction"
STATE_LABELS = {
    "pending": gettext_noop("待裁定"), "upheld": gettext_noop("申诉成立"), "rejected": gettext_noop("申诉不成立"),
    "withdrawn": gettext_noop("已撤回"),
}


def indicator_choices() -> dict[str, str]:
    return {**{code: scoring.label(code) for code in scoring.INDICATORS}, DEDUCTION: _("刷分扣分")}


# ---- the trace ---------------------------------------------------------------------------------


def _event(appeal: ScoreAppeal, actor: User, action: AppealAction, from_state: str, to_state: str,
           at: dt.datetime, data: dict[str, Any]) -> ScoreAppealEvent:
    data = {k: str(v) if isinstance(v, Decimal) else v for k, v in data.items()}
    step = chain.advance(appeal, appeal.pk, action=action, from_state=from_state, to_state=to_state, actor=actor,
                         at=at, data=data)
    return ScoreAppealEvent.objects.create(appeal=appeal, action=str(action), from_state=from_state,
                                           to_state=to_state, actor=actor, actor_role=actor.role,
                                           actor_unit_id=actor.unit_id, at=at, **step)


def verify(appeal: ScoreAppeal) -> bool:
    """Whether an appeal's events form an unbroken chain (nothing changed, inserted or removed)."""
    return chain.verify_steps(appeal.pk, appeal.events.order_by("seq"), appeal.last_hash)


# ---- deadlines -----------------------------------------------------------------------------------


def _calendar() -> workdays.WorkCalendar:
    return workdays.load_calendar()


def decision_due(filed_at: dt.datetime) -> dt.datetime:
    """The end of the HOTLINE_APPEAL_DAYS-th working day after filing."""
    return _calendar().add(filed_at, (settings.HOTLINE_APPEAL_DAYS, "workdays"))


def filing_closes(month: dt.date) -> dt.datetime:
    """The last moment to appeal the score of `month`: the end of the
    HOTLINE_APPEAL_FILING_DAYS-th working day after its last day."""
    last = periods.month_bounds(month)[1]
    end = dt.datetime.combine(last, workdays.WORKDAY_END, tzinfo=timezone.get_current_timezone())
    return _calendar().add(end, (settings.HOTLINE_APPEAL_FILING_DAYS, "workdays"))


def is_overdue(appeal: ScoreAppeal, now: dt.datetime | None = None) -> bool:
    if appeal.decided_at is not None:
        return appeal.decided_at > appeal.due
    return appeal.state == AppealState.PENDING and (now or clock.now()) > appeal.due


# ---- input -----------------------------------------------------------------------------------------


def _text(value: Any, field: str, *, minimum: int, maximum: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if len(text) < minimum:
        raise InvalidInput(_("请填写理由（至少%(n)d个字）。") % {"n": minimum}, details={field: [_("理由过短。")]})
    if len(text) > maximum or "\x00" in text:
        raise InvalidInput(_("说明不能超过%(n)d个字。") % {"n": maximum}, details={field: [_("过长。")]})
    return text


def _codes(values: Any, allowed: Mapping[str, Any], field: str, message: str) -> list[str]:
    if isinstance(values, str) or not isinstance(values, list | tuple) or not values:
        raise InvalidInput(message, details={field: [_("必填。")]})
    codes = list(dict.fromkeys(values))
    unknown = [str(c)[:40] for c in codes if not isinstance(c, str) or c not in allowed]
    if unknown:
        raise InvalidInput(_("“%(v)s”不是可选的值之一。") % {"v": unknown[0]}, details={field: unknown})
    return codes


def _month(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value.replace(day=1)
    return periods.parse_month(str(value) if isinstance(value, str) else "")[0]


def _orders(actor: User, numbers: Any) -> list[str]:
    if numbers in (None, ""):
        return []
    if isinstance(numbers, str):
        numbers = [n for n in numbers.replace("，", ",").replace("\n", ",").split(",")]
    if not isinstance(numbers, list | tuple):
        raise InvalidInput(_("参数格式不正确。"), details={"order_numbers": [_("须为工单编号的列表。")]})
    clean = list(dict.fromkeys(n.strip() for n in numbers if isinstance(n, str) and n.strip()))
    if len(clean) > MAX_ORDERS:
        raise InvalidInput(_("涉及的工单最多填写%(n)d件。") % {"n": MAX_ORDERS}, details={"order_numbers": [str(len(clean))]})
    if any(len(n) > 20 for n in clean):
        raise InvalidInput(_("工单编号不存在或不属于本单位：%(v)s") % {"v": next(n for n in clean if len(n) > 20)[:20]},
                           details={"order_numbers": [_("请核对编号。")]})
    found = set(selectors.orders_visible_to(actor).filter(number__in=clean).values_list("number", flat=True))
    missing = [n for n in clean if n not in found]
    if missing:
        raise InvalidInput(_("工单编号不存在或不属于本单位：%(v)s") % {"v": "、".join(missing[:5])},
                           details={"order_numbers": missing[:20]})
    return clean


def _points(value: Any) -> Decimal:
    text = str(value if value is not None and not isinstance(value, bool) else "").strip()
    try:
        n = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(_("得分更正应为数字（加分为正，减分为负），例如 2.5。"),
                           details={"correction": [text[:40] or _("必填。")]}) from None
    if not n.is_finite() or n == 0 or abs(n) > MAX_POINTS:
        raise InvalidInput(_("得分更正应不为0，且绝对值不超过%(n)s分。") % {"n": MAX_POINTS},
                           details={"correction": [text[:40]]})
    if n != n.quantize(Decimal("0.01")):
        raise InvalidInput(_("分值最多保留两位小数。"), details={"correction": [text[:40]]})
    return n


def _refuse(reason: str, action: AppealAction) -> None:
    if reason == "scope":
        raise NotAllowed(_("只能对本单位的考核得分提出或撤回申诉。"), details={"action": str(action)})
    raise NotAllowed(_("您的角色无权执行此操作。"), details={"action": str(action)})


# ---- the actions ---------------------------------------------------------------------------------


def file(*, actor: User, month: Any, indicators: Any, reasons: Any, explanation: Any, order_numbers: Any = (),
         upload: IO[bytes] | File | None = None, upload_name: str | None = None) -> ScoreAppeal:
    """The unit's head appeals the unit's score of `month` (a date in it, or "YYYY-MM"), naming
    the indicators contested, reason codes, the explanation, optionally the orders concerned
    (numbers the unit can see) and one file (checked by its content). After: one pending appeal
    due in HOTLINE_APPEAL_DAYS working days and its first event."""
    decision = decide_appeal(role=actor.role, action=A.FILE, actor_unit_id=actor.unit_id,
                             appeal_unit_id=actor.unit_id)
    if not decision.allowed:
        _refuse(decision.reason, A.FILE)
    unit = Unit.objects.filter(pk=actor.unit_id, handles_orders=True).first()
    if unit is None:
        _refuse("scope", A.FILE)
    first = _month(month)
    codes = _codes(indicators, indicator_choices(), "indicators", _("请至少选择一项申诉的指标。"))
    why = _codes(reasons, SCORE_APPEAL_REASONS, "reasons", _("请至少选择一项申诉理由。"))
    text = _text(explanation, "explanation", minimum=MIN_EXPLANATION, maximum=MAX_EXPLANATION)
    numbers = _orders(actor, order_numbers)
    now = clock.now()
    if periods.month_bounds(first)[1] >= timezone.localdate(now):
        raise InvalidTransition(_("该月尚未结束，月度得分还未确定，月末后再申诉。"), code="month_not_over")
    closes = filing_closes(first)
    if now > closes:
        raise InvalidTransition(_("已超过申诉期限（月末后%(n)d个工作日内，至%(at)s止）。")
                                % {"n": settings.HOTLINE_APPEAL_FILING_DAYS,
                                   "at": timezone.localtime(closes).strftime("%Y-%m-%d %H:%M")},
                                code="appeal_window_closed")
    checked = evidence.check(upload, upload_name if upload_name is not None else getattr(upload, "name", "") or "") \
        if upload is not None else None
    stored = ""
    try:
        with transaction.atomic(durable=True):
            Unit.objects.select_for_update().filter(pk=unit.pk).first()  # one filing per unit at a time
            if ScoreAppeal.objects.filter(unit=unit, month=first, state=AppealState.PENDING).exists():
                raise Conflict(_("本单位该月已有一项待裁定的得分申诉。"), code="appeal_pending")
            decided = {c for a in ScoreAppeal.objects.filter(unit=unit, month=first,
                                                            state__in=[AppealState.UPHELD, AppealState.REJECTED])
                       for c in a.indicators}
            again = [c for c in codes if c in decided]
            if again:
                raise Conflict(_("该月的“%(i)s”已经申诉并裁定，不能就同一指标再次申诉。")
                               % {"i": indicator_choices()[again[0]]}, code="already_decided",
                               details={"indicators": again})
            appeal = ScoreAppeal(unit=unit, month=first, indicators=codes, reasons=why, explanation=text,
                                 order_numbers=numbers, filed_by=actor, filed_at=now, due=decision_due(now))
            if checked is not None:
                appeal.evidence.save(f"appeal-{unit.pk}-{first:%Y%m}-{checked.sha256[:12]}{checked.ext}",
                                     checked.content, save=False)
                stored = appeal.evidence.name
                appeal.evidence_name, appeal.evidence_sha256 = checked.name, checked.sha256
                appeal.evidence_type = checked.content_type
            appeal.save()
            _event(appeal, actor, A.FILE, "", AppealState.PENDING.value, now,
                   {"unit": unit.pk, "month": first, "indicators": codes, "reasons": why, "explanation": text,
                    "orders": numbers, "evidence": appeal.evidence_name, "sha256": appeal.evidence_sha256,
                    "due": appeal.due})
            appeal.save(update_fields=["event_seq", "last_hash"])
    except IntegrityError:
        if stored:
            default_storage.delete(stored)
        raise Conflict(_("本单位该月已有一项待裁定的得分申诉。"), code="appeal_pending") from None
    except BaseException:
        if stored:
            default_storage.delete(stored)
        raise
    return appeal


def _lock(appeal_id: Any) -> ScoreAppeal:
    pk = as_id(appeal_id)
    appeal = ScoreAppeal.objects.select_for_update(of=("self",)).filter(pk=pk).first() if pk else None
    if appeal is None:
        raise NotFound(_("得分申诉不存在。"))
    return appeal


def _step(appeal_id: Any, actor: User, action: AppealAction, note: str, **changes: Any) -> ScoreAppeal:
    with transaction.atomic(durable=True):
        appeal = _lock(appeal_id)
        target = next_appeal_state(AppealState(appeal.state), action)
        if target is None:
            raise InvalidTransition(_("这项申诉当前状态为“%(state)s”，不能执行此操作。")
                                    % {"state": _(STATE_LABELS.get(appeal.state, appeal.state))},
                                    details={"state": appeal.state, "action": str(action)})
        decision = decide_appeal(role=actor.role, action=action, actor_unit_id=actor.unit_id,
                                 appeal_unit_id=appeal.unit_id)
        if not decision.allowed:
            _refuse(decision.reason, action)
        now = clock.now()
        from_state = appeal.state
        appeal.state = target.value
        if action is not A.WITHDRAW:
            appeal.decided_by, appeal.decided_at, appeal.decision_note = actor, now, note
        for name, value in changes.items():
            setattr(appeal, name, value)
        _event(appeal, actor, action, from_state, target.value, now,
               {"note": note, "late": (now > appeal.due) or None, **changes})
        appeal.save()
    return appeal


def uphold(appeal_id: Any, *, actor: User, correction: Any, note: Any) -> ScoreAppeal:
    """A supervisor upholds a pending appeal with its correction of the month's score (points,
    positive or negative, two decimals at most) and the reason: the correction becomes its own
    line of the unit's score_lines for that month."""
    points = _points(correction)
    return _step(appeal_id, actor, A.UPHOLD, _text(note, "note", minimum=5, maximum=MAX_NOTE), correction=points)


def reject(appeal_id: Any, *, actor: User, note: Any) -> ScoreAppeal:
    """A supervisor rejects a pending appeal, with the reason: the score stands."""
    return _step(appeal_id, actor, A.REJECT, _text(note, "note", minimum=5, maximum=MAX_NOTE))


def withdraw(appeal_id: Any, *, actor: User, note: Any = "") -> ScoreAppeal:
    """The unit's head withdraws the unit's pending appeal (it may file again within the window)."""
    text = note.strip()[:MAX_NOTE] if isinstance(note, str) else ""
    return _step(appeal_id, actor, A.WITHDRAW, text)


# ---- reads ---------------------------------------------------------------------------------------


def visible_to(user: Any) -> QuerySet[ScoreAppeal]:
    """The score appeals a person may read: the centre all, a unit its own."""
    qs = ScoreAppeal.objects.select_related("unit", "filed_by", "decided_by")
    role = getattr(user, "role", "")
    if role in CENTRE_READERS:
        return qs
    if role in UNIT_READERS and getattr(user, "unit_id", None):
        return qs.filter(unit_id=user.unit_id)
    return qs.none()


def corrections(first: dt.date, last: dt.date, *, unit_ids: list[int] | None = None) -> dict[int, dict[str, Any]]:
    """{unit id: {"count": upheld appeals, "points": the sum of their corrections}} for the months
    first..last touches (units without any are absent)."""
    qs = ScoreAppeal.objects.filter(state=AppealState.UPHELD, month__gte=first.replace(day=1), month__lte=last)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    out: dict[int, dict[str, Any]] = {}
    for unit_id, points, pk in qs.values_list("unit_id", "correction", "pk"):
        row = out.setdefault(unit_id, {"count": 0, "points": Decimal(0), "appeals": []})
        row["count"] += 1
        row["points"] += points or Decimal(0)
        row["appeals"].append(pk)
    for row in out.values():
        row["points"] = float(row["points"])
    return out


def summary(first: dt.date, last: dt.date) -> dict[str, Any]:
    """The monthly report's section on appeals: for the appeals filed in days first..last, by kind
    (redo, callback, score) and by unit, how many were filed, upheld, rejected, withdrawn, are
    still pending, and were decided after their deadline (or are pending past it now)."""
    lo, hi = stats.day_bounds(first, last)
    now = clock.now()
    rows: list[tuple[str, int, str, bool]] = []  # (kind, unit, state, late)
    for kind, unit_id, status, due, decided in (OrderAppeal.objects.filter(at__gte=lo, at__lt=hi)
                                                .values_list("kind", "unit_id", "status", "due", "decided_at")):
        rows.append((kind, unit_id, status, (decided or now) > due))
    for unit_id, state, due, decided in (ScoreAppeal.objects.filter(filed_at__gte=lo, filed_at__lt=hi)
                                         .values_list("unit_id", "state", "due", "decided_at")):
        late = (decided or now) > due if state != AppealState.WITHDRAWN else False
        rows.append(("score", unit_id, state, late))

    def count(selected: list[tuple[str, int, str, bool]]) -> dict[str, int]:
        return {"filed": len(selected), "upheld": sum(r[2] == "upheld" for r in selected),
                "rejected": sum(r[2] == "rejected" for r in selected),
                "withdrawn": sum(r[2] == "withdrawn" for r in selected),
                "pending": sum(r[2] == "pending" for r in selected), "late": sum(r[3] for r in selected)}

    names = dict(Unit.objects.filter(pk__in={r[1] for r in rows}).values_list("pk", "name"))
    kinds = {"redo": _("驳回重办申诉"), "callback": _("回访申诉"), "score": _("考核得分申诉")}
    return {
        "total": count(rows),
        "kinds": [{"kind": k, "label": label, **count([r for r in rows if r[0] == k])} for k, label in kinds.items()],
        "units": [{"unit_id": u, "unit": names.get(u, str(u)), **count([r for r in rows if r[1] == u])}
                  for u in sorted(names, key=lambda u: names[u])],
    }
