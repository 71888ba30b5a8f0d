"""The triage pipeline: what happens to a new order, the daily review of the machine's decisions,
retraining, and the published counts.

The pipeline acts only through orders/actions.py, as the system actor (role "system": dispatch,
merge, annotate), with its reason and confidence in each event. It never screens an order out:
flags wait for a person in the daily review.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.directory.models import Category, User
from hotline.directory.roles import Role
from hotline.errors import DomainError, InvalidInput, NotAllowed, NotFound
from hotline.orders import actions
from hotline.orders.models import Event, TriageJob, WorkOrder
from hotline.orders.states import State, is_open
from hotline.orders.validation import as_id

from . import services
from .models import DecisionKind, ReviewOutcome, TriageDecision
from .screening import FLAG_LABELS
from .textmodel import ModelError, TextClassifier
from .training import save_model

log = logging.getLogger(__name__)

REVIEW_ROLES = frozenset({Role.AGENT, Role.DISPATCHER, Role.SUPERVISOR})


def _record(order: WorkOrder, kind: str, *, reason: str, confidence: float | None = None, code: str = "",
            related: int | None = None, version: str = "", **payload: Any) -> TriageDecision:
    return TriageDecision.objects.create(
        order=order, kind=kind, code=code, related_order_id=related, payload=payload,
        confidence=None if confidence is None else round(float(confidence), 4), reason=reason[:300],
        model_version=version, created_at=timezone.now(),
    )


def triage_order(order_id: int) -> list[TriageDecision]:
    """Triage one order waiting in the triage queue, completely or not at all.

    Before: the order has a TriageJob (intake wrote it). After: in one transaction, one
    TriageDecision per finding (classified, flag, repeat, duplicate, routed), at most one
    automatic action by the system actor (a merge into the main order, or a dispatch when
    routing confidence ≥ HOTLINE_AUTO_DISPATCH_CONFIDENCE, no flags, no open repeat), and the
    job marked done. A failure anywhere (an exception, a killed worker) keeps none of it, and
    the job is tried again. Idempotent: a job already done, or an order no longer received
    (a person acted first), records nothing. Never raises a DomainError."""
    pk = as_id(order_id)
    if pk is None or not TriageJob.objects.filter(order_id=pk, done_at__isnull=True).exists():
        return []
    with actions.one_transaction():
        # The job row lock serialises two workers on one order: the second finds it done.
        job = TriageJob.objects.select_for_update().filter(order_id=pk, done_at__isnull=True).first()
        if job is None:
            return []
        made = _triage(pk)
        job.done_at, job.claimed_until, job.last_error = timezone.now(), None, ""
        job.save(update_fields=["done_at", "claimed_until", "last_error"])
    return made


def _triage(order_id: int) -> list[TriageDecision]:
    from django.conf import settings

    order = WorkOrder.objects.select_related("category", "area").filter(pk=order_id).first()
    if order is None or order.state != State.RECEIVED or order.imported:
        return []
    system = actions.system_user()
    made: list[TriageDecision] = []
    bundle = services.active_model()
    version = services.model_version(bundle)

    category, cat_conf = order.category, 1.0
    pred = services.classify(services.order_text(order.title, order.description))
    if pred is not None:
        suggested = services.category_for_label(pred.label)
        made.append(_record(
            order, DecisionKind.CLASSIFIED, confidence=pred.confidence, version=version,
            # The confidence and the words are fields of their own, each shown once beside the reason.
            reason=_("分类建议：%(label)s") % {"label": pred.label},
            label=pred.label, category=suggested.pk if suggested else None, top_words=pred.top_words,
            alternatives=pred.alternatives, agent_category=order.category_id,
        ))
        if category is None and suggested is not None:
            category, cat_conf = suggested, pred.confidence

    flags = services.screen(order)
    for f in flags:
        made.append(_record(order, DecisionKind.FLAG, code=f.code, confidence=f.confidence, reason=f.reason,
                            label=f.label, evidence=f.evidence))

    repeats = services.find_repeats(order)
    for m in repeats[:5]:
        made.append(_record(
            order, DecisionKind.REPEAT, related=m.order_id, confidence=m.score,
            reason=_("同一来电人重复诉求：前单%(n)s（%(s)s）%(o)s")
            % {"n": m.number, "s": m.state_label, "o": ("，" + m.outcome) if m.outcome else ""},
            match=m.as_dict(),
        ))

    if flags or repeats:
        _annotate(order, system, flags, repeats)

    duplicates = services.find_duplicates(order)
    best = duplicates[0] if duplicates else None
    if best is not None and _mergeable(order, best, category.pk if category else None):
        main_id = services.main_of(best)
        note = _("智能甄别：与%(n)s为同一事件（相似度%(s).2f），合并办理") % {"n": best.number, "s": best.score}
        try:
            actions.do_merge(order.pk, actor=system, main_order_id=main_id, note=note, score=best.score)
        except DomainError as exc:
            log.info("triage merge of %s refused: %s", order.pk, exc)
        else:
            made.append(_record(order, DecisionKind.MERGED, related=main_id, confidence=best.score, reason=note,
                                match=best.as_dict()))
            return made
    for m in duplicates[:3]:
        made.append(_record(
            order, DecisionKind.DUPLICATE, related=m.order_id, confidence=m.score,
            reason=_("疑似与%(n)s为同一事件（相似度%(s).2f），建议合并") % {"n": m.number, "s": m.score},
            match=m.as_dict(),
        ))

    decision, routed = _route(order, category, cat_conf, version)
    made.append(routed)
    open_repeat = any(is_open(m.state) for m in repeats)
    threshold = float(settings.HOTLINE_AUTO_DISPATCH_CONFIDENCE)
    if decision.unit_id is None or flags or open_repeat or decision.confidence < threshold:
        return made
    try:
        actions.do_dispatch(
            order.pk, actor=system, unit_id=decision.unit_id, co_unit_ids=decision.co_unit_ids,
            category_id=category.pk if (order.category_id is None and category is not None) else None,
            note=_("智能派单：%(r)s") % {"r": decision.reason_text}, confidence=decision.confidence,
        )
    except DomainError as exc:
        log.info("triage dispatch of %s refused: %s", order.pk, exc)
        return made
    made.append(_record(order, DecisionKind.AUTO_DISPATCHED, confidence=decision.confidence,
                        reason=decision.reason_text, version=version, unit=decision.unit_id, basis=decision.basis,
                        rule=decision.rule_id))
    return made


def _route(order: WorkOrder, category: Category | None, confidence: float,
           version: str) -> tuple[services.RouteDecision, TriageDecision]:
    """The routing suggestion for the dispatch board, recorded."""
    decision = services.route(order, category=category, category_confidence=confidence)
    return decision, _record(
        order, DecisionKind.ROUTED, confidence=decision.confidence, reason=decision.reason_text, version=version,
        unit=decision.unit_id, basis=decision.basis, rule=decision.rule_id, co_units=decision.co_unit_ids,
        category=category.pk if category else None,
    )


def undo_merge(order_id: int, *, actor: User, note: str) -> WorkOrder:
    """actions.do_unmerge, then the routing suggestion the order lacks (triage stopped at the
    merge): what the order page, the API and the daily review all do to undo a merge."""
    order = actions.do_unmerge(order_id, actor=actor, note=note)
    suggest_route(order_id)
    return order


def suggest_route(order_id: int) -> TriageDecision | None:
    """A routing suggestion for an order that is back on the dispatch board after its merge was
    undone (triage stopped at the merge, so it has none). Only a suggestion: a person has just
    looked at this order, so the machine does not dispatch it."""
    order = WorkOrder.objects.select_related("category", "area").filter(pk=order_id).first()
    if order is None or order.state != State.RECEIVED:
        return None
    category, confidence = order.category, 1.0
    if category is None:
        guess = (TriageDecision.objects.filter(order=order, kind=DecisionKind.CLASSIFIED)
                 .order_by("-created_at").first())
        if guess is not None and guess.payload.get("category"):
            category = Category.objects.filter(pk=guess.payload["category"]).first()
            confidence = guess.confidence or 0.0
    try:
        # A savepoint: a failure here must not break the transaction of an undone merge.
        with transaction.atomic():
            return _route(order, category, confidence, services.model_version(services.active_model()))[1]
    except Exception:  # noqa: BLE001 - the merge is already undone; a suggestion is a help, never a failure
        log.exception("routing suggestion for %s failed", order_id)
        return None


def _annotate(order: WorkOrder, system: User, flags: list[Any], repeats: list[services.Match]) -> None:
    """Put the findings in the order's own trace, where the agent and dispatcher look first."""
    parts = [_("待人工复核的甄别标记：%(f)s") % {"f": "；".join(f.reason for f in flags)}] if flags else []
    if repeats:
        parts.append(_("同一来电人此前的诉求：%(o)s") % {"o": "；".join(
            f"{m.number}（{m.state_label}{('，' + m.outcome) if m.outcome else ''}）" for m in repeats[:3])})
    try:
        actions.do_annotate(order.pk, actor=system, text=(_("智能甄别：") + "。".join(parts))[:1000])
    except DomainError as exc:
        log.info("triage note on %s refused: %s", order.pk, exc)


