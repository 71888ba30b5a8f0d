"""Machinery every action shares: locking, permission and state checks, the event chain, clocks, the responsibility list."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline import outbox
from hotline.directory import snapshot
from hotline.directory.models import Area, Category, ResponsibilityRule, Unit, User
from hotline.directory.roles import Role
from hotline.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed, NotFound

from .. import clock, deadlines, policies, states, trace
from ..models import (
    Event,
    IdempotencyKey,
    OrderReturn,
    WorkOrder,
)
from ..states import Action, State
from ..validation import as_id, as_int

A = Action
MIN_REASON_CHARS = 5


# ---- the machinery every action shares ------------------------------------------------------------

_composite = threading.local()


@contextlib.contextmanager
def one_transaction() -> Any:
    """Run several actions, and the caller's own rows (a triage decision, a review verdict), as
    one durable transaction: all of it is kept or none of it.

    Each action is durable on its own, so that no caller can wrap one by accident and commit
    half of a change; this is the one explicit way to compose them. Inside, every action runs
    in a savepoint, so an action refused with a DomainError leaves the rest of the unit intact."""
    with transaction.atomic(durable=True):
        depth = getattr(_composite, "depth", 0)
        _composite.depth = depth + 1
        try:
            yield
        finally:
            _composite.depth = depth


def _atomic() -> Any:
    """The transaction of one action: durable, unless it runs inside one_transaction()."""
    if getattr(_composite, "depth", 0):
        return transaction.atomic()
    return transaction.atomic(durable=True)


def _role(actor: User) -> Role:
    return Role(actor.role)


@functools.cache
def _lock_sql(vendor: str) -> str:
    # Every action starts here, so the statement is written once rather than compiled by the ORM
    # each time (that was a fifth of an action's time).
    ops, features = connection.ops, connection.features
    columns = ", ".join(ops.quote_name(f.column) for f in WorkOrder._meta.concrete_fields)
    sql = f"SELECT {columns} FROM {ops.quote_name(WorkOrder._meta.db_table)} WHERE {ops.quote_name('id')} = %s"
    return sql + (" FOR UPDATE" if features.has_select_for_update else "")


def _lock(order_id: int) -> WorkOrder:
    """The order, its row locked until the end of the transaction (SQLite: the whole database is,
    from BEGIN IMMEDIATE)."""
    pk = as_id(order_id)
    found = list(WorkOrder.objects.raw(_lock_sql(connection.vendor), [pk])) if pk is not None else []
    if not found:
        raise NotFound(_("工单不存在。"))
    return found[0]


def _check(order: WorkOrder, actor: User, action: Action) -> State:
    """Refuse unless the actor may take `action` now; return the state it leads to."""
    state = State(order.state)
    role = _role(actor)
    target = states.next_state(state, action)
    co_ids: list[int] = []
    if role in {Role.HANDLER, Role.UNIT_HEAD} and actor.unit_id not in (None, order.lead_unit_id):
        co_ids = list(order.co_units.values_list("id", flat=True))
    decision = policies.decide(
        role=role, action=action, state=state, actor_unit_id=actor.unit_id, lead_unit_id=order.lead_unit_id,
        co_unit_ids=co_ids, proactive=order.is_proactive,
    )
    if target is None:
        raise InvalidTransition(
            _("工单当前状态为“%(state)s”，不能执行此操作。") % {"state": order.state_label},
            details={"state": order.state, "action": str(action)},
        )
    if not decision.allowed:
        if decision.reason == "scope":
            raise NotAllowed(_("这张工单不属于您所在的单位。"), details={"action": str(action)})
        raise NotAllowed(_("您的角色无权执行此操作。"), details={"action": str(action), "reason": decision.reason})
    if not policies.applies_to_source(action, order.is_proactive):
        if order.is_proactive and action in policies.CALLER_ACTIONS:
            message = _("这是主动治理工单，没有来电人，不涉及不合理诉求或来电人标记。")
        elif order.is_proactive:
            message = _("这是主动治理工单，没有来电人，不回访：由中心核验办理结果后办结。")
        else:
            message = _("只有主动治理工单（没有来电人）由中心核验办结；群众诉求工单须回访来电人。")
        raise InvalidTransition(message, code="not_for_this_source",
                                details={"state": order.state, "action": str(action), "source": order.source})
    return target


def _append_event(
    order: WorkOrder, actor: User | None, action: Action, from_state: str, to_state: str, at: dt.datetime,
    data: dict[str, Any], *, role: str | None = None, imported: bool = False,
) -> Event:
    data = trace.canonical({k: v for k, v in data.items() if v not in (None, "", [], {})})
    seq = order.event_seq + 1
    prev = order.last_hash or trace.GENESIS
    actor_role = role or (actor.role if actor else "")
    digest = trace.event_hash(
        prev_hash=prev, order_number=order.number, seq=seq, action=str(action), from_state=from_state,
        to_state=to_state, actor_id=actor.pk if actor else None, actor_role=actor_role, at=at, data=data,
    )
    order.event_seq, order.last_hash = seq, digest
    return Event(
        order=order, seq=seq, action=str(action), from_state=from_state, to_state=to_state, actor=actor,
        actor_role=actor_role, actor_unit_id=actor.unit_id if actor else None, at=at, data=data,
        imported=imported, prev_hash=prev, hash=digest,
    )


def _finish(order: WorkOrder, actor: User, action: Action, target: State, now: dt.datetime, **data: Any) -> None:
    """Move the order to `target`, write it and its one event."""
    from_state = order.state
    order.state = target.value
    order.updated_at = now
    event = _append_event(order, actor, action, from_state, target.value, now, data)
    order.save_changes()
    event.save()
    outbox.publish([event])  # what other systems must hear of it, in this transaction
    _store_claim(order, event, now)


def _reason(text: str, field: str = "note", *, min_chars: int = MIN_REASON_CHARS) -> str:
    text = (text or "").strip()
    if len(text) < min_chars:
        raise InvalidInput(
            _("请填写理由（至少%(n)d个字）。") % {"n": min_chars}, details={field: [_("理由过短。")]}
        )
    return text


def _unit(unit_id: Any, field: str = "unit") -> Unit:
    try:
        unit = Unit.objects.get(pk=_int(unit_id, field), active=True)
    except (Unit.DoesNotExist, InvalidInput):
        raise InvalidInput(_("承办单位不存在或已停用。"), details={field: [_("请选择有效的承办单位。")]}) from None
    if not unit.handles_orders:
        raise InvalidInput(_("“%(u)s”不承办工单。") % {"u": unit.name}, details={field: [_("请选择承办单位。")]})
    return unit


def _units(ids: Iterable[Any], field: str = "co_units") -> list[Unit]:
    if ids is None:
        return []
    if isinstance(ids, str | int) or not isinstance(ids, Iterable):
        raise InvalidInput(_("参数格式不正确。"), details={field: [_("须为单位编号的列表。")]})
    return [_unit(i, field) for i in dict.fromkeys(ids)]


def _calendar(copy: snapshot.Snapshot | None = None) -> deadlines.WorkCalendar:
    return deadlines.calendar_of(copy or snapshot.current())


def _later(old: dt.datetime | None, new: dt.datetime) -> dt.datetime:
    # Deadlines never move backwards except by an approved extension (which moves them forward).
    return new if old is None or new > old else old


def _start_clocks(order: WorkOrder, now: dt.datetime, copy: snapshot.Snapshot, *, reply: bool = True
                  ) -> dict[str, Any]:
    """Start the sign-for and contact clocks, and (`reply`) the reply clock, under the deadline
    rule in force today for the order's category (orders.deadlines: its precedence over the
    urgency tier). The order keeps the rule that set its reply clock (deadline_rule), so a later
    change of the rules never moves it. Returns what the step's event records of the reply
    clock (nothing when it keeps running from before)."""
    rule = copy.deadline_rule_for(order.category_id, timezone.localdate(now)) if reply else None
    clocks = deadlines.clocks_from(now, order.urgency, _calendar(copy), rule)
    order.sign_due = _later(order.sign_due, clocks.sign_due)
    # A proactive order has no caller to contact: no first-contact clock.
    order.contact_due = None if order.is_proactive else _later(order.contact_due, clocks.contact_due)
    if not reply:
        return {}
    if order.reply_due is None or clocks.reply_due > order.reply_due:
        order.reply_due = clocks.reply_due
        order.deadline_rule = clocks.set_by
        return clocks.event_data()
    # the clock already runs later (a re-dispatch on a shorter limit): it stays, and so does its rule
    return {**clocks.event_data(), "reply_kept": True}


def _assign(order: WorkOrder, lead: Unit, co_units: Sequence[Unit], now: dt.datetime) -> None:
    if any(u.pk == lead.pk for u in co_units):
        raise InvalidInput(_("主办单位不能同时是协办单位。"), details={"co_units": [_("请去掉主办单位。")]})
    order.lead_unit = lead
    order.dispatched_at = now
    order.signed_at = None
    order.dispatch_count += 1


def _set_co_units(order: WorkOrder, co_units: Sequence[Unit]) -> None:
    # Co-units are only ever set along with an assignment (_assign counts it): an order on its
    # first assignment has none to clear.
    if co_units or order.dispatch_count > 1:
        order.co_units.set(co_units)


def _pending_return(order: WorkOrder) -> OrderReturn | None:
    return order.returns.filter(outcome=OrderReturn.Outcome.PENDING).order_by("-at").first()


def _close_return(order: WorkOrder, outcome: str, actor: User, now: dt.datetime, note: str,
                  rule: ResponsibilityRule | None = None) -> OrderReturn | None:
    ret = _pending_return(order)
    if ret is not None:
        ret.outcome, ret.decided_by, ret.decided_at, ret.decision_note = outcome, actor, now, note
        ret.decision_rule = rule
        ret.save()
    return ret


def rule_for(category: Category | None, area: Area | None, on: dt.date | None = None) -> ResponsibilityRule | None:
    """The responsibility-list rule in force for a category and area: the most specific area
    first (the area, its parents, then district-wide), then the category's parents."""
    if category is None:
        return None
    return snapshot.current().rule_for(category.pk, area.pk if area is not None else None,
                                       on or clock.localdate())


