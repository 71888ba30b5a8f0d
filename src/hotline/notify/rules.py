"""What is notified, to whom, through what, and when: pure tables and functions (no Django models).

- TRIGGERS: an order's action (its event) → the kind of notification and the audience.
- The scans (notify/scans.py) raise the other kinds: DUE_SOON and OVERDUE per order and clock,
  WARNING per early warning of the assessment (a category surge is the "burst").
- MEDIA: the ways a person can be told; DEFAULT_MEDIA per kind for a person who chose nothing.
- deliver_at(): quiet hours (免打扰): a message that falls inside them waits for their end;
  an emergency order's does not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Kind(StrEnum):
    NEW_ORDER = "new_order"  # 新工单: dispatched (or re-dispatched) to the person's unit
    REDO = "redo"  # 驳回重办 / 重新办理: the order is back at the unit
    URGE = "urge"  # 催办
    SUPERVISE = "supervise"  # 督办
    DUE_SOON = "due_soon"  # 即将超时
    OVERDUE = "overdue"  # 已超时
    WARNING = "warning"  # 预警 (the assessment's warnings; a category surge is the burst)


KIND_LABELS = {
    Kind.NEW_ORDER: _("新派工单"),
    Kind.REDO: _("驳回重办"),
    Kind.URGE: _("催办"),
    Kind.SUPERVISE: _("督办"),
    Kind.DUE_SOON: _("即将超时"),
    Kind.OVERDUE: _("已超时"),
    Kind.WARNING: _("预警提醒"),
}


class Medium(StrEnum):
    SMS = "sms"  # 短信 (the HTTP SMS gateway)
    WECOM = "wecom"  # 企业微信 / 钉钉 (the enterprise-messaging webhook)
    EMAIL = "email"  # 电子邮件


MEDIUM_LABELS = {Medium.SMS: _("短信"), Medium.WECOM: _("企业微信/钉钉"), Medium.EMAIL: _("电子邮件")}


class Audience(StrEnum):
    LEAD_UNIT = "lead_unit"  # the handlers and head of the order's lead unit
    ALL_UNITS = "all_units"  # ... and of its co-units (joint handling)
    SUPERVISORS = "supervisors"  # the district's supervisors
    PART_UNIT = "part_unit"  # the co-unit whose part the event is about (its data's "unit")


@dataclass(frozen=True)
class Trigger:
    kind: Kind
    audience: Audience


# action (orders.states.Action value) → what it tells whom. Actions not here tell nobody.
TRIGGERS: dict[str, Trigger] = {
    "dispatch": Trigger(Kind.NEW_ORDER, Audience.ALL_UNITS),
    "claim": Trigger(Kind.NEW_ORDER, Audience.LEAD_UNIT),
    "accept_return": Trigger(Kind.NEW_ORDER, Audience.LEAD_UNIT),
    "reject_return": Trigger(Kind.NEW_ORDER, Audience.LEAD_UNIT),
    "joint": Trigger(Kind.NEW_ORDER, Audience.ALL_UNITS),
    "escalate": Trigger(Kind.NEW_ORDER, Audience.LEAD_UNIT),
    "redo": Trigger(Kind.REDO, Audience.LEAD_UNIT),
    "reopen": Trigger(Kind.REDO, Audience.LEAD_UNIT),
    "urge": Trigger(Kind.URGE, Audience.ALL_UNITS),
    "supervise": Trigger(Kind.SUPERVISE, Audience.ALL_UNITS),
    # the supervision was escalated to the city (联合督办): the lead unit hears of it at once
    "escalate_supervision": Trigger(Kind.SUPERVISE, Audience.LEAD_UNIT),
    # joint handling: the lead urges one co-unit about its part (docs/joint.md)
    "co_urge": Trigger(Kind.URGE, Audience.PART_UNIT),
}

# What a person who has not chosen is told through, per kind: a text message for the unit's
# work, enterprise messaging for the supervisors' warnings.
DEFAULT_MEDIA: dict[Kind, tuple[Medium, ...]] = {
    Kind.NEW_ORDER: (Medium.SMS,),
    Kind.REDO: (Medium.SMS,),
    Kind.URGE: (Medium.SMS,),
    Kind.SUPERVISE: (Medium.SMS,),
    Kind.DUE_SOON: (Medium.SMS,),
    Kind.OVERDUE: (Medium.SMS,),
    Kind.WARNING: (Medium.WECOM,),
}

# The unit roles told of a unit's orders (directory.roles values).
UNIT_AUDIENCE_ROLES = frozenset({"handler", "unit_head"})
SUPERVISOR_ROLES = frozenset({"supervisor"})
# Warning rules a supervisor is told of without subscribing: a burst is everyone's business.
# Others reach those who follow the rule (assessment.Subscription). The per-unit "due_soon"
# warning is not sent: the per-order scan tells the unit itself.
ALWAYS_TOLD_RULES = frozenset({"category_surge"})
SKIPPED_RULES = frozenset({"due_soon"})


def trigger_for(action: str, data: dict | None = None) -> Trigger | None:
    """What an event of `action` (with its data) notifies, or None. Lifting supervision
    (supervise with on=False) tells nobody."""
    trigger = TRIGGERS.get(str(action))
    if trigger is not None and trigger.kind is Kind.SUPERVISE and (data or {}).get("on") is False:
        return None
    return trigger


def parse_quiet(text: str) -> tuple[dt.time, dt.time] | None:
    """"22:00-07:00" → (22:00, 07:00); "" → None; anything else raises ValueError."""
    text = (text or "").strip()
    if not text:
        return None
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(text)
    return dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())


def in_quiet(local: dt.datetime, start: dt.time, end: dt.time) -> bool:
    t = local.timetz().replace(tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= t < end
    return t >= start or t < end  # across midnight


def deliver_at(now: dt.datetime, quiet: tuple[dt.time, dt.time] | None, tz: dt.tzinfo, *,
               emergency: bool = False) -> dt.datetime | None:
    """When a message raised at `now` may go out: None (at once), or the end of the person's
    quiet hours (local time `tz`) when `now` falls inside them. Emergencies never wait."""
    if emergency or quiet is None:
        return None
    start, end = quiet
    local = now.astimezone(tz)
    if not in_quiet(local, start, end):
        return None
    at = dt.datetime.combine(local.date(), end, tzinfo=tz)
    if at <= local:
        at += dt.timedelta(days=1)
    return at
