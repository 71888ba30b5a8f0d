"""The workspace of each role: intake, dispatch board, unit inbox, review queue, callback console."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.contrib import messages
from django.db.models import Count, Exists, F, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from hotline.directory.models import Area, Category, Unit
from hotline.directory.responsibility import RuleBook
from hotline.directory.roles import Role
from hotline.errors import DomainError
from hotline.orders import actions as do
from hotline.orders import deadlines
from hotline.orders.actions import EFFECT_QUESTIONS
from hotline.orders.models import (
    Callback,
    CallerMark,
    CoPart,
    Event,
    ExtensionRequest,
    OrderReturn,
    Reply,
    Review,
    WorkOrder,
)
from hotline.orders.selectors import (
    active_marks,
    caller_history,
    due_soon,
    orders_visible_to,
    overdue,
    supervision_tab,
    supervisions_visible_to,
    with_overdue,
)
from hotline.orders.states import PROACTIVE_SOURCES, State
from hotline.orders.validation import as_id, normalise_phone
from hotline.triage import services as triage_services
from hotline.triage.services import board_suggestions

from ..actions import apply_domain_error
from ..forms import IntakeForm, RedoForm
from .common import paginate, roles_required

R = Role


# ---- intake ---------------------------------------------------------------------------------------


INTAKE_KEY = "intake_key"  # the idempotency key of the call being taken, until it is recorded
INTAKE_RECENT = "intake_recent"  # [fingerprint, order id, unix time] of the calls recorded lately
RESUBMIT_WINDOW_S = 30 * 60


def _intake_key(request: HttpRequest) -> str:
    """The key of the call now being taken: kept in the session until an order is created with
    it, so a reload or the Back button shows the same key again."""
    key = request.session.get(INTAKE_KEY)
    if not key:
        key = request.session[INTAKE_KEY] = uuid.uuid4().hex
    return key


def _fingerprint(d: dict[str, Any]) -> str:
    """The call's own words. Not the phone or the selects: a browser that restores the form after
    Back restores the text but not every field (the phone field has autocomplete off)."""
    text = "\x1f".join(" ".join(str(d.get(k) or "").split()) for k in ("title", "description"))
    return hashlib.sha256(text.encode()).hexdigest()


def _recent_resubmission(request: HttpRequest, fingerprint: str, phone: str) -> int | None:
    """The order this agent recorded lately from exactly the same form (the Back button, then
    submit again, with a page the browser fetched anew and so a new key). The same words with
    another caller's number are another call (two neighbours reading out the same notice): only
    an empty number (the browser did not restore it) or the same one counts as the same call."""
    now = timezone.now().timestamp()
    for fp, order_id, at, *rest in request.session.get(INTAKE_RECENT, []):
        recorded_phone = rest[0] if rest else ""
        if fp == fingerprint and now - at < RESUBMIT_WINDOW_S and phone in ("", recorded_phone):
            return int(order_id)
    return None


def _already_recorded(request: HttpRequest, order_id: int) -> HttpResponse:
    order = orders_visible_to(request.user).filter(pk=order_id).first()  # type: ignore[arg-type]
    if order is not None:
        messages.info(request, _("此来电已登记为工单 %(n)s，没有重复受理。") % {"n": order.number})
    return redirect("web:intake_done", order_id=order_id)


@roles_required(R.AGENT, R.DISPATCHER)
def intake(request: HttpRequest) -> HttpResponse:
    """Take a call: the form on the left; suggestions and the caller's history beside it.

    A resubmitted call (a double click, a reload, the Back button and submit again) is recorded
    once: the same key returns the same order, and the same form again from this agent within
    half an hour, even with a new key, is recognised and leads to the order already made."""
    if request.method == "POST":
        form = IntakeForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            key = d["idempotency_key"] or None
            fingerprint = _fingerprint(d)
            before = WorkOrder.objects.filter(idempotency_key=key).values_list("pk", flat=True).first() if key else None
            phone = normalise_phone(d["caller_phone"])
            if before is None and (again := _recent_resubmission(request, fingerprint, phone)) is not None:
                return _already_recorded(request, again)
            data = do.Intake(
                title=d["title"], description=d["description"], caller_name=d["caller_name"],
                caller_phone=d["caller_phone"], channel=d["channel"], address=d["address"],
                area_id=d["area"].pk if d["area"] else None, category_id=d["category"].pk if d["category"] else None,
                urgency=d["urgency"], idempotency_key=key,
            )
            try:
                order = do.do_create(data, actor=request.user)  # type: ignore[arg-type]
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                if before is not None and order.pk == before:
                    return _already_recorded(request, order.pk)
                recent = [r for r in request.session.get(INTAKE_RECENT, []) if r[1] != order.pk][-9:]
                request.session[INTAKE_RECENT] = [*recent, [fingerprint, order.pk, timezone.now().timestamp(), phone]]
                request.session[INTAKE_KEY] = uuid.uuid4().hex  # the next call gets its own key
                messages.success(request, _("已受理，工单编号 %(n)s。") % {"n": order.number})
                return redirect("web:intake_done", order_id=order.pk)
        response = render(request, "web/intake.html", {"form": form}, status=400)
    else:
        response = render(request, "web/intake.html", {"form": IntakeForm(initial={"idempotency_key": _intake_key(request)})})
    # Never from the cache: Back shows the form as the server has it now (the current key).
    patch_cache_control(response, no_store=True)
    return response


@roles_required(R.AGENT, R.DISPATCHER)
def intake_done(request: HttpRequest, order_id: int) -> HttpResponse:
    order = orders_visible_to(request.user).filter(pk=order_id).first()  # type: ignore[arg-type]
    return render(request, "web/intake_done.html", {"order": order})


@roles_required(R.AGENT, R.DISPATCHER)
def intake_suggest(request: HttpRequest) -> HttpResponse:
    """As the agent types: the suggested category and responsible unit, and this caller's
    earlier requests (possible repeats)."""
    p = request.POST
    title, description = p.get("title", "")[:500], p.get("description", "")[:5000]
    phone = normalise_phone(p.get("caller_phone", ""))[:30]
    area = Area.objects.filter(pk=as_id(p.get("area"))).first()
    category = Category.objects.filter(pk=as_id(p.get("category"))).first()
    suggestion: dict[str, Any] = {}
    try:
        suggestion = triage_services.suggest(title=title, description=description, phone=phone,
                                             area_id=area.pk if area else None,
                                             category_id=category.pk if category else None) or {}
    except Exception:  # noqa: BLE001 - suggestions are a help, never a reason to fail intake
        suggestion = {}
    history = list(caller_history(phone)[:8]) if len(phone) >= 5 else []
    # The marks on this number's record: shown to the agent, never a block (the call is taken).
    marks = list(active_marks(phone)[:10]) if len(phone) >= 5 else []
    # The unit comes only from the suggestion (routed by the form's category when the agent chose
    # one): one source, so the panel never names a unit for another category than the form's.
    # The category's deadline rule: its reply limit, and the urgency the form pre-selects for it
    # (fill.js sets it once per category chosen; the agent may still change it).
    rule = deadlines.rule_in_force(category.pk) if category is not None else None
    return render(request, "web/_intake_suggest.html", {
        "suggestion": suggestion, "category": category, "history": history, "marks": marks,
        "offer": suggestion.get("category_id") if category is None else None,
        "deadline_rule": rule,
    })



# ---- dispatch board -------------------------------------------------------------------------------


@roles_required(R.DISPATCHER, R.SUPERVISOR)
def dispatch_board(request: HttpRequest) -> HttpResponse:
    """Orders waiting for dispatch, returns waiting for arbitration, overdue and due soon."""
    visible = orders_visible_to(request.user)  # type: ignore[arg-type]
    tab = request.GET.get("tab", "received")
    # Whether the caller's number has a mark in force (shown on the row; the order is dispatched as any).
    marked = CallerMark.objects.filter(phone=OuterRef("caller_phone"), lifted_at__isnull=True,
                                       expires_at__gt=timezone.now())
    base = visible.select_related("category", "area", "lead_unit").annotate(caller_marked=Exists(marked))
    if tab == "returned":
        qs = base.filter(state=State.RETURNED).order_by("updated_at")
    elif tab == "overdue":
        qs = overdue(base).order_by("reply_due")
    elif tab == "due_soon":
        qs = due_soon(base).order_by("reply_due")
    elif tab == "extensions":
        pending = ExtensionRequest.objects.filter(order=OuterRef("pk"), status=ExtensionRequest.Status.PENDING)
        qs = base.filter(Exists(pending), state=State.IN_PROGRESS).order_by("reply_due")
    else:
        tab = "received"
        qs = base.filter(state=State.RECEIVED).order_by("received_at")
    page = paginate(request, qs, 25)
    book = RuleBook.load()
    orders = list(page.object_list)
    # One suggestion per order, from the one function every page uses (triage.services).
    suggested = board_suggestions(orders) if tab == "received" else {}
    rows = []
    for order in orders:
        row: dict[str, Any] = {"order": order, "rule": book.lookup(order.category_id, order.area_id),
                               "s": suggested.get(order.pk)}
        if tab == "returned":
            row["ret"] = order.returns.filter(outcome=OrderReturn.Outcome.PENDING).select_related("unit", "suggested_unit", "rule_cited").first()
            row["previous_returns"] = order.return_count
        rows.append(row)
    units = list(Unit.objects.filter(active=True, handles_orders=True).order_by("kind", "name").values_list("id", "name"))
    counts = {
        "received": visible.filter(state=State.RECEIVED).count(),
        "returned": visible.filter(state=State.RETURNED).count(),
        "overdue": overdue(visible).count(),
        "due_soon": due_soon(visible).count(),
    }
    return render(request, "web/dispatch.html", {"tab": tab, "page": page, "rows": rows, "counts": counts, "units": units})


# ---- unit inbox -----------------------------------------------------------------------------------


@roles_required(R.HANDLER, R.UNIT_HEAD)
def inbox(request: HttpRequest) -> HttpResponse:
    """A unit's orders: new ones to sign, in progress with their clocks, redo, co-handled, and
    undispatched orders in its area it may claim."""
    user = request.user
    unit_id = user.unit_id  # type: ignore[union-attr]
    now = timezone.now()
    # Each row's overdue tag by the rule that counts them (selectors.overdue_q).
    visible = with_overdue(orders_visible_to(user), now).select_related("category", "area")  # type: ignore[arg-type]
    led = visible.filter(lead_unit_id=unit_id)
    sections = [
        ("to_sign", _("待签收"), led.filter(state=State.DISPATCHED).order_by("sign_due")[:50]),
        ("redo", _("驳回重办 / 重新办理"), led.filter(state=State.IN_PROGRESS, redo_count__gt=0).order_by("reply_due")[:50]),
        ("in_progress", _("办理中"), led.filter(state=State.IN_PROGRESS).order_by("reply_due")[:100]),
        ("replied", _("已答复待审核"), led.filter(state=State.REPLIED).order_by("-replied_at")[:30]),
        ("returned", _("已回退待裁定"), led.filter(state=State.RETURNED).order_by("-updated_at")[:30]),
        ("co", _("协办工单"), visible.filter(co_units__id=unit_id).exclude(lead_unit_id=unit_id)
         .filter(state__in=[State.DISPATCHED, State.IN_PROGRESS, State.REPLIED]).order_by("reply_due")[:50]),
        # joint handling: the orders it leads whose co-units are late with their part
        ("co_overdue", _("协办单位超期未答复"), led.filter(
            state__in=[State.DISPATCHED, State.IN_PROGRESS], co_parts__state__in=["assigned", "signed"],
            co_parts__due__lt=now).distinct().order_by("reply_due")[:50]),
        ("claimable", _("辖区内待派工单（可主动认领）"), visible.filter(state=State.RECEIVED).order_by("received_at")[:30]),
    ]
    # The unit sees why its reply was sent back: the latest redo review's ticked reasons and note.
    sections = [(key, title, list(orders)) for key, title, orders in sections]
    redo_orders = [o for key, _t, orders in sections if key in {"redo", "in_progress"} for o in orders if o.redo_count]
    latest: dict[int, Review] = {}
    for rv in Review.objects.filter(order_id__in={o.pk for o in redo_orders}, decision=Review.Decision.REDO).order_by("at"):
        latest[rv.order_id] = rv
    for o in redo_orders:
        o.last_redo = latest.get(o.pk)
    # Supervised orders (督办) with their own feedback deadline, the nearest first.
    supervised = list(supervision_tab(supervisions_visible_to(user), "active", now)  # type: ignore[arg-type]
                      .select_related("order").order_by("due", "pk")[:50])
    # each co-handled order with the unit's own part (its clock, its state); each led order with
    # its late parts
    co_orders = [o for key, _t, orders in sections if key == "co" for o in orders]
    parts = {p.order_id: p for p in CoPart.objects.filter(order_id__in={o.pk for o in co_orders}, unit_id=unit_id)}
    for o in co_orders:
        o.my_part = parts.get(o.pk)
    late_of = [o for key, _t, orders in sections if key == "co_overdue" for o in orders]
    late: dict[int, list[CoPart]] = {}
    for p in (CoPart.objects.filter(order_id__in={o.pk for o in late_of}, state__in=["assigned", "signed"], due__lt=now)
              .select_related("unit").order_by("due")):
        late.setdefault(p.order_id, []).append(p)
    for o in late_of:
        o.late_parts = late.get(o.pk, [])
    return render(request, "web/inbox.html", {"sections": sections, "now": now, "supervised": supervised,
                                              "overdue": overdue(led, now).count()})


# ---- review queue ---------------------------------------------------------------------------------


REVIEW_SORTS = {
    # Default: the reply clock. A reply whose order is nearest (or furthest past) its promised
    # time is the one the caller has waited longest for against the promise; a redo comes back
    # with a later due time, so a first reply is not pushed behind it.
    "due": ("reply_due", "replied_at", "pk"),
    "oldest": ("replied_at", "pk"),
    "newest": ("-replied_at", "-pk"),
    "redo": ("-redo_count", "reply_due", "pk"),
}


@roles_required(R.REVIEWER, R.SUPERVISOR)
def review_queue(request: HttpRequest) -> HttpResponse:
    """Replies waiting for review, 30 a page, filterable (unit, category, overdue, redo round)
    and sortable (due time first by default), each beside the request, its trace, and any
    earlier rejection (reasons, reviewer, time)."""
    from urllib.parse import urlencode

    qs = orders_visible_to(request.user).filter(state=State.REPLIED).select_related(  # type: ignore[arg-type]
        "lead_unit", "category")
    g = request.GET
    unit_id, category_id = as_id(g.get("unit")), as_id(g.get("category"))
    if unit_id is not None:
        qs = qs.filter(lead_unit_id=unit_id)
    if category_id is not None:
        path = Category.objects.filter(pk=category_id).values_list("path", flat=True).first()
        # the category and everything under it
        qs = qs.filter(Q(category__path=path) | Q(category__path__startswith=f"{path}/")) if path else qs.none()
    if g.get("overdue"):
        qs = qs.filter(replied_at__gt=F("reply_due"))
    redo = g.get("redo", "")
    if redo == "first":
        qs = qs.filter(redo_count=0)
    elif redo == "redo":
        qs = qs.filter(redo_count__gt=0)
    sort = g.get("sort") if g.get("sort") in REVIEW_SORTS else "due"
    qs = qs.order_by(*REVIEW_SORTS[sort])
    page = paginate(request, qs, 30)
    orders = list(page.object_list)
    ids = [o.pk for o in orders]
    # A fixed number of queries for the page: replies with evidence, reviews and events in bulk.
    replies: dict[int, Any] = {}
    for r in Reply.objects.filter(order_id__in=ids).prefetch_related("evidence", "co_parts__unit").order_by("round"):
        replies[r.order_id] = r
    rejections: dict[int, list[Any]] = {}
    for rv in Review.objects.filter(order_id__in=ids, decision=Review.Decision.REDO).select_related(
            "reviewer", "reply").order_by("at"):
        rejections.setdefault(rv.order_id, []).append(rv)
    events: dict[int, list[Any]] = {}
    for e in Event.objects.filter(order_id__in=ids).select_related("actor").order_by("-seq"):
        events.setdefault(e.order_id, []).append(e)
    rows = []
    for order in orders:
        reply = replies.get(order.pk)
        rows.append({
            "order": order, "reply": reply, "redo_form": RedoForm(prefix="redo", use_required_attribute=False),  # one form, two buttons
            "events": events.get(order.pk, [])[:8], "rejections": rejections.get(order.pk, []),
            "brush_off": bool(reply and _brush_off(reply)),
        })
    filters = {k: g.get(k, "") for k in ("unit", "category", "overdue", "redo", "sort") if g.get(k)}
    return render(request, "web/review.html", {
        "page": page, "rows": rows, "query": urlencode(filters), "f": filters, "sort": sort,
        "effect_fields": list(EFFECT_QUESTIONS),
        "units": Unit.objects.filter(active=True, handles_orders=True).order_by("kind", "name").values_list("id", "name"),
        "categories": Category.objects.filter(active=True, level=1).order_by("path").values_list("id", "path"),
    })


def _brush_off(reply: Any) -> bool:
    from hotline.orders.procedures import looks_like_brush_off

    return looks_like_brush_off(reply.process, reply.outcome)


# ---- callback console -----------------------------------------------------------------------------


def callback_queue(user: Any) -> Any:
    """Orders to call back: awaiting callback, and merged orders whose main order has been
    replied to, whose caller has not been reached yet. Proactive orders have no caller: the
    centre verifies them (views.proactive)."""
    reached = Callback.objects.filter(order=OuterRef("pk"), reached=True)
    visible = orders_visible_to(user)
    return visible.filter(
        Q(state=State.AWAITING_CALLBACK)
        | Q(state=State.MERGED, main_order__state__in=[State.AWAITING_CALLBACK, State.CLOSED])
    ).exclude(Exists(reached)).exclude(source__in=sorted(PROACTIVE_SOURCES)).annotate(
        attempts=Count("callbacks")).order_by("attempts", "updated_at")


@roles_required(R.CALLBACK, R.SUPERVISOR)
def callback_console(request: HttpRequest) -> HttpResponse:
    """The next order to call back, its caller's number, the questions, and the queue."""
    from ..forms import AttemptForm, CallbackForm

    queue = callback_queue(request.user).select_related("lead_unit", "main_order", "category")
    current = queue.first()
    context: dict[str, Any] = {"queue": queue[:30], "total": queue.count(), "current": current}
    if current is not None:
        context.update({
            "reply": (current.main_order or current).replies.order_by("-round").first(),
            "form": CallbackForm(prefix="callback"), "attempt_form": AttemptForm(prefix="callback_attempt"),
            "attempts": current.callbacks.filter(reached=False).order_by("at"),
        })
    return render(request, "web/callback.html", context)

