"""The pure tables and quiet hours, without a database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from hotline.notify import rules
from hotline.notify.rules import Audience, Kind, deliver_at, parse_quiet, trigger_for
from hotline.orders.states import Action

SH = ZoneInfo("Asia/Shanghai")
QUIET = (dt.time(22, 0), dt.time(7, 0))


def at(h: int, m: int = 0, day: int = 3) -> dt.datetime:
    return dt.datetime(2026, 12, day, h, m, tzinfo=SH)


def test_every_trigger_names_a_real_action():
    assert set(rules.TRIGGERS) <= {a.value for a in Action}


@pytest.mark.parametrize(("action", "kind", "audience"), [
    ("dispatch", Kind.NEW_ORDER, Audience.ALL_UNITS), ("claim", Kind.NEW_ORDER, Audience.LEAD_UNIT),
    ("accept_return", Kind.NEW_ORDER, Audience.LEAD_UNIT), ("joint", Kind.NEW_ORDER, Audience.ALL_UNITS),
    ("escalate", Kind.NEW_ORDER, Audience.LEAD_UNIT), ("redo", Kind.REDO, Audience.LEAD_UNIT),
    ("urge", Kind.URGE, Audience.ALL_UNITS), ("supervise", Kind.SUPERVISE, Audience.ALL_UNITS),
])
def test_the_brief_s_actions_tell_the_unit(action, kind, audience):
    assert trigger_for(action, {}) == rules.Trigger(kind, audience)


@pytest.mark.parametrize("action", ["create", "sign", "reply", "approve", "annotate", "view_phone", "callback",
                                    "progress", "contact", "return"])
def test_other_actions_tell_nobody(action):
    assert trigger_for(action, {}) is None


def test_lifting_supervision_tells_nobody():
    assert trigger_for("supervise", {"on": False}) is None
    assert trigger_for("supervise", {"on": True}).kind is Kind.SUPERVISE


def test_every_kind_has_default_media_and_a_label():
    assert set(rules.DEFAULT_MEDIA) == set(Kind) == set(rules.KIND_LABELS)


@pytest.mark.parametrize(("now", "expected"), [
    (at(21, 59), None),
    (at(22, 0), at(7, 0, day=4)),
    (at(23, 30), at(7, 0, day=4)),
    (at(3, 15), at(7, 0)),
    (at(6, 59), at(7, 0)),
    (at(7, 0), None),
    (at(12, 0), None),
])
def test_quiet_hours_across_midnight_defer_to_their_end(now, expected):
    assert deliver_at(now, QUIET, SH) == expected


def test_a_utc_clock_is_read_in_local_time():
    # 15:30 UTC is 23:30 in Shanghai: inside the quiet hours.
    now = dt.datetime(2026, 12, 3, 15, 30, tzinfo=dt.UTC)
    assert deliver_at(now, QUIET, SH) == at(7, 0, day=4)


def test_daytime_quiet_hours_are_not_taken_across_midnight():
    lunch = (dt.time(12, 0), dt.time(13, 30))
    assert deliver_at(at(12, 45), lunch, SH) == at(13, 30)
    assert deliver_at(at(23, 0), lunch, SH) is None


def test_emergencies_and_people_without_quiet_hours_are_told_at_once():
    assert deliver_at(at(23, 30), QUIET, SH, emergency=True) is None
    assert deliver_at(at(23, 30), None, SH) is None
    assert deliver_at(at(23, 30), (dt.time(8), dt.time(8)), SH) is None


def test_quiet_hours_parse():
    assert parse_quiet("22:00-07:00") == QUIET
    assert parse_quiet(" 22:30 - 06:45 ") == (dt.time(22, 30), dt.time(6, 45))
    assert parse_quiet("") is None
    for bad in ("22:00", "25:00-07:00", "late-early"):
        with pytest.raises(ValueError):
            parse_quiet(bad)
