"""Turning something that happened into Notification rows: who is told (rules.TRIGGERS), through
what (each person's Preferences), when (quiet hours), with what text (the Templates).

Called inside the transaction of the action (the outbox subscriber, notify/delivery.py) or of a
scan (notify/scans.py): the rows are written with the outbox messages that deliver them, and
roll back with them. Returns one Queued per row to deliver; the rows not to deliver (the person
chose no medium, has no number) are written as SUPPRESSED with the reason, for the record."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.directory.models import User
from hotline.orders.models import Event, WorkOrder
from hotline.orders.states import State

from . import rules, senders, texts
from .models import Notification, NotifySettings, Preference, Template
from .rules import Audience, Kind, Medium


@dataclass(frozen=True)
class Queued:
    """A notification written and waiting for the outbox."""

    notification_id: int
    kind: str
    medium: str
    not_before: dt.datetime | None
    dedupe_key: str | None


# ---- who -------------------------------------------------------------------------------------------


def unit_people(unit_ids: Iterable[int | None], *, exclude: int | None = None) -> list[User]:
    ids = sorted({u for u in unit_ids if u is not None})
    if not ids:
        return []
    qs = User.objects.filter(unit_id__in=ids, role__in=sorted(rules.UNIT_AUDIENCE_ROLES), is_active=True)
    # A unit's system key acts as a user of the unit (api.<name>): a program, not a person to tell.
    qs = qs.exclude(api_keys__kind="system")
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return list(qs.order_by("pk"))


def supervisors() -> list[User]:
    return list(User.objects.filter(role__in=sorted(rules.SUPERVISOR_ROLES), is_active=True).order_by("pk"))


def audience_of(order: WorkOrder, audience: Audience, *, actor_id: int | None,
                co_unit_ids: list[int] | None = None) -> list[User]:
    """The people an order's event tells (never the actor who caused it). `co_unit_ids`: the
    co-units the event names (a dispatch writes its event before it sets the order's co-units)."""
    if audience is Audience.SUPERVISORS:
        return [p for p in supervisors() if p.pk != actor_id]
    if audience is Audience.PART_UNIT:
        return unit_people(co_unit_ids or [], exclude=actor_id)
    units: list[int | None] = [order.lead_unit_id]
    if audience is Audience.ALL_UNITS:
        units += co_unit_ids if co_unit_ids is not None else list(order.co_units.values_list("id", flat=True))
    return unit_people(units, exclude=actor_id)


# ---- through what, and when -------------------------------------------------------------------------


@dataclass(frozen=True)
class Choices:
    """One person's choices, read once per batch of recipients."""

    media: dict[str, tuple[Medium, ...]]  # kind → media (kinds not here: rules.DEFAULT_MEDIA)
    quiet: tuple[dt.time, dt.time] | None

    def media_for(self, kind: Kind) -> tuple[Medium, ...]:
        return self.media.get(kind.value, rules.DEFAULT_MEDIA[kind])


def default_quiet() -> tuple[dt.time, dt.time] | None:
    return rules.parse_quiet(settings.HOTLINE_NOTIFY_QUIET_HOURS)


def choices_of(people: Sequence[User]) -> dict[int, Choices]:
    rows = {s.person_id: s for s in NotifySettings.objects.filter(person__in=people).prefetch_related("preferences")}
    out = {}
    fallback = default_quiet()
    for person in people:
        own = rows.get(person.pk)
        if own is None:
            out[person.pk] = Choices({}, fallback)
            continue
        quiet = (own.quiet_start, own.quiet_end) if own.quiet_start and own.quiet_end else None
        out[person.pk] = Choices({p.kind: p.media() for p in own.preferences.all()}, quiet)
    return out


def address_of(person: User, medium: Medium) -> str:
    """Where `medium` reaches `person`: the mobile number for SMS and for the @ of the
    enterprise-messaging robot, the e-mail address for e-mail."""
    if medium is Medium.EMAIL:
        return person.email or ""
    return person.phone or ""


NO_ADDRESS = {Medium.SMS: "无手机号", Medium.WECOM: "无手机号", Medium.EMAIL: "无电子邮件地址"}


# ---- with what text ---------------------------------------------------------------------------------


def template_for(kind: Kind) -> tuple[str, str, str, str]:
    """(subject, body, default subject, default body) of a kind."""
    default_subject, default_body = texts.DEFAULTS[kind]
    row = Template.objects.filter(kind=kind.value).first()
    if row is None:
        return default_subject, default_body, default_subject, default_body
    return row.subject, row.body, default_subject, default_body


def base_url() -> str:
    return settings.HOTLINE_BASE_URL.rstrip("/")


def order_context(order: WorkOrder, *, clock: str = "", due: dt.datetime | None = None, text: str = "") -> dict[str, Any]:
    if due is None:
        due = order.sign_due if order.state == State.DISPATCHED and order.signed_at is None else order.reply_due
    return {
        "number": order.number, "title": order.title, "unit": order.lead_unit.name if order.lead_unit_id else "",
        "due": due, "link": base_url() + reverse("web:order", args=[order.pk]),
        "urgency": order.get_urgency_display(), "text": text, "clock": clock,
    }


# ---- the rows -----------------------------------------------------------------------------------------


def notify(kind: Kind, people: Sequence[User], context: dict[str, Any], *, order: WorkOrder | None = None,
           emergency: bool = False, now: dt.datetime | None = None, dedupe: str | None = None) -> list[Queued]:
    """Write one Notification per person and medium they chose for `kind` (one SUPPRESSED row
    for a person who chose none or cannot be reached). With `dedupe`, a row whose key
    ("<dedupe>:<person>:<medium>") exists already is not written again (a second scan)."""
    if not people:
        return []
    now = now or timezone.now()
    choices = choices_of(people)
    # (person, medium or None for "chose none", key): what would be written
    plan = [(person, medium, _fit(f"{dedupe}:{person.pk}:{medium.value if medium else 'none'}") if dedupe else None)
            for person in people for medium in (choices[person.pk].media_for(kind) or (None,))]
    if dedupe is not None:  # a scan: what an earlier scan wrote is skipped, in one query
        taken = set(Notification.objects.filter(dedupe_key__in=[key for _p, _m, key in plan])
                    .values_list("dedupe_key", flat=True))
        plan = [item for item in plan if item[2] not in taken]
        if not plan:
            return []
    tz = timezone.get_current_timezone()
    subject_src, body_src, default_subject, default_body = template_for(kind)
    texts_of: dict[int, tuple[str, str]] = {}
    rows: list[tuple[Notification, bool]] = []
    for person, medium, key in plan:
        if person.pk not in texts_of:
            ctx = {**context, "person": str(person)}
            texts_of[person.pk] = (texts.render(subject_src, ctx, fallback=default_subject)[:200],
                                   texts.render(body_src, ctx, fallback=default_body))
        subject, body = texts_of[person.pk]
        common = {"person": person, "kind": kind.value, "order_id": order.pk if order else None,
                  "order_number": order.number if order else "", "subject": subject, "text": body,
                  "emergency": emergency, "created_at": now, "dedupe_key": key}
        if medium is None:
            rows.append((Notification(**common, medium="", state=Notification.State.SUPPRESSED,
                                      last_error=_("本人设置为不接收此类通知。")), False))
            continue
        address = address_of(person, medium)
        if not address:
            rows.append((Notification(**common, medium=medium.value, state=Notification.State.SUPPRESSED,
                                      last_error=NO_ADDRESS[medium]), False))
            continue
        not_before = rules.deliver_at(now, choices[person.pk].quiet, tz, emergency=emergency)
        rows.append((Notification(**common, medium=medium.value, address=address, not_before=not_before), True))
    if dedupe is None:  # rows of an action's event: one INSERT (their ids come back on SQLite and PostgreSQL)
        Notification.objects.bulk_create([row for row, _deliver in rows])
        written = rows
    else:
        written = [(row, deliver) for row, deliver in rows if _write(row)]
    return [Queued(row.pk, row.kind, row.medium, row.not_before, row.dedupe_key) for row, deliver in written if deliver]


def _fit(key: str) -> str:
    # The column holds 200 characters; a longer key (a long subject) is kept as its digest.
    return key if len(key) <= 200 else "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def _write(row: Notification) -> bool:
    """Save `row` (its key checked free a moment ago); False when a parallel scan took the key."""
    try:
        with transaction.atomic():  # a savepoint: a parallel scan's row must not spoil the caller's transaction
            row.save()
    except IntegrityError:
        return False
    return True


def for_event(event: Event) -> list[Queued]:
    """The notifications an order's new event raises (rules.TRIGGERS), written now."""
    trigger = rules.trigger_for(event.action, event.data)
    if trigger is None or event.imported:
        return []
    order = event.order
    data = event.data or {}
    co = None
    if event.action in ("dispatch", "joint"):  # their event is written before the order's co-units are set
        co = [int(u) for u in data.get("co_units") or []]
    if trigger.audience is rules.Audience.PART_UNIT:  # the one co-unit whose part it is
        co = [int(data["unit"])] if data.get("unit") else []
    people = audience_of(order, trigger.audience, actor_id=event.actor_id, co_unit_ids=co)
    text = str(data.get("text") or data.get("note") or "")
    return notify(trigger.kind, people, order_context(order, text=text), order=order,
                  emergency=order.urgency == "emergency", now=event.at)


# ---- delivery (called by the notify channel's deliverer for its outbox row) -------------------------


def deliver(notification_id: int, *, message_id: str, final: bool = False,
            now: dt.datetime | None = None) -> senders.Outcome:
    """Send one notification through its medium's sender and record what happened: SENT, or
    FAILED on a permanent refusal (or on the `final` attempt the outbox makes), or still QUEUED
    (with the error) when it is to be retried. A notification already sent is not sent again (a
    redelivered outbox row); a FAILED one is, when an operator retries its outbox row."""
    row = Notification.objects.select_related("person").filter(pk=notification_id).first()
    if row is None:
        return senders.Outcome.permanent(f"notification {notification_id} does not exist")
    if row.state == Notification.State.SENT:
        return senders.Outcome.sent("already sent")
    if row.state == Notification.State.SUPPRESSED:
        return senders.Outcome.sent("suppressed")
    if not row.person.is_active:
        Notification.objects.filter(pk=row.pk).update(state=Notification.State.SUPPRESSED,
                                                      last_error=_("收件人已停用。"))
        return senders.Outcome.sent("person inactive")
    message = senders.OutgoingMessage(id=message_id, medium=row.medium, to=row.address, subject=row.subject,
                                      text=row.text, emergency=row.emergency,
                                      extra={"kind": row.kind, "order": row.order_number})
    try:
        outcome = senders.get_sender(row.medium).send(message)
    except Exception as e:  # noqa: BLE001 - a sender's bug is a failed attempt, retried, not a dead worker
        outcome = senders.Outcome.again(f"{type(e).__name__}: {e}"[:500])
    now = now or timezone.now()
    changes: dict[str, Any] = {"attempts": F("attempts") + 1}
    if outcome.ok:
        changes.update(state=Notification.State.SENT, sent_at=now, last_error="")
    else:
        changes.update(last_error=outcome.detail[:2000])
        if not outcome.retry or final:
            changes["state"] = Notification.State.FAILED
    Notification.objects.filter(pk=row.pk).update(**changes)
    return outcome


# ---- a person's own choices ---------------------------------------------------------------------------


def preferences_of(person: User) -> tuple[dict[Kind, tuple[Medium, ...]], tuple[dt.time, dt.time] | None]:
    """What `person` is told through, per kind, and their quiet hours (defaults filled in)."""
    choice = choices_of([person])[person.pk]
    return {k: choice.media_for(k) for k in Kind}, choice.quiet


@transaction.atomic
def save_preferences(person: User, media: dict[Kind, Iterable[Medium]],
                     quiet: tuple[dt.time, dt.time] | None) -> NotifySettings:
    """Replace `person`'s choices: every kind gets a row (so a later change of the defaults does
    not change what they chose), quiet hours None for none."""
    own, _created = NotifySettings.objects.get_or_create(person=person)
    own.quiet_start, own.quiet_end = quiet if quiet else (None, None)
    own.save()
    for kind in Kind:
        chosen = set(media.get(kind, ()))
        Preference.objects.update_or_create(owner=own, kind=kind.value,
                                            defaults={m.value: m in chosen for m in Medium})
    return own
