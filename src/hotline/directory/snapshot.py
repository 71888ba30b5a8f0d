"""The reference data the actions read on every step, held in memory per process.

A dispatch needs the category's ancestors, the area's ancestors, the responsibility list, the
deadline rules and the working-day calendar; a reply needs the category's procedure profile. Reading them from the
database each time cost a dispatch eight queries. `current()` instead reads one single-row token
(`DirectoryRevision`) and returns the copy built from that token, rebuilding it when the token
has changed. Every save or delete of the data behind it, through the ORM (admin, loaders,
scripts, the demo), writes a fresh token in the same transaction (signals in `apps.py`), so a
copy is never used after a change is committed, in this process or any other. Writes that bypass
the ORM's save and delete (a queryset `update()`, `bulk_create`, raw SQL) must call `bump()`
themselves, as the calendar seeding does.

Units are not held here: an administrator who deactivates a unit by any means must see the next
dispatch refused, so the actions still read units from the table.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass, field

from django.db import connections

from .models import (
    Area,
    CalendarDay,
    CalendarYear,
    Category,
    DeadlineRule,
    DirectoryRevision,
    ProcedureProfile,
    ResponsibilityRule,
)

MAX_DEPTH = 20  # guards the walks up the trees against a cycle entered by hand


@dataclass
class Snapshot:
    token: str | None
    categories: dict[int, Category] = field(default_factory=dict)
    category_parent: dict[int, int | None] = field(default_factory=dict)
    area_parent: dict[int, int | None] = field(default_factory=dict)
    profiles: dict[int, ProcedureProfile] = field(default_factory=dict)
    # (category id, area id or None) -> the rules for that pair, any dates, newest first
    rules: dict[tuple[int, int | None], list[ResponsibilityRule]] = field(default_factory=dict)
    # ("category" | "profile", id) -> the deadline rules for that target, any dates, newest first
    deadline_rules: dict[tuple[str, int], list[DeadlineRule]] = field(default_factory=dict)
    calendar_overrides: dict[dt.date, bool] = field(default_factory=dict)
    calendar_years: frozenset[int] = frozenset()
    memo: dict[str, object] = field(default_factory=dict)  # what other modules derive from this copy

    def category_lineage(self, category_id: int | None) -> list[int]:
        """The category and its ancestors, nearest first."""
        return _chain(self.category_parent, category_id)

    def area_lineage(self, area_id: int | None) -> list[int]:
        """The area and its ancestors, nearest first."""
        return _chain(self.area_parent, area_id)

    def profile(self, category_id: int | None) -> ProcedureProfile | None:
        """The procedure profile of the nearest category up the tree that names one."""
        for cat_id in self.category_lineage(category_id):
            cat = self.categories.get(cat_id)
            if cat is not None and cat.profile_id is not None:
                return self.profiles.get(cat.profile_id)
        return None

    def rule_for(self, category_id: int | None, area_id: int | None, on: dt.date) -> ResponsibilityRule | None:
        """The rule in force on `on`: the most specific area first (the area, its parents, then
        district-wide), then the category's parents."""
        if category_id is None or not self.rules:
            return None
        places: list[int | None] = [*self.area_lineage(area_id), None]
        for cat in self.category_lineage(category_id):
            for place in places:
                for rule in self.rules.get((cat, place), ()):
                    if rule.effective_from <= on and (rule.effective_to is None or on < rule.effective_to):
                        return rule
        return None

    def deadline_rule_for(self, category_id: int | None, on: dt.date) -> DeadlineRule | None:
        """The deadline rule in force on `on` for an order of this category: the category's own,
        else the nearest ancestor's (a rule applies to the sub-categories that have none in
        force), else the rule of the category's procedure profile."""
        if category_id is None or not self.deadline_rules:
            return None
        for cat in self.category_lineage(category_id):
            for rule in self.deadline_rules.get(("category", cat), ()):
                if rule.in_force(on):
                    return rule
        profile = self.profile(category_id)
        if profile is not None:
            for rule in self.deadline_rules.get(("profile", profile.pk), ()):
                if rule.in_force(on):
                    return rule
        return None

    def covers(self, rule: ResponsibilityRule, category_id: int | None, area_id: int | None) -> bool:
        """Whether a rule speaks about an order of this category and area: its category or an
        ancestor, and its area or an ancestor, or district-wide."""
        return rule.category_id in self.category_lineage(category_id) and (
            rule.area_id is None or rule.area_id in self.area_lineage(area_id)
        )


def _chain(parents: dict[int, int | None], start: int | None) -> list[int]:
    out: list[int] = []
    node = start
    while node is not None and node not in out and len(out) < MAX_DEPTH:
        out.append(node)
        node = parents.get(node)
    return out


_lock = threading.Lock()
_copies: dict[str, Snapshot] = {}


def read_token(using: str = "default") -> str | None:
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT token FROM {DirectoryRevision._meta.db_table} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


def current(using: str = "default") -> Snapshot:
    """The reference data as of the latest committed change (or this transaction's own)."""
    # The token is read before the tables: data newer than its token only costs a reload later,
    # data older than its token can never be taken for current.
    token = read_token(using)
    copy = _copies.get(using)
    if copy is not None and token is not None and copy.token == token:
        return copy
    copy = load(token, using)
    if token is not None:
        with _lock:
            _copies[using] = copy
    return copy


def load(token: str | None, using: str = "default") -> Snapshot:
    categories = {c.pk: c for c in Category.objects.using(using).all()}
    profiles = {p.pk: p for p in ProcedureProfile.objects.using(using).all()}
    areas = {a.pk: a for a in Area.objects.using(using).all()}
    rules: dict[tuple[int, int | None], list[ResponsibilityRule]] = {}
    for rule in ResponsibilityRule.objects.using(using).select_related("lead_unit").order_by("-effective_from"):
        # the rule's own category and area come from the copy, so labels need no query
        rule.category = categories[rule.category_id]
        rule.area = areas.get(rule.area_id) if rule.area_id is not None else None
        rules.setdefault((rule.category_id, rule.area_id), []).append(rule)
    deadline_rules: dict[tuple[str, int], list[DeadlineRule]] = {}
    for drule in DeadlineRule.objects.using(using).order_by("-effective_from"):
        # labels (the category's path, the profile's name) from the copy, with no query
        if drule.category_id is not None:
            drule.category = categories[drule.category_id]
            deadline_rules.setdefault(("category", drule.category_id), []).append(drule)
        elif drule.profile_id is not None:
            drule.profile = profiles[drule.profile_id]
            deadline_rules.setdefault(("profile", drule.profile_id), []).append(drule)
    return Snapshot(
        token=token,
        categories=categories,
        category_parent={k: c.parent_id for k, c in categories.items()},
        area_parent={k: a.parent_id for k, a in areas.items()},
        profiles=profiles,
        rules=rules,
        deadline_rules=deadline_rules,
        calendar_overrides=dict(CalendarDay.objects.using(using).values_list("date", "is_workday")),
        calendar_years=frozenset(CalendarYear.objects.using(using).values_list("year", flat=True)),
    )


def bump(using: str = "default") -> None:
    """Mark the reference data as changed (in the caller's transaction, if any)."""
    token = uuid.uuid4().hex
    if not DirectoryRevision.objects.using(using).filter(pk=1).update(token=token):
        DirectoryRevision.objects.using(using).update_or_create(pk=1, defaults={"token": token})
