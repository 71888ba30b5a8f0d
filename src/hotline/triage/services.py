"""The triage service's small interfaces (DESIGN.md, "models behind interfaces"):

    classify(text) -> Prediction | None        category suggestion, confidence, the words behind it
    route(order)   -> RouteDecision            lead unit by the responsibility list, else a model
    find_duplicates(order) -> list[Match]      other callers, same place and problem, last 90 days
    find_repeats(order)    -> list[Match]      the same caller, the same matter, last 90 days
    screen(order)  -> list[Flag]               out of remit, private interest, abusive, frequent caller
    suggest(title, description, phone, area_id) -> dict   for the intake form

All of them only read. The pipeline that acts on these answers (through orders/actions.py, as
the system actor) is in pipeline.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.directory import snapshot
from hotline.directory.models import Area, Category, Unit
from hotline.orders import actions
from hotline.orders.models import STATE_LABELS, Reply, WorkOrder
from hotline.orders.states import State
from hotline.orders.validation import as_id, normalise_phone

from .models import DecisionKind, ReviewOutcome, TriageDecision
from .screening import FLAG_LABELS, Flag, screen_text
from .similarity import jaccard, shingles
from .textmodel import Prediction
from .training import MODELS

CATEGORY_MODEL = "category.joblib"
ROUTER_MODEL = "router.joblib"


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


# Tunables (settings may override; defaults measured on hot_issues.csv, see bench_duplicates.py).
WINDOW_DAYS = 90
MAX_CANDIDATES = 5000


def duplicate_score() -> float:
    return float(_setting("HOTLINE_TRIAGE_DUPLICATE_SCORE", 0.35))


def merge_score() -> float:
    return float(_setting("HOTLINE_TRIAGE_MERGE_SCORE", 0.45))


def merge_days() -> int:
    return int(_setting("HOTLINE_TRIAGE_MERGE_DAYS", 7))


def repeat_score() -> float:
    return float(_setting("HOTLINE_TRIAGE_REPEAT_SCORE", 0.25))


def frequent_calls() -> int:
    return int(_setting("HOTLINE_TRIAGE_FREQUENT_CALLS", 8))


def model_path(name: str) -> Path:
    return Path(settings.HOTLINE_MODEL_DIR) / name


def order_text(title: str, description: str) -> str:
    return f"{title or ''}\n{description or ''}"


# ---- classification ---------------------------------------------------------------------------------


def active_model(name: str = CATEGORY_MODEL) -> dict[str, Any] | None:
    """The saved model bundle, loaded once per process and reloaded when its file changes."""
    return MODELS.get(model_path(name))


def model_version(bundle: dict[str, Any] | None) -> str:
    if not bundle:
        return ""
    return f"{bundle.get('kind', 'model')}@{int(bundle.get('trained_at', 0))}"


def classify(text: str) -> Prediction | None:
    """The active category model's prediction for a request's text (title and description),
    or None when no model has been trained yet or the text has no letters or digits at all.
    Never raises on odd text (empty, very long, emoji, mixed scripts)."""
    bundle = active_model()
    if bundle is None or not any(ch.isalnum() for ch in (text or "")[:5000]):
        return None  # nothing to go on (empty, emoji only): no suggestion beats a random one
    return bundle["classifier"].explain([text])[0]


def category_for_label(label: str) -> Category | None:
    """The active category a model label names: its full path, or else a unique name."""
    label = (label or "").strip()
    if not label:
        return None
    cat = Category.objects.filter(path=label, active=True).first()
    if cat is not None:
        return cat
    named = list(Category.objects.filter(name=label, active=True)[:2])
    return named[0] if len(named) == 1 else None


# ---- routing ----------------------------------------------------------------------------------------


@dataclass
class RouteDecision:
    """Where an order should go and why. basis: "rule" (the responsibility list), "model"
    (learned from past dispatches, used only where the list has no rule) or "none"."""

    unit_id: int | None
    basis: str
    rule_id: int | None = None
    confidence: float = 0.0
    reason_text: str = ""
    co_unit_ids: list[int] = field(default_factory=list)


def route(order: WorkOrder, *, category: Category | None = None, category_confidence: float = 1.0) -> RouteDecision:
    """Route `order` (saved or not) with `category` (default: its own). The confidence of a rule
    decision is the confidence in the category (1.0 when an agent chose it)."""
    category = category or order.category
    rule = actions.rule_for(category, order.area) if category is not None else None
    if rule is not None:
        # The confidence is the decision's own field, shown beside the reason: not repeated in it.
        reason = _("依据%(rule)s（%(unit)s）") % {"rule": rule.label, "unit": rule.lead_unit.name}
        return RouteDecision(rule.lead_unit_id, "rule", rule.pk, round(category_confidence, 4), reason,
                             list(rule.co_units.values_list("id", flat=True)))
    bundle = active_model(ROUTER_MODEL)
    if bundle is not None:
        text = router_text(category.path if category else "", order.area.name if order.area_id else "",
                           order.title, order.description)
        pred = bundle["classifier"].explain([text], top=3)[0]
        unit = Unit.objects.filter(pk=as_id(pred.label), active=True, handles_orders=True).first()
        if unit is not None:
            conf = round(pred.confidence * category_confidence, 4)
            return RouteDecision(unit.pk, "model", None, conf,
                                 _("模型建议：%(unit)s") % {"unit": unit.name})
    if category is None:
        return RouteDecision(None, "none", reason_text=_("无法确定分类，需人工派单"))
    return RouteDecision(None, "none", reason_text=_("权责清单无对应条目，需人工派单"))


def router_text(category_path: str, area_name: str, title: str, description: str) -> str:
    # The category and area go in as their own tokens so the router can learn "this category in
    # this street goes to that unit" alongside the words.
    return f"分类{category_path} 区域{area_name}\n{title}\n{description}"


# ---- repeats and duplicates -------------------------------------------------------------------------


@dataclass
class Match:
    """An earlier order that looks like the same matter: its id and number, how similar
    (0–1), whether it is the same caller, its state and outcome so far."""

    order_id: int
    number: str
    title: str
    score: float
    same_caller: bool
    state: str
    state_label: str
    received_at: dt.datetime
    outcome: str = ""
    main_order_id: int | None = None
    category_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["received_at"] = self.received_at.isoformat()
        return d


def _candidates(order: WorkOrder) -> Any:
    at = order.received_at or timezone.now()
    qs = WorkOrder.objects.filter(received_at__gte=at - dt.timedelta(days=WINDOW_DAYS), received_at__lte=at)
    if order.pk:
        qs = qs.exclude(pk=order.pk)
    return qs.only("id", "number", "title", "description", "state", "received_at", "caller_phone",
                   "main_order_id", "area_id", "category_id").order_by("-received_at")


def _outcomes(ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for r in Reply.objects.filter(order_id__in=ids).order_by("order_id", "round"):
        out[r.order_id] = f"{r.get_result_display()}：{r.outcome}"[:200]
    return out


def _matches(order: WorkOrder, qs: Any, threshold: float, *, same_caller: bool) -> list[Match]:
    mine = shingles(order_text(order.title, order.description))
    at = order.received_at or timezone.now()
    scored: list[tuple[float, WorkOrder]] = []
    for other in qs[:MAX_CANDIDATES]:
        s = jaccard(mine, shingles(order_text(other.title, other.description)))
        if same_caller and order.category_id and other.category_id == order.category_id:
            # The same caller on the same kind of matter within the window is a repeat in the
            # hotline's own definition, however differently it is worded the next time.
            s = 0.5 + 0.5 * s
        elif not same_caller:
            # "Close in time": the same pothole reported two months apart is more likely a new one.
            days = max(0.0, (at - other.received_at).total_seconds() / 86400)
            s *= 1.0 if days <= 3 else max(0.7, 1.0 - 0.3 * (days - 3) / (WINDOW_DAYS - 3))
        if s >= threshold:
            scored.append((s, other))
    scored.sort(key=lambda p: (-p[0], -p[1].received_at.timestamp()))
    top = scored[:10]
    outcomes = _outcomes([o.pk for _s, o in top])
    return [
        Match(o.pk, o.number, o.title, round(s, 4), same_caller, o.state, str(STATE_LABELS[State(o.state)]),
              o.received_at, outcomes.get(o.pk, ""), o.main_order_id, o.category_id)
        for s, o in top
    ]


def find_duplicates(order: WorkOrder, *, threshold: float | None = None) -> list[Match]:
    """Other callers' orders about the same event: same area, similar text, in the 90 days
    before this order, best first. Screened-out orders are not candidates."""
    threshold = duplicate_score() if threshold is None else threshold
    qs = _candidates(order).exclude(state=State.SCREENED_OUT)
    if order.area_id:
        qs = qs.filter(area_id=order.area_id)
    if order.caller_phone:
        qs = qs.exclude(caller_phone=order.caller_phone)
    return _matches(order, qs, threshold, same_caller=False)


def find_repeats(order: WorkOrder, *, threshold: float | None = None) -> list[Match]:
    """The same caller's earlier orders about the same matter in the last 90 days, most similar
    first, each with its state and the outcome the unit replied (if any)."""
    phone = normalise_phone(order.caller_phone)
    if not phone:
        return []
    threshold = repeat_score() if threshold is None else threshold
    return _matches(order, _candidates(order).filter(caller_phone=phone), threshold, same_caller=True)


def main_of(match: Match) -> int:
    """The order a duplicate should be merged into: the match itself, or its own main order."""
    node_id, hops = match.order_id, 0
    main_id = match.main_order_id
    while main_id is not None and hops < 20:
        node_id = main_id
        main_id = WorkOrder.objects.filter(pk=node_id).values_list("main_order_id", flat=True).first()
        hops += 1
    return node_id


# ---- screening --------------------------------------------------------------------------------------


def caller_pattern(phone: str, *, before: dt.datetime | None = None, exclude_id: int | None = None) -> dict[str, int]:
    """A caller's last 30 days: calls, repeats flagged by triage, requests screened out, and
    machine flags that a person confirmed."""
    phone = normalise_phone(phone)
    if not phone:
        return {"calls": 0, "repeats": 0, "screened_out": 0, "confirmed_flags": 0}
    before = before or timezone.now()
    recent = WorkOrder.objects.filter(caller_phone=phone, received_at__gte=before - dt.timedelta(days=30),
                                      received_at__lte=before)
    if exclude_id:
        recent = recent.exclude(pk=exclude_id)
    ids = list(recent.values_list("id", flat=True))
    decisions = TriageDecision.objects.filter(order_id__in=ids)
    return {
        "calls": len(ids),
        "repeats": decisions.filter(kind=DecisionKind.REPEAT).values("order_id").distinct().count(),
        "screened_out": recent.filter(state=State.SCREENED_OUT).count(),
        "confirmed_flags": decisions.filter(kind=DecisionKind.FLAG, review_outcome=ReviewOutcome.ACCEPT)
        .exclude(code="frequent_caller").count(),
    }


def screen(order: WorkOrder) -> list[Flag]:
    """Flags for a person to confirm or override: keyword rules on the text, and a frequent
    caller (many calls in 30 days, or several with earlier requests screened out)."""
    flags = screen_text(order.title, order.description)
    pattern = caller_pattern(order.caller_phone, before=order.received_at, exclude_id=order.pk)
    unreasonable = pattern["screened_out"] + pattern["confirmed_flags"]
    if pattern["calls"] + 1 >= frequent_calls() or (pattern["calls"] >= 2 and unreasonable >= 2):
        evidence = [
            _("30天内来电%(n)d次") % {"n": pattern["calls"] + 1},
            _("其中重复诉求%(n)d次") % {"n": pattern["repeats"]},
            _("不予受理或经确认不合理%(n)d次") % {"n": unreasonable},
        ]
        conf = 0.9 if unreasonable >= 2 else 0.6
        flags.append(Flag("frequent_caller", FLAG_LABELS["frequent_caller"], evidence, conf))
    return flags


# ---- the intake form --------------------------------------------------------------------------------


def suggest(title: str, description: str, phone: str = "", area_id: int | None = None,
            category_id: int | None = None) -> dict[str, Any]:
    """What triage would propose for a request still being typed in, for the intake form.

    Returns a JSON-ready dict:
        {"category": {"id", "path", "label", "confidence", "top_words"} | None,
         "unit": {"id", "name", "basis", "rule_id", "confidence", "reason"} | None,
         "repeats": [{"order_id", "number", "title", "score", "state", "state_label",
                      "received_at" (ISO), "outcome"}, ...],   # this caller, same matter, 90 days
         "duplicates": [... same shape ...],                    # other callers, same area
         "flags": [{"code", "label", "evidence", "confidence"}, ...],
         # the same, flat, for templates:
         "category_id", "category_label", "confidence", "top_words", "unit_id", "unit_label",
         "unit_reason"}
    `category` is None without a trained model; `unit` is None when nothing can route it (the
    flat keys are then None / "" / []).
    With `category_id` (the agent chose one) the unit is routed by that category, so the panel
    never shows a unit for another category than the form's.
    Never raises on bad input (unknown area, odd text)."""
    area = Area.objects.filter(pk=as_id(area_id)).first() if area_id not in (None, "") else None
    draft = WorkOrder(title=(title or "")[:200], description=(description or "")[:20000],
                      caller_phone=normalise_phone(phone or "")[:20], area=area, received_at=timezone.now())
    pred = classify(order_text(draft.title, draft.description)) if (title or description) else None
    category = category_for_label(pred.label) if pred else None
    out: dict[str, Any] = {"category": None, "unit": None, "repeats": [], "duplicates": [], "flags": []}
    if pred is not None:
        out["category"] = {"id": category.pk if category else None, "path": category.path if category else "",
                           "label": pred.label, "confidence": pred.confidence, "top_words": pred.top_words}
    chosen = Category.objects.filter(pk=as_id(category_id), active=True).first() if category_id else None
    if chosen is not None or category is not None:
        decision = route(draft, category=chosen or category,
                         category_confidence=1.0 if chosen is not None else (pred.confidence if pred else 1.0))
        if decision.unit_id is not None:
            unit = Unit.objects.get(pk=decision.unit_id)
            out["unit"] = {"id": unit.pk, "name": unit.name, "basis": decision.basis, "rule_id": decision.rule_id,
                           "confidence": decision.confidence, "reason": decision.reason_text}
    out["repeats"] = [m.as_dict() for m in find_repeats(draft)]
    if area is not None and (title or description):
        out["duplicates"] = [m.as_dict() for m in find_duplicates(draft)[:5]]
    out["flags"] = [{"code": f.code, "label": _(f.label), "evidence": f.evidence, "confidence": f.confidence}
                    for f in screen(draft)]
    cat, unit = out["category"] or {}, out["unit"] or {}
    out.update(category_id=cat.get("id"), category_label=cat.get("path") or cat.get("label", ""),
               confidence=cat.get("confidence"), top_words=cat.get("top_words", []), unit_id=unit.get("id"),
               unit_label=unit.get("name", ""), unit_reason=unit.get("reason", ""),
               chosen_category_id=chosen.pk if chosen is not None else None)
    return out


def decisions_on(day: dt.date) -> Q:
    """A filter for decisions made on a local calendar day."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return Q(created_at__gte=start, created_at__lt=start + dt.timedelta(days=1))