def _mergeable(order: WorkOrder, match: services.Match, category_id: int | None) -> bool:
    """Merge without a person only when it is near-certain: another caller, the same area and
    category (same place, same problem), a very similar text, within a few days, into an order
    that is still being handled."""
    if not order.area_id or match.score < services.merge_score():
        return False
    if category_id is None or match.category_id != category_id:
        return False
    if (order.received_at - match.received_at) > dt.timedelta(days=services.merge_days()):
        return False
    return is_open(match.state) or match.state == State.MERGED


# ---- the daily review -------------------------------------------------------------------------------


def may_review(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "role", "") in REVIEW_ROLES


def review_decision(decision_id: int, *, actor: User, outcome: str, correction: dict[str, Any] | None = None,
                    advice: str = "") -> TriageDecision:
    """Record a person's verdict on a machine decision: accept, or correct with what is right.

    Accepting a scope flag whose code is a screen-out reason screens the order out through
    actions.do_screen_out (with `advice`: where the caller should go); the machine never does.
    A correction of a classification needs {"category": id}; a correction of a flag, duplicate,
    repeat or dispatch may carry {"note": ...}; correcting an automatic merge that still stands
    undoes it through actions.do_unmerge (the note, the reason, is then required) and puts a
    routing suggestion on the dispatch board. Corrections are training data for the next model.
    Raises NotAllowed, NotFound or InvalidInput; a decision is reviewed once."""
    if not may_review(actor):
        raise NotAllowed(_("只有坐席、派单员和督办领导可以复核智能甄别结果。"))
    if outcome not in ReviewOutcome.values:
        raise InvalidInput(_("请选择确认或纠正。"), details={"outcome": [_("未知的复核结论。")]})
    pk = as_id(decision_id)
    # One transaction: the verdict and the action it takes are kept together or not at all. The
    # decision row is locked before "already reviewed" is checked, so of two reviewers at once
    # the second waits, then is told; the action then locks the order (decision, then order:
    # the one lock order here, and triage never locks a decision).
    with actions.one_transaction():
        d = TriageDecision.objects.select_for_update().filter(pk=pk).first() if pk is not None else None
        if d is None:
            raise NotFound(_("记录不存在。"))
        if d.review_outcome:
            raise InvalidInput(_("这条记录已经复核过了。"), code="already_reviewed")
        order = WorkOrder.objects.get(pk=d.order_id)
        fix: dict[str, Any] = {}
        correction = correction or {}
        if outcome == ReviewOutcome.CORRECT:
            if d.kind == DecisionKind.CLASSIFIED:
                cat = Category.objects.filter(pk=as_id(correction.get("category")), active=True).first()
                if cat is None:
                    raise InvalidInput(_("请选择正确的分类。"), details={"category": [_("必填。")]})
                fix = {"category": cat.pk, "path": cat.path}
            else:
                fix = {"note": str(correction.get("note", ""))[:300], "wrong": d.kind}
            if d.kind == DecisionKind.MERGED and order.state == State.MERGED and (
                    order.main_order_id == d.related_order_id):
                # A wrong merge is undone, not just noted: the caller's request goes back to the board.
                undo_merge(d.order_id, actor=actor, note=fix["note"])
        elif d.kind == DecisionKind.FLAG and d.code in actions.SCREEN_REASONS and order.state == State.RECEIVED:
            # Confirming an out-of-remit flag is the agent's screen-out decision, with advice.
            actions.do_screen_out(d.order_id, actor=actor, reason=d.code, advice=advice)
        d.review_outcome, d.reviewed_by, d.reviewed_at, d.correction = outcome, actor, timezone.now(), fix
        d.save(update_fields=["review_outcome", "reviewed_by", "reviewed_at", "correction"])
    return d


