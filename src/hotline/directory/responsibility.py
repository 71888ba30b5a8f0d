"""The responsibility list on one day, for pages that look up many orders at once (a dispatch
board suggesting units for 25 orders asks the database once, not 25 times)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from . import snapshot
from .models import ResponsibilityRule


@dataclass(frozen=True)
class RuleBook:
    """Rules in force on one day, resolved like actions.rule_for (they share directory.snapshot):
    the most specific area first (the area, its parents, then district-wide), then the
    category's parents."""

    copy: snapshot.Snapshot
    on: dt.date

    @classmethod
    def load(cls, on: dt.date | None = None) -> RuleBook:
        return cls(copy=snapshot.current(), on=on or timezone.localdate())

    def lookup(self, category_id: int | None, area_id: int | None) -> ResponsibilityRule | None:
        return self.copy.rule_for(category_id, area_id, self.on)
