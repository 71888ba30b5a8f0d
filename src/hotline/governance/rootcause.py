"""Root causes (溯源) of a hotspot: the figures that say why its calls recur, and the supervisor's
finding, recorded in governance's own hash-chained trace (models.Finding).

The figures read orders, their events, replies, returns and callbacks; nothing here writes an
order. A finding writes one Finding row (and nothing else)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import statistics
from collections import Counter
from itertools import combinations
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.directory.models import Category
from hotline.directory.roles import Role
from hotline.errors import InvalidInput, NotAllowed, NotFound
from hotline.orders.models import Callback, OrderReturn, Reply, WorkOrder
from hotline.orders.states import is_open
from hotline.triage.similarity import jaccard, shingles

from .models import Finding, Hotspot, OrderSignature, RootCause

SAME_REPLY = 0.8  # two replies this similar (character bigrams) are the same template
MAX_REPLIES = 200  # replies compared pairwise (the latest)
RECORDERS = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})


def figures(root_order_id: int) -> dict[str, Any]:
    """Why a hotspot's calls recur (figures_of its orders)."""
    return figures_of(OrderSignature.objects.filter(root_id_value=root_order_id).values("order_id"))


def orders_of(base: QuerySet[WorkOrder], *, category_id: int | None = None, area_id: int | None = None,
              start: dt.datetime | None = None, end: dt.datetime | None = None) -> QuerySet[WorkOrder]:
    """The orders of a category (with its sub-categories) and/or an area in a period, out of
    `base` (the reader's visible orders)."""
    qs = base
    if category_id is not None:
        path = Category.objects.filter(pk=category_id).values_list("path", flat=True).first()
        if path is None:
            return qs.none()
        qs = qs.filter(Q(category_id=category_id) | Q(category__path__startswith=path + "/"))
    if area_id is not None:
        qs = qs.filter(area_id=area_id)
    if start is not None:
        qs = qs.filter(received_at__gte=start)
    if end is not None:
        qs = qs.filter(received_at__lt=end)
    return qs


def figures_of(ids: Any) -> dict[str, Any]:
    """Why calls recur, from a set of orders (`ids`: a subquery or list of order ids):

    - recurrence: repeat callers (callers with two orders or more in it), orders that repeat an
      earlier call (`repeat_of`), orders redone (rejected for redo), reopened, and bounced between
      units (returned, or dispatched more than once);
    - time to close: median and 90th percentile days from received to closed (closed orders);
    - replies: how many, distinct texts, and the share of replies that repeat another one of the
      hotspot nearly word for word (the same template each time: SAME_REPLY);
    - unresolved: callbacks that said unresolved or unsatisfied;
    - units and rules of the responsibility list involved (lead units, co-units, the rules cited
      for dispatch and in returns)."""
    orders = list(WorkOrder.objects.filter(pk__in=ids).values(
        "id", "caller_phone", "repeat_of_id", "redo_count", "return_count", "dispatch_count", "state", "received_at",
        "closed_at", "lead_unit__name", "rule_id", "rule__category__name", "rule__lead_unit__name"))
    n = len(orders)
    phones = Counter(o["caller_phone"] for o in orders if o["caller_phone"])
    reopened = (WorkOrder.objects.filter(pk__in=ids, events__action="reopen").values("id").distinct().count())
    days = sorted((o["closed_at"] - o["received_at"]).total_seconds() / 86400 for o in orders
                  if o["closed_at"] is not None and not is_open(o["state"]))
    texts = list(Reply.objects.filter(order_id__in=ids).order_by("-replied_at").values_list("outcome", "process")
                 [:MAX_REPLIES])
    sigs = [shingles(f"{a} {b}") for a, b in texts]
    templated: set[int] = set()
    for i, j in combinations(range(len(sigs)), 2):
        if jaccard(sigs[i], sigs[j]) >= SAME_REPLY:
            templated.update((i, j))
    co_units = Counter(WorkOrder.co_units.through.objects.filter(workorder_id__in=ids)
                       .values_list("unit__name", flat=True))
    rules = Counter(f"{o['rule__category__name']} → {o['rule__lead_unit__name']}" for o in orders if o["rule_id"])
    cited = Counter(OrderReturn.objects.filter(order_id__in=ids, rule_cited__isnull=False)
                    .values_list("rule_cited__category__name", flat=True))
    bad = (Callback.objects.filter(order_id__in=ids, reached=True)
           .filter(resolved=False).values("order_id").distinct().count())
    unsatisfied = (Callback.objects.filter(order_id__in=ids, satisfaction="unsatisfied")
                   .values("order_id").distinct().count())
    return {
        "orders": n,
        "repeat_callers": sum(1 for c in phones.values() if c >= 2),
        "repeat_calls": sum(c - 1 for c in phones.values() if c >= 2),
        "repeats_flagged": sum(1 for o in orders if o["repeat_of_id"]),
        "redone": sum(1 for o in orders if o["redo_count"]),
        "reopened": reopened,
        "bounced": sum(1 for o in orders if o["return_count"] or o["dispatch_count"] > 1),
        "closed": len(days),
        "days_to_close_median": round(statistics.median(days), 1) if days else None,
        "days_to_close_p90": round(days[int(0.9 * (len(days) - 1))], 1) if days else None,
        "replies": len(texts),
        "distinct_replies": len({(a or "").strip() + "|" + (b or "").strip() for a, b in texts}),
        "templated_share": round(len(templated) / len(texts), 2) if texts else None,
        "unresolved": bad,
        "unsatisfied": unsatisfied,
        "units": dict(Counter(o["lead_unit__name"] for o in orders if o["lead_unit__name"]).most_common()),
        "co_units": dict(co_units.most_common()),
        "rules": dict(rules.most_common()),
        "rules_cited_in_returns": dict(cited.most_common()),
    }


