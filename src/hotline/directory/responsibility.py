"""The responsibility list held in memory for one request or one batch: a page that suggests a
unit for 25 orders asks the database once, not 25 times."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from .models import Area, Category, ResponsibilityRule


@dataclass
class RuleBook:
    """Rules in force on one day, resolved like actions.rule_for: the most specific area first
    (the area, its parents, then district-wide), then the category's parents."""

    rules: dict[tuple[int, int | None], ResponsibilityRule] = field(default_factory=dict)
    category_parent: dict[int, int | None] = field(default_factory=dict)
    area_parent: dict[int, int | None] = field(default_factory=dict)

    @classmethod
    def load(cls, on: dt.date | None = None) -> RuleBook:
        on = on or timezone.localdate()
        in_force = (
            ResponsibilityRule.objects.filter(effective_from__lte=on)
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=on))
            .select_related("lead_unit")
        )
        return cls(
            rules={(r.category_id, r.area_id): r for r in in_force},
            category_parent=dict(Category.objects.values_list("id", "parent_id")),
            area_parent=dict(Area.objects.values_list("id", "parent_id")),
        )

    def _chain(self, parents: dict[int, int | None], start: int | None) -> list[int]:
        out: list[int] = []
        node = start
        while node is not None and node not in out and len(out) < 20:
            out.append(node)
            node = parents.get(node)
        return out

    def lookup(self, category_id: int | None, area_id: int | None) -> ResponsibilityRule | None:
        if category_id is None or not self.rules:
            return None
        places: list[int | None] = [*self._chain(self.area_parent, area_id), None]
        for cat in self._chain(self.category_parent, category_id):
            for place in places:
                rule = self.rules.get((cat, place))
                if rule is not None:
                    return rule
        return None