# ---- retraining -------------------------------------------------------------------------------------


def training_rows() -> tuple[list[str], list[str], list[str], list[str]]:
    """(texts, category paths) from orders whose category a person confirmed (closed orders,
    and corrections made in the daily review), and (router texts, unit ids) from dispatches made
    by people or by the responsibility list."""
    texts, cats = [], []
    corrected = {
        d.order_id: d.correction["path"]
        for d in TriageDecision.objects.filter(kind=DecisionKind.CLASSIFIED, review_outcome=ReviewOutcome.CORRECT)
        if d.correction.get("path")
    }
    closed = WorkOrder.objects.filter(state=State.CLOSED, category__isnull=False).select_related("category")
    seen = set()
    for o in closed.iterator(chunk_size=2000):
        seen.add(o.pk)
        texts.append(services.order_text(o.title, o.description))
        cats.append(corrected.get(o.pk, o.category.path))
    for o in WorkOrder.objects.filter(pk__in=set(corrected) - seen).iterator():
        texts.append(services.order_text(o.title, o.description))
        cats.append(corrected[o.pk])
    rtexts, units = [], []
    dispatched = (Event.objects.filter(action__in=["dispatch", "accept_return", "escalate"])
                  .select_related("order__category", "order__area").order_by("order_id", "seq"))
    last: dict[int, tuple[str, str]] = {}
    for e in dispatched.iterator(chunk_size=2000):
        o = e.order
        unit = e.data.get("unit")
        if unit is None:
            continue
        text = services.router_text(o.category.path if o.category_id else "", o.area.name if o.area_id else "",
                                    o.title, o.description)
        last[o.pk] = (text, str(unit))  # the order's final unit is the lesson, not the first guess
    for text, unit in last.values():
        rtexts.append(text)
        units.append(unit)
    return texts, cats, rtexts, units


