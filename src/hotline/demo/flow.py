"""Moving demo orders through the closed loop as the right people, through orders/actions.py
only (the demo writes nothing the product would not write itself)."""

from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from hotline.directory.roles import Role
from hotline.orders import actions as act
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


@dataclass
class Demo:
    """The district, a seeded random source and the personas who act."""

    district: District
    rng: random.Random
    now: dt.datetime = field(default_factory=timezone.now)

    def __post_init__(self) -> None:
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

    # ---- intake -------------------------------------------------------------------------------

    def days_ago(self, days: float, *, hour: int | None = None) -> dt.datetime:
        at = timezone.localtime(self.now - dt.timedelta(days=days))
        if hour is not None:
            at = at.replace(hour=hour, minute=self.rng.randint(0, 59))
        return min(at, self.now)

    def create(self, *, leaf: str | None, area: str, received_at: dt.datetime, title: str = "",
               description: str = "", caller: tuple[str, str] | None = None, address: str = "",
               channel: str = "phone", urgency: str = "general", repeat_of: int | None = None) -> int:
        """A new order taken by the agent; text is generated when not given."""
        data = self.intake(leaf=leaf, area=area, received_at=received_at, title=title, description=description,
                           caller=caller, address=address, channel=channel, urgency=urgency, repeat_of=repeat_of)
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
        act.do_dispatch(order_id, actor=self.dispatcher, unit_id=self.district.units[unit].pk, note=note)
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
            act.do_sign(order_id, actor=handler)
        if order.first_contact_at is None:
            act.do_contact(order_id, actor=handler, text=self.rng.choice(CONTACT_NOTES))
        if order.category_id not in self._photos:
            self._photos[order.category_id] = profile_for(order).min_evidence
        for i in range(self._photos[order.category_id]):
            act.do_attach(order_id, actor=handler, file=site_photo(i, f"现场照片{i + 1}.jpg"))
        default_process, default_outcome = textgen.reply_text(self.rng, order.address)
        reply = act.do_reply(order_id, actor=handler, responder=handler.display_name,
                             process=process or default_process, outcome=outcome or default_outcome,
                             result=result, contacted_caller=True)
        return State(reply.order.state)

    def call_back(self, order_id: int, *, resolved: bool | None = None, satisfaction: str = "") -> None:
        if resolved is None:
            resolved = self.rng.random() < 0.8
        if not satisfaction:
            weights = [0.75, 0.18, 0.07] if resolved else [0.15, 0.3, 0.55]
            satisfaction = self.rng.choices(list(Satisfaction.values), weights=weights)[0]
        act.do_callback(order_id, actor=self.callback_agent, contacted=True, resolved=resolved,
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
            act.do_sign(order_id, actor=self.handler_of(order_id))
        if stop >= 3:
            state = self.reply(order_id)
            if redo and state == State.REPLIED and stop >= 4:
                act.do_redo(order_id, actor=self.reviewer, reasons=["no_process"],
                            note="处办过程写得笼统，请写明何时到场、做了什么。")
                state = self.reply(order_id)
            if stop >= 4 and state == State.REPLIED:
                act.do_approve(order_id, actor=self.reviewer)
        if stop >= 5:
            self.call_back(order_id, resolved=resolved, satisfaction=satisfaction)


CONTACT_NOTES = [
    "已电话联系来电人，了解具体位置和诉求，约定今天到现场查看。",
    "电话联系来电人，说明已受理并告知办理时限。",
    "与来电人通话，核实情况并约定上门时间。",
]
