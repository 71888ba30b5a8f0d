"""Services (GeoReport's request types) from the category tree, and their definitions.

A service is an active category with no active children (a leaf: what the responsibility list
routes by). Its service_code is the category's id: categories have no code of their own, and the
id never changes when an administrator renames one. The definition's attributes are what the
intake needs and the spec lacks: a title, the urgency tier and the area (the street or town,
which decides the unit on the spot)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from hotline.directory.models import Area, Category
from hotline.orders.models import Urgency
from hotline.orders.validation import as_id


def service_categories() -> list[Category]:
    """The categories offered as services, in the tree's order."""
    children = Category.objects.filter(parent=OuterRef("pk"), active=True)
    return list(Category.objects.filter(active=True).exclude(Exists(children)).select_related("parent")
                .order_by("path"))


def service_category(code: str) -> Category | None:
    """The category behind a service code, if it is offered."""
    pk = as_id(code)
    return service_categories_by_id([pk]).get(pk) if pk is not None else None


def service_categories_by_id(ids: list[int]) -> dict[int, Category]:
    children = Category.objects.filter(parent=OuterRef("pk"), active=True)
    qs = Category.objects.filter(pk__in=ids, active=True).exclude(Exists(children)).select_related("parent")
    return {c.pk: c for c in qs}


def service_list() -> list[dict[str, Any]]:
    """The spec's service list (metadata: every service has the attributes below)."""
    metadata = bool(attributes())
    return [service_record(c, metadata=metadata) for c in service_categories()]


def service_record(category: Category, *, metadata: bool) -> dict[str, Any]:
    names = category.path.split("/")
    return {
        "service_code": str(category.pk),
        "service_name": category.name,
        "description": category.path,
        "metadata": metadata,
        "type": "realtime",
        "keywords": ",".join(names),
        "group": category.parent.name if category.parent_id else "",
    }


@dataclass(frozen=True)
class Attribute:
    code: str
    description: str
    datatype: str
    required: bool
    order: int
    values: tuple[tuple[str, str], ...] = ()
    max_length: int = 0

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "variable": True, "code": self.code, "datatype": self.datatype, "required": self.required,
            "datatype_description": None, "order": self.order, "description": self.description,
        }
        if self.datatype in ("singlevaluelist", "multivaluelist"):
            out["values"] = [{"key": key, "name": name} for key, name in self.values]
        return out


def attributes() -> list[Attribute]:
    """The attributes every service takes (the same for all: the intake asks the same of every
    request; what differs by category is how it is handled, not what is asked)."""
    areas = tuple((a.code, a.name) for a in Area.objects.order_by("code"))
    return [
        Attribute("title", _("标题（不填则取诉求内容的开头）"), "string", False, 1, max_length=200),
        Attribute("urgency", _("紧急程度"), "singlevaluelist", False, 2,
                  tuple((value, str(label)) for value, label in Urgency.choices)),
        Attribute("area", _("所在街道（乡镇）"), "singlevaluelist", False, 3, areas),
    ]


def definition(category: Category) -> dict[str, Any]:
    return {"service_code": str(category.pk), "attributes": [a.record() for a in attributes()]}