def _rule_of(order: WorkOrder, copy: snapshot.Snapshot, on: dt.date | None = None) -> ResponsibilityRule | None:
    """rule_for an order, by its ids (no query for its category or area)."""
    return copy.rule_for(order.category_id, order.area_id, on or clock.localdate())


def _basis(order: WorkOrder, lead: Unit, copy: snapshot.Snapshot) -> ResponsibilityRule | None:
    """The rule an order's dispatch rests on: the one in force, if it names `lead` (a unit
    the list does not name has the dispatcher's decision as its basis, not the list)."""
    rule = _rule_of(order, copy)
    return rule if rule is not None and rule.lead_unit_id == lead.pk else None


def _rule(rule_id: Any) -> ResponsibilityRule | None:
    if rule_id in (None, ""):
        return None
    try:
        return ResponsibilityRule.objects.get(pk=_int(rule_id, "rule"))
    except (ResponsibilityRule.DoesNotExist, InvalidInput):
        raise InvalidInput(_("引用的权责清单条目不存在。"), details={"rule": [_("请选择有效的权责清单条目。")]}) from None



def _int(value: Any, field: str) -> int:
    number = as_int(value)
    if number is None:
        raise InvalidInput(_("参数格式不正确。"), details={field: [_("须为整数。")]})
    return number