def retrain_from_orders(*, min_rows: int = 20) -> dict[str, Any]:
    """Train the category model and the router from the system's own orders and review
    corrections, and make them active. Returns what was trained (or why not)."""
    texts, cats, rtexts, units = training_rows()
    report: dict[str, Any] = {}
    for name, xs, ys, kind in ((services.CATEGORY_MODEL, texts, cats, "category"),
                               (services.ROUTER_MODEL, rtexts, units, "router")):
        counts = Counter(ys)
        if len(xs) < min_rows or len(counts) < 2:
            report[kind] = {"trained": False, "rows": len(xs), "why": _("训练数据不足")}
            continue
        try:
            model = TextClassifier().fit(xs, ys)
        except ModelError as exc:
            report[kind] = {"trained": False, "rows": len(xs), "why": str(exc)}
            continue
        save_model(model, services.model_path(name), kind=kind, source="orders")
        report[kind] = {"trained": True, "rows": len(xs), "classes": len(counts)}
    return report


# ---- published statistics ---------------------------------------------------------------------------


def flag_statistics(*, since: dt.date | None = None) -> list[dict[str, Any]]:
    """Per month and flag category: how many requests the machine flagged, how many a person
    confirmed or overrode, and how many orders were screened out for that reason. One row per
    (month, code) with any count; months as "YYYY-MM"."""
    flags = TriageDecision.objects.filter(kind=DecisionKind.FLAG)
    screened = WorkOrder.objects.filter(state=State.SCREENED_OUT).exclude(screen_reason="")
    if since is not None:
        start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
        flags = flags.filter(created_at__gte=start)
        screened = screened.filter(closed_at__gte=start)
    rows: dict[tuple[str, str], dict[str, Any]] = {}

    def row(month: Any, code: str) -> dict[str, Any]:
        key = (timezone.localtime(month).strftime("%Y-%m") if isinstance(month, dt.datetime)
               else f"{month:%Y-%m}", code)
        return rows.setdefault(key, {"month": key[0], "code": code,
                                     "label": _(FLAG_LABELS[code]) if code in FLAG_LABELS else actions.SCREEN_REASONS.get(code, code),
                                     "flagged": 0, "confirmed": 0, "overridden": 0, "screened_out": 0})

    tz = timezone.get_current_timezone()
    for r in (flags.annotate(m=TruncMonth("created_at", tzinfo=tz)).values("m", "code", "review_outcome")
              .annotate(n=Count("id"))):
        target = row(r["m"], r["code"])
        target["flagged"] += r["n"]
        if r["review_outcome"] == ReviewOutcome.ACCEPT:
            target["confirmed"] += r["n"]
        elif r["review_outcome"] == ReviewOutcome.CORRECT:
            target["overridden"] += r["n"]
    for r in (screened.annotate(m=TruncMonth("closed_at", tzinfo=tz)).values("m", "screen_reason")
              .annotate(n=Count("id"))):
        row(r["m"], r["screen_reason"])["screened_out"] += r["n"]
    return [rows[k] for k in sorted(rows)]