def finding_hash(*, prev_hash: str, root_order_id: int, seq: int, causes: list[str], note: str, actor_id: int,
                 actor_role: str, at: dt.datetime, figures: dict[str, Any]) -> str:
    body = json.dumps([prev_hash, root_order_id, seq, sorted(causes), note, actor_id, actor_role,
                       at.astimezone(dt.UTC).isoformat(), figures], ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record_finding(root_order_id: int, *, actor: Any, causes: list[str], note: str = "") -> Finding:
    """Record a supervisor's root-cause finding on a hotspot.

    Before: the hotspot exists; the actor is a supervisor (or an administrator); the causes are
    one or more active RootCause codes; the note is at most 2,000 characters. After: one new
    Finding, the hotspot's next in its chain, with the figures as they stand now. Refused input
    writes nothing."""
    if getattr(actor, "role", None) not in RECORDERS:
        raise NotAllowed(_("只有督办领导可以记录溯源结论。"))
    hotspot = Hotspot.objects.filter(root_order_id=root_order_id).first()
    if hotspot is None:
        raise NotFound(_("热点不存在。"))
    known = set(RootCause.objects.filter(active=True).values_list("code", flat=True))
    chosen = sorted({str(c) for c in causes})
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if not chosen:
        errors["causes"] = [_("请至少选择一项根源类型。")]
    elif not set(chosen) <= known:
        errors["causes"] = [_("根源类型不在清单中。")]
    if len(note) > 2000:
        errors["note"] = [_("说明不能超过2000字。")]
    if errors:
        raise InvalidInput(_("溯源结论填写有误。"), details=errors)
    with transaction.atomic():
        last = (Finding.objects.select_for_update().filter(root_order_id=root_order_id).order_by("-seq").first())
        seq = (last.seq + 1) if last else 1
        prev = last.hash if last else ""
        at = timezone.now()
        figs = figures(root_order_id)
        row = Finding(root_order_id=root_order_id, seq=seq, label=hotspot.label[:200], causes=chosen, note=note,
                      figures=figs, actor=actor, actor_role=actor.role, at=at, prev_hash=prev)
        row.hash = finding_hash(prev_hash=prev, root_order_id=root_order_id, seq=seq, causes=chosen, note=note,
                                actor_id=actor.pk, actor_role=actor.role, at=at, figures=figs)
        row.save(force_insert=True)
    return row


def verify(root_order_id: int) -> bool:
    """Whether a hotspot's findings form an unbroken chain (nothing changed, inserted or removed)."""
    prev = ""
    for k, f in enumerate(Finding.objects.filter(root_order_id=root_order_id).order_by("seq"), start=1):
        if f.seq != k or f.prev_hash != prev:
            return False
        if f.hash != finding_hash(prev_hash=prev, root_order_id=f.root_order_id, seq=f.seq, causes=f.causes,
                                  note=f.note, actor_id=f.actor_id, actor_role=f.actor_role, at=f.at,
                                  figures=f.figures):
            return False
        prev = f.hash
    return True