# ---- idempotency keys (a client's retry after a lost response) -------------------------------------------
#
# A client that sends an Idempotency-Key with a request may send it again when the response is
# lost: the retry must not write a second event. `idempotent()` wraps one action: a key seen
# before (for this actor) with the same fingerprint returns the first result; with another
# fingerprint it is refused. A new key is claimed through a context variable that `_finish`
# reads, so the key row is written in the same transaction as the action's event: the key
# exists if and only if the event does. Two retries racing each other: the unique (actor, key)
# constraint lets one commit; the other's transaction rolls back and it returns the first's
# result.

MAX_KEY_CHARS = 80


@dataclass
class _Claim:
    actor: User
    key: str
    action: str
    order_id: int
    fingerprint: str
    stored: bool = False


_CLAIM: contextvars.ContextVar[_Claim | None] = contextvars.ContextVar("idempotency_claim", default=None)


@dataclass(frozen=True)
class Replayed:
    """What a retried request gets instead of a second action: the first request's order and event."""

    order_id: int
    event_id: int | None


def _normalised(value: Any) -> Any:
    # The input as the action saw it, in a form that hashes the same on every retry.
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, models.QuerySet):
        return sorted(o.pk for o in value)
    if isinstance(value, UploadedFile):
        return {"name": value.name, "size": value.size}
    if isinstance(value, dict):
        return {str(k): _normalised(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_normalised(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bool | int | float) or value is None:
        return value
    return str(value)


def fingerprint(action: str, order_id: int | None, data: Any) -> str:
    """sha256 of an action, its order and its normalised input: what "the same request" means."""
    body = json.dumps({"action": str(action), "order": order_id, "input": _normalised(data)}, sort_keys=True,
                      ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def check_key(key: Any) -> str:
    """A client's idempotency key, or InvalidInput: 1 to 80 printable characters."""
    text = key.strip() if isinstance(key, str) else ""
    if not text or len(text) > MAX_KEY_CHARS or not text.isprintable():
        raise InvalidInput(_("幂等键（Idempotency-Key）须为1至%(n)d个可打印字符。") % {"n": MAX_KEY_CHARS},
                           details={"idempotency_key": [_("幂等键格式不正确。")]})
    return text


def key_reused() -> Conflict:
    return Conflict(_("此幂等键（Idempotency-Key）已用于另一个请求（内容、操作或用户不同）：新的请求请使用新的键。"),
                    code="idempotency_key_reused", details={"idempotency_key": [_("幂等键已被使用。")]})


def _earlier(actor: User, key: str, action: str, order_id: int, digest: str) -> Replayed | None:
    record = IdempotencyKey.objects.filter(actor=actor, key=key).first()
    if record is None:
        return None
    if record.action != str(action) or record.order_id != order_id or record.fingerprint != digest:
        raise key_reused()
    return Replayed(record.order_id, record.event_id)


def idempotent(key: str | None, *, actor: User, action: Action, order_id: int, data: Any,
               run: Callable[[], Any]) -> Any:
    """Run one action (`run`, which calls a do_ function) at most once per (actor, key).

    Without a key, just run it. With a key seen before: the same action, order and input give
    Replayed (nothing written); anything else raises Conflict("idempotency_key_reused"). With a
    new key: run it, and the key is stored with the action's event, in its transaction."""
    if key is None or key == "":
        return run()
    key = check_key(key)
    digest = fingerprint(action, order_id, data)
    earlier = _earlier(actor, key, action, order_id, digest)
    if earlier is not None:
        return earlier
    token = _CLAIM.set(_Claim(actor, key, str(action), order_id, digest))
    try:
        return run()
    except IntegrityError:
        earlier = _earlier(actor, key, action, order_id, digest)  # a twin request committed first
        if earlier is not None:
            return earlier
        raise
    finally:
        _CLAIM.reset(token)


def _store_claim(order: WorkOrder, event: Event, now: dt.datetime) -> None:
    claim = _CLAIM.get()
    if claim is None or claim.stored or order.pk != claim.order_id:
        return
    IdempotencyKey.objects.create(actor=claim.actor, key=claim.key, action=claim.action, order=order, event=event,
                                  fingerprint=claim.fingerprint, created_at=now)
    claim.stored = True


# ---- the system's own actor ---------------------------------------------------------------------------


def system_user() -> User:
    """The account the triage service and other automatic steps act as."""
    user, _created = User.objects.get_or_create(
        username="system", defaults={"role": Role.SYSTEM.value, "display_name": "智能甄别", "is_active": False}
    )
    return user
