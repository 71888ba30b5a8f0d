"""Moving demo orders through the closed loop as the right people, through orders/actions.py
only (the demo writes nothing the product would not write itself).

Every step happens at its own moment: the demo sets the actions' clock (orders/clock.py) before
each call, a plausible while after the order's previous step, within the hours of whoever acts
(the centre works every day from 8:00 to 21:00, the units on working days from 8:30 to 17:30),
and never later than the real now. Replies come at a share of the reply clock that depends on the
unit: most answer in time, some units are often late (PUNCTUALITY)."""

from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from hotline.directory import snapshot
from hotline.directory.roles import Role
from hotline.orders import actions as act
from hotline.orders import clock, deadlines
from hotline.orders.actions import Intake
from hotline.orders.models import Satisfaction, WorkOrder
from hotline.orders.procedures import profile_for
from hotline.orders.states import State

from . import textgen
from .district import PEOPLE, District


def site_photo(i: int = 0, name: str = "现场照片.jpg") -> ContentFile:
    """A small real JPEG standing in for a phone's site photo (uploads are checked by content)."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90 + 30 * (i % 5), 120, 140)).save(out, "JPEG")
    return ContentFile(out.getvalue(), name=name)


# The order of the loop: walking to a state passes through those before it.
LOOP = [State.RECEIVED, State.DISPATCHED, State.IN_PROGRESS, State.REPLIED, State.AWAITING_CALLBACK, State.CLOSED]

CENTRE, UNIT = "centre", "unit"
# How long after the order's previous step each action comes (hours, low..high), and whose
# working hours it keeps. A reply is timed on its clock instead (Demo.reply).
DELAYS: dict[str, tuple[float, float, str]] = {
    "dispatch": (0.2, 3, CENTRE), "accept_return": (1, 8, CENTRE), "reject_return": (1, 8, CENTRE),
    "escalate": (2, 24, CENTRE), "return_to_city": (0.5, 4, CENTRE), "screen_out": (0.05, 1, CENTRE),
    "merge": (0.05, 1, CENTRE), "approve": (2, 30, CENTRE), "redo": (2, 30, CENTRE),
    "callback": (6, 60, CENTRE), "approve_extension": (1, 8, CENTRE), "supervise": (24, 96, CENTRE),
    "urge": (24, 72, CENTRE), "claim": (0.5, 6, UNIT), "sign": (0.3, 6, UNIT), "contact": (0.3, 8, UNIT),
    "progress": (12, 72, UNIT), "attach": (0, 0.5, UNIT), "return": (1, 16, UNIT),
    "request_extension": (24, 72, UNIT), "reply": (4, 48, UNIT),
    "report_unreasonable": (1, 24, UNIT), "uphold_unreasonable": (24, 72, CENTRE),
    "reject_unreasonable": (24, 72, CENTRE), "contest_mark": (24, 240, CENTRE), "lift_mark": (24, 72, CENTRE),
    "keep_mark": (24, 72, CENTRE),
    "co_sign": (0.5, 8, UNIT), "co_reply": (12, 48, UNIT), "co_urge": (24, 48, UNIT),
    "appeal_redo": (4, 30, UNIT), "appeal_callback": (4, 30, UNIT), "uphold_appeal": (24, 72, CENTRE),
    "reject_appeal": (24, 72, CENTRE), "supervision_feedback": (8, 30, UNIT), "close_supervision": (2, 24, CENTRE),
}
DEFAULT_DELAY = (0.5, 8, CENTRE)
CENTRE_HOURS = (dt.time(8, 0), dt.time(21, 0))
UNIT_HOURS = (dt.time(8, 30), dt.time(17, 30))
# Share of its replies a unit gives after the reply clock ran out; the others come in time.
PUNCTUALITY = {"town-d": 0.35, "housing": 0.3, "enforcement": 0.15, "street-b": 0.15, "heating": 0.2}
LATE_DEFAULT = 0.07


@dataclass
class Demo:
    """The district, a seeded random source and the personas who act."""

    district: District
    rng: random.Random
    # The demo's "now": the start of this hour, so that one seed builds the same district all
    # through the hour (times are drawn relative to it, and snapped to working hours).
    now: dt.datetime = field(default_factory=lambda: timezone.now().replace(minute=0, second=0, microsecond=0))

    def __post_init__(self) -> None:
        self.trip: clock.Trip | None = None  # set by `playing()`
        self.cursor = self.now  # the moment of the current order's last step
        self.late: dict[str, float] = dict(PUNCTUALITY)
        self.act = _Timed(self)
        self._calendar = None
        self._leads: dict[tuple[int | None, int | None], str] = {}
        self._photos: dict[int | None, int] = {}
        p = self.district.people
        self.agent, self.dispatcher = p["wangfang"], p["chengang"]
        self.reviewer, self.callback_agent, self.supervisor = p["zhoushen"], p["sunhui"], p["liudu"]
        # One handler per unit (the first listed), by unit code.
        self.handlers = {}
        for username, _name, role, unit, _phone in PEOPLE:
            if role is Role.HANDLER and unit not in self.handlers:
                self.handlers[unit] = p[username]

    # ---- time -----------------------------------------------------------------------------------

    def playing(self) -> clock.Trip:
        """Enter the demo's clock: `with demo.playing(): ...` (every action then writes at the
        moment the demo moves it to)."""
        return clock.at(self.now)

    def days_ago(self, days: float, *, hour: int | None = None) -> dt.datetime:
        at = timezone.localtime(self.now - dt.timedelta(days=days))
        if hour is not None:
            at = at.replace(hour=hour, minute=self.rng.randint(0, 59))
        return min(at, self.now)

    def on(self, day: dt.date, *, hour: int) -> dt.datetime:
        """`day` at `hour` (and a few minutes), local time, no later than now."""
        at = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, self.rng.randint(0, 59))))
        return min(at, self.now)

    def previous_month(self) -> tuple[dt.date, dt.date]:
        """The first and last day of the month before this one."""
        last = timezone.localdate(self.now).replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last

    def last_date(self, month: int, day: int, *, at_least_days: int = 20) -> dt.date:
        """The latest `month`-`day` at least `at_least_days` days ago."""
        today = timezone.localdate(self.now)
        candidate = dt.date(today.year, month, day)
        while (today - candidate).days < at_least_days:
            candidate = dt.date(candidate.year - 1, month, day)
        return candidate

    def calendar(self) -> deadlines.WorkCalendar:
        if self._calendar is None:
            self._calendar = deadlines.calendar_of(snapshot.current())
        return self._calendar

    def start(self, moment: dt.datetime) -> dt.datetime:
        """Begin an order's timeline at `moment` (its reception)."""
        self.cursor = min(moment, self.now)
        self._set(self.cursor)
        return self.cursor

    def move(self, moment: dt.datetime) -> dt.datetime:
        """Move the current order's timeline on to `moment` (never back, never past the real now)."""
        self.cursor = min(max(moment, self.cursor), self.now)
        self._set(self.cursor)
        return self.cursor

    def after(self, low: float, high: float, hours: str = CENTRE) -> dt.datetime:
        """A moment low..high hours after the last step, within the hours of whoever acts."""
        at = self.cursor + dt.timedelta(hours=self.rng.uniform(low, high))
        return self.move(self.within_hours(at, hours))

    def within_hours(self, at: dt.datetime, hours: str) -> dt.datetime:
        """`at`, or the next opening of the centre (every day) or of the units (working days)."""
        start, end = CENTRE_HOURS if hours == CENTRE else UNIT_HOURS
        local = timezone.localtime(at)
        for _ in range(30):
            open_day = hours == CENTRE or self.calendar().is_workday(local.date())
            if open_day and start <= local.time() < end:
                return local
            if open_day and local.time() < start:
                day = local.date()
            else:
                day = local.date() + dt.timedelta(days=1)
            local = timezone.make_aware(dt.datetime.combine(day, start)) + dt.timedelta(minutes=self.rng.uniform(0, 90))
        return local

    def _set(self, moment: dt.datetime) -> None:
        if self.trip is not None:
            self.trip.to(moment)

    # ---- intake -------------------------------------------------------------------------------

    def create(self, *, leaf: str | None, area: str, received_at: dt.datetime, title: str = "",
               description: str = "", caller: tuple[str, str] | None = None, address: str = "",
               channel: str = "phone", urgency: str = "general", repeat_of: int | None = None) -> int:
        """A new order taken by the agent; text is generated when not given."""
        data = self.intake(leaf=leaf, area=area, received_at=received_at, title=title, description=description,
                           caller=caller, address=address, channel=channel, urgency=urgency, repeat_of=repeat_of)
        self.start(received_at + dt.timedelta(minutes=self.rng.uniform(2, 12)))  # the call, then the form
        return act.do_create(data, actor=self.agent).pk

    def intake(self, *, leaf: str | None, area: str, received_at: dt.datetime, title: str = "",
               description: str = "", caller: tuple[str, str] | None = None, address: str = "",
               channel: str = "phone", urgency: str = "general", repeat_of: int | None = None,
               key: str | None = None) -> Intake:
        """What the agent writes down for a call; text is generated when not given."""
        req = textgen.request(self.rng, leaf or "", area)
        name, phone = caller or (req.caller_name, req.caller_phone)
        return Intake(
            title=title or req.title, description=description or req.description, caller_name=name,
            caller_phone=phone, channel=channel, address=address or req.address,
            area_id=self.district.areas[area].pk if area else None,
            category_id=self.district.categories[leaf].pk if leaf else None, urgency=urgency,
            received_at=received_at, repeat_of_id=repeat_of, idempotency_key=key,
        )

    # ---- the loop -------------------------------------------------------------------------------

    def lead_for(self, order_id: int) -> str:
        """The unit the responsibility list names (the area's street office when it names none)."""
        order = WorkOrder.objects.select_related("category", "area__unit").get(pk=order_id)
        key = (order.category_id, order.area_id)
        if key not in self._leads:  # the list does not change while the demo runs
            rule = act.rule_for(order.category, order.area)
            if rule is not None:
                self._leads[key] = rule.lead_unit.code
            else:
                self._leads[key] = order.area.unit.code if order.area and order.area.unit else "street-a"
        return self._leads[key]

    def dispatch(self, order_id: int, unit: str | None = None, note: str = "") -> str:
        unit = unit or self.lead_for(order_id)
        self.act.do_dispatch(order_id, actor=self.dispatcher, unit_id=self.district.units[unit].pk, note=note)
        return unit

    def handler_of(self, order_id: int):
        lead = WorkOrder.objects.values_list("lead_unit__code", flat=True).get(pk=order_id)
        return self.handlers[lead]

    def reply(self, order_id: int, *, process: str = "", outcome: str = "", result: str = "resolved") -> State:
        """Sign if needed, contact the caller, add a site photo where the procedure wants one,
        and reply. Returns the state after (sampled procedures may pass review by themselves)."""
        order = WorkOrder.objects.select_related("category", "area").get(pk=order_id)
        handler = self.handler_of(order_id)
        if order.state == State.DISPATCHED:
            self.act.do_sign(order_id, actor=handler)
        if order.first_contact_at is None:
            self.act.do_contact(order_id, actor=handler, text=self.rng.choice(CONTACT_NOTES))
        if order.category_id not in self._photos:
            self._photos[order.category_id] = profile_for(order).min_evidence
        at = self.reply_moment(order_id)
        self.move(at - dt.timedelta(minutes=self.rng.uniform(10, 90)))  # the site visit's photos
        for i in range(self._photos[order.category_id]):
            act.do_attach(order_id, actor=handler, file=site_photo(i, f"现场照片{i + 1}.jpg"))
        self.move(at)
        default_process, default_outcome = textgen.reply_text(self.rng, order.address)
        reply = act.do_reply(order_id, actor=handler, responder=handler.display_name,
                             process=process or default_process, outcome=outcome or default_outcome,
                             result=result, contacted_caller=True)
        return State(reply.order.state)

    def reply_moment(self, order_id: int) -> dt.datetime:
        """When the unit replies: a share of the time its reply clock gives (from the later of the
        dispatch and the last step), past the clock for the unit's share of late replies."""
        order = WorkOrder.objects.values("reply_due", "lead_unit__code").get(pk=order_id)
        due = order["reply_due"]
        if due is None or due <= self.cursor:
            return self.within_hours(self.cursor + dt.timedelta(hours=self.rng.uniform(2, 30)), UNIT)
        span = due - self.cursor
        late = self.rng.random() < self.late.get(order["lead_unit__code"], LATE_DEFAULT)
        if late:
            at = due + dt.timedelta(hours=self.rng.uniform(20, 120))
        else:
            at = self.cursor + span * self.rng.uniform(0.15, 0.85)
        at = self.within_hours(at, UNIT)
        if at > due and not late:
            at = self.cursor + span * 0.1  # the opening after it was past the clock: reply earlier
        return max(at, self.cursor)

    def call_back(self, order_id: int, *, resolved: bool | None = None, satisfaction: str = "") -> None:
        if resolved is None:
            resolved = self.rng.random() < 0.8
        if not satisfaction:
            weights = [0.75, 0.18, 0.07] if resolved else [0.15, 0.3, 0.55]
            satisfaction = self.rng.choices(list(Satisfaction.values), weights=weights)[0]
        self.act.do_callback(order_id, actor=self.callback_agent, contacted=True, resolved=resolved,
                        satisfaction=satisfaction)

    def walk(self, order_id: int, to: State, *, unit: str | None = None, redo: bool = False,
             resolved: bool | None = None, satisfaction: str = "") -> None:
        """Take a received order along the loop up to `to` (one of LOOP)."""
        stop = LOOP.index(to)
        if stop >= 1:
            self.dispatch(order_id, unit)
        self._onwards(order_id, stop, redo=redo, resolved=resolved, satisfaction=satisfaction)

    def walk_from_dispatched(self, order_id: int, *, resolved: bool | None = None, satisfaction: str = "") -> None:
        """Take an order already dispatched (or claimed) all the way to closed."""
        self._onwards(order_id, LOOP.index(State.CLOSED), redo=False, resolved=resolved, satisfaction=satisfaction)

    def _onwards(self, order_id: int, stop: int, *, redo: bool, resolved: bool | None, satisfaction: str) -> None:
        if stop >= 2:
            self.act.do_sign(order_id, actor=self.handler_of(order_id))
        if stop >= 3:
            state = self.reply(order_id)
            if redo and state == State.REPLIED and stop >= 4:
                self.act.do_redo(order_id, actor=self.reviewer, reasons=["not_solved"],
                                 checks={"answered": True, "resolved": False, "factual": True, "contacted": True},
                                 note="答复称已处理，但没有说明问题是否解决、何时到场做了什么，未解决的原因和后续安排也没有写。")
                state = self.reply(order_id)
            if stop >= 4 and state == State.REPLIED:
                self.act.do_approve(order_id, actor=self.reviewer)
        if stop >= 5:
            self.call_back(order_id, resolved=resolved, satisfaction=satisfaction)


class _Timed:
    """`demo.act.do_x(...)`: the action `do_x`, at a plausible moment after the order's previous
    step (DELAYS), within the hours of whoever acts."""

    def __init__(self, demo: Demo) -> None:
        self._demo = demo

    def __getattr__(self, name: str):
        action = getattr(act, name)
        low, high, hours = DELAYS.get(name.removeprefix("do_"), DEFAULT_DELAY)

        def timed(*args, delay: bool = True, **kwargs):
            if delay:  # (delay=False: at the moment the demo moved to itself)
                self._demo.after(low, high, hours)
            return action(*args, **kwargs)

        return timed


CONTACT_NOTES = [
    "已电话联系来电人，了解具体位置和诉求，约定今天到现场查看。",
    "电话联系来电人，说明已受理并告知办理时限。",
    "与来电人通话，核实情况并约定上门时间。",
]
