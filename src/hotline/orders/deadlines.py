"""Working-time clocks: sign-for, first contact and reply, by urgency tier and by the kind of
problem.

The tiers' limits are configuration (settings.HOTLINE_CLOCKS), each (amount, "hours" |
"workdays"). "hours" are calendar hours (an emergency does not wait for Monday). "workdays" end
at the close of the N-th working day after the start day, by the working-day calendar, which
belongs to the reference data (hotline.directory.calendar).

The reply limit of a kind of problem is reference data too (directory.models.DeadlineRule: wage
arrears 15 working days, a water outage 24 hours). Precedence (docs/deadlines.md):

- a deadline rule in force for the order's category (or its procedure profile) sets the reply
  clock instead of the tier's limit, shorter or longer: the centre decided it for the kind of
  problem, the agent's tier did not;
- except that the urgent tiers (emergency, utility: hour clocks, day and night) keep their own
  limit when it ends sooner: a call judged an emergency is never given longer because of its
  category;
- sign-for and first contact keep the tier's limits, but never end after the reply clock;
- an approved extension moves the reply clock from wherever it stands (`extend`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from hotline.directory import snapshot
from hotline.directory.calendar import Limit, WorkCalendar, calendar_of, load_calendar
from hotline.directory.models import URGENT_TIERS, DeadlineRule, limit_label

__all__ = ["Clocks", "Limit", "WorkCalendar", "calendar_of", "clock_limit", "clocks_from", "default_urgency",
           "extend", "load_calendar", "rule_in_force"]


def clock_limit(urgency: str, clock: str) -> Limit:
    limits = settings.HOTLINE_CLOCKS.get(urgency) or settings.HOTLINE_CLOCKS["general"]
    amount, unit = limits[clock]
    return float(amount), str(unit)


@dataclass(frozen=True)
class Clocks:
    sign_due: dt.datetime
    contact_due: dt.datetime
    reply_due: dt.datetime
    # what set the reply clock: the limit, and "rule" (the deadline rule) or "urgency" (the
    # tier's, with or without a rule in force: an emergency sooner than the rule keeps its own)
    reply_limit: Limit = (0.0, "workdays")
    source: str = "urgency"
    rule: DeadlineRule | None = None  # the rule in force, whether or not it set the clock

    @property
    def set_by(self) -> DeadlineRule | None:
        """The rule that set the reply clock (WorkOrder.deadline_rule), None for the tier."""
        return self.rule if self.source == "rule" else None

    @property
    def reply_limit_label(self) -> str:
        return limit_label(*self.reply_limit)

    def event_data(self) -> dict[str, object]:
        """What the dispatch's event records of its reply clock: the rule in force, the limit
        that applied and where it came from."""
        amount, unit = self.reply_limit
        return {"deadline_rule": self.rule.pk if self.rule is not None else None,
                "reply_limit": [amount, unit], "limit_source": self.source}


def clocks_from(start: dt.datetime, urgency: str, calendar: WorkCalendar, rule: DeadlineRule | None = None) -> Clocks:
    """The three clocks of an order dispatched at `start`, under the deadline rule in force for
    its category (if any; see the module's precedence)."""
    tier = clock_limit(urgency, "reply")
    reply_due, limit, source = calendar.add(start, tier), tier, "urgency"
    if rule is not None:
        by_rule = calendar.add(start, rule.limit)
        if urgency not in URGENT_TIERS or by_rule <= reply_due:
            reply_due, limit, source = by_rule, rule.limit, "rule"
    return Clocks(
        sign_due=min(calendar.add(start, clock_limit(urgency, "sign")), reply_due),
        contact_due=min(calendar.add(start, clock_limit(urgency, "contact")), reply_due),
        reply_due=reply_due, reply_limit=limit, source=source, rule=rule,
    )


def extend(due: dt.datetime, days: int, calendar: WorkCalendar) -> dt.datetime:
    """The reply deadline after an approved extension of `days` working days."""
    local = timezone.localtime(due)
    day = calendar.nth_workday_after(local.date(), days)
    return dt.datetime.combine(day, local.timetz())




def rule_in_force(category_id: int | None, on: dt.date | None = None) -> DeadlineRule | None:
    """The deadline rule in force on `on` (today by default) for an order of this category."""
    return snapshot.current().deadline_rule_for(category_id, on or timezone.localdate())


def default_urgency(category_id: int | None, on: dt.date | None = None) -> str:
    """The urgency intake pre-selects for a category: its deadline rule's default, or "" when the
    rule in force names none (the form's own default then stands)."""
    rule = rule_in_force(category_id, on)
    return rule.default_urgency if rule is not None else ""