# ---- the one suggestion shown on every page ------------------------------------------------------


@dataclass
class DispatchSuggestion:
    """Where an order should go, as every page shows it (intake panel, dispatch board, order
    page): the category (the agent's, else the machine's) and the unit the responsibility list
    names for it, else the router model's unit (from the stored routing decision), else none.
    One function builds it (`dispatch_suggestion`), so two lines on one page never disagree."""

    category_id: int | None = None
    category_path: str = ""
    category_source: str = ""  # "agent" | "machine" | ""
    category_confidence: float | None = None
    unit_id: int | None = None
    unit_name: str = ""
    basis: str = "none"  # "rule" | "model" | "none"
    rule: Any = None
    confidence: float | None = None
    reason: str = ""


def dispatch_suggestion(*, category_id: int | None, area_id: int | None, machine_category_id: int | None = None,
                        machine_confidence: float | None = None, routed: Any = None,
                        unit_names: dict[int, str] | None = None, copy: Any = None) -> DispatchSuggestion:
    """The suggestion for an order (or a draft) of this category and area. `machine_*` is the
    classifier's category, used only when the agent chose none; `routed` a stored routing
    decision (TriageDecision), whose model unit is used only where the list has no rule.
    Reads the reference-data copy; a model unit's name comes from `unit_names` or one query."""
    copy = copy if copy is not None else snapshot.current()
    s = DispatchSuggestion()
    if category_id is not None:
        s.category_id, s.category_source, s.category_confidence = category_id, "agent", 1.0
    elif machine_category_id is not None and machine_category_id in copy.categories:
        s.category_id, s.category_source, s.category_confidence = machine_category_id, "machine", machine_confidence
    if s.category_id is not None and s.category_id in copy.categories:
        s.category_path = copy.categories[s.category_id].path
    rule = copy.rule_for(s.category_id, area_id, timezone.localdate())
    if rule is not None:
        s.rule, s.unit_id, s.unit_name, s.basis = rule, rule.lead_unit_id, rule.lead_unit.name, "rule"
        s.confidence = round(s.category_confidence if s.category_confidence is not None else 1.0, 4)
        s.reason = _("依据%(rule)s（%(unit)s）") % {"rule": rule.label, "unit": rule.lead_unit.name}
        if s.category_source == "machine" and s.confidence < 1.0:
            s.reason += _("；分类置信度%(c).2f") % {"c": s.confidence}
        return s
    payload = getattr(routed, "payload", None) or {}
    if payload.get("basis") == "model" and payload.get("unit"):
        s.unit_id, s.basis = int(payload["unit"]), "model"
        names = unit_names if unit_names is not None else dict(Unit.objects.filter(pk=s.unit_id).values_list("id", "name"))
        s.unit_name, s.confidence, s.reason = names.get(s.unit_id, ""), routed.confidence, routed.reason
        return s
    s.reason = _("权责清单无对应条目，需人工派单") if s.category_id else _("无法确定分类，需人工派单")
    return s


def board_suggestions(orders: list[WorkOrder]) -> dict[int, DispatchSuggestion]:
    """dispatch_suggestion for a page of orders, from their latest routing decisions: a fixed
    number of queries whatever the page size."""
    routed: dict[int, TriageDecision] = {}
    for d in TriageDecision.objects.filter(order_id__in=[o.pk for o in orders],
                                           kind=DecisionKind.ROUTED).order_by("created_at", "id"):
        routed[d.order_id] = d
    copy = snapshot.current()  # read once for the page
    unit_ids = {int(d.payload["unit"]) for d in routed.values() if d.payload.get("unit") and d.payload.get("basis") == "model"}
    names = dict(Unit.objects.filter(pk__in=unit_ids).values_list("id", "name")) if unit_ids else {}
    out = {}
    for o in orders:
        d = routed.get(o.pk)
        machine_cat = (d.payload or {}).get("category") if d is not None else None
        out[o.pk] = dispatch_suggestion(category_id=o.category_id, area_id=o.area_id,
                                        machine_category_id=as_id(machine_cat),
                                        machine_confidence=d.confidence if d is not None else None,
                                        routed=d, unit_names=names, copy=copy)
    return out
