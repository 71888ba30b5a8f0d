"""Helpers shared by the workspace views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from hotline.directory.roles import FULL_PHONE_ROLES, PERSONAL_EXPORT_ROLES, Role
from hotline.errors import InvalidInput
from hotline.orders.models import WorkOrder
from hotline.orders.validation import as_int, mask_phone

HOME_BY_ROLE = {
    Role.AGENT: "web:intake",
    Role.DISPATCHER: "web:dispatch",
    Role.HANDLER: "web:inbox",
    Role.UNIT_HEAD: "web:inbox",
    Role.REVIEWER: "web:review",
    Role.CALLBACK: "web:callback",
    Role.SUPERVISOR: "web:overview",
    Role.ADMIN: "web:overview",
}


def roles_required(*roles: Role) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Login, then a 403 page unless the user has one of `roles`. The view keeps its roles
    (`view.roles`), so the menus (web/menu.py) offer a page to exactly the people it opens for."""
    allowed = frozenset(r.value for r in roles)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.user.role not in allowed:  # type: ignore[union-attr]
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.roles = allowed  # type: ignore[attr-defined]
        return wrapper

    return decorator


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect(HOME_BY_ROLE.get(Role(request.user.role), "web:orders"))  # type: ignore[union-attr]


def paginate(request: HttpRequest, qs: QuerySet[Any], per_page: int = 30) -> Page:
    """?page=N (the one integer parser): a page past the end shows the last one; "3.7", "abc" or
    0 is a 400, not quietly page 1."""
    raw = request.GET.get("page") or ""
    number = as_int(raw, minimum=1) if raw.strip() else 1
    if number is None:
        raise InvalidInput(_("页码“%(v)s”无效，应为正整数。") % {"v": raw[:20]}, details={"page": [_("须为正整数。")]})
    return Paginator(qs, per_page).get_page(number)


def shows_full_phone(user: Any) -> bool:
    return Role(user.role) in FULL_PHONE_ROLES


def phone_for(user: Any, order: WorkOrder) -> str:
    return order.caller_phone if shows_full_phone(user) else mask_phone(order.caller_phone)


def exports_personal_data(user: Any) -> bool:
    """May `user` export caller names and numbers (see roles.PERSONAL_EXPORT_ROLES)?"""
    return Role(user.role) in PERSONAL_EXPORT_ROLES


# Event data derived from the caller's number: the old unsalted digest (a masked number leaves
# 10,000 candidates, so it gives the number back) and the keyed one that replaced it.
PHONE_DERIVED_KEYS = frozenset({"caller_phone_sha256", "caller_phone_hmac"})


def event_data_for(user: Any, data: dict[str, Any]) -> dict[str, Any]:
    """An event's data as `user` may read it: nothing derived from the phone number for a role
    that sees it masked, so no guess can be tested against it."""
    if shows_full_phone(user):
        return data
    return {k: v for k, v in data.items() if k not in PHONE_DERIVED_KEYS}


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"
