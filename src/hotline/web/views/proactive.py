"""Acting before the call (未诉先办) at the centre: open a proactive order and dispatch it, and the
verification queue (核验), where the centre closes a proactive order whose result it has checked,
or sends it back to the unit when it fails. Both write only through the actions."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from hotline.directory.roles import Role
from hotline.errors import DomainError
from hotline.orders import actions as do
from hotline.orders.models import Reply
from hotline.orders.selectors import awaiting_verification, orders_visible_to, proactive
from hotline.orders.states import State

from ..actions import apply_domain_error
from ..forms import ProactiveForm, ReasonForm, VerifyForm
from .common import paginate, roles_required

R = Role
CENTRE = (R.DISPATCHER, R.SUPERVISOR)


@roles_required(*CENTRE)
def new_proactive(request: HttpRequest) -> HttpResponse:
    """Open a proactive order (no caller) and send it to its unit at once."""
    if request.method == "POST":
        form = ProactiveForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                order = do.do_create_proactive(
                    actor=request.user, title=d["title"], description=d["description"],  # type: ignore[arg-type]
                    area_id=d["area"].pk if d["area"] else None, address=d["address"],
                    category_id=d["category"].pk if d["category"] else None, unit_id=d["unit"].pk,
                    source=d["source"], source_ref=d["source_ref"], note=d["note"], urgency=d["urgency"],
                    idempotency_key=d["idempotency_key"] or None)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("已发起主动治理工单 %(n)s，并派给%(u)s。") % {
                    "n": order.number, "u": d["unit"].name})
                return redirect("web:order", order_id=order.pk)
        response = render(request, "web/proactive_new.html", {"form": form}, status=400)
    else:
        response = render(request, "web/proactive_new.html",
                          {"form": ProactiveForm(initial={"idempotency_key": uuid.uuid4().hex})})
    patch_cache_control(response, no_store=True)
    return response


@roles_required(*CENTRE)
def verify_queue(request: HttpRequest) -> HttpResponse:
    """Proactive orders whose reply passed review: the reply beside the request, and the two
    decisions (verified and closed, or failed and reopened)."""
    visible = orders_visible_to(request.user)  # type: ignore[arg-type]
    queue = awaiting_verification(visible).select_related("lead_unit", "category", "area")
    page = paginate(request, queue, 20)
    orders = list(page.object_list)
    replies: dict[int, Reply] = {}
    for reply in Reply.objects.filter(order__in=orders).order_by("order_id", "round"):
        replies[reply.order_id] = reply  # the latest round
    rows: list[dict[str, Any]] = [{
        "order": o, "reply": replies.get(o.pk), "verify_form": VerifyForm(prefix="verify"),
        "reopen_form": ReasonForm(prefix="reopen"), "key": uuid.uuid4().hex,
    } for o in orders]
    recent = proactive(visible).filter(state=State.CLOSED).select_related("lead_unit").order_by("-closed_at")[:10]
    return render(request, "web/verify.html", {"page": page, "rows": rows, "total": queue.count(),
                                               "recent": recent})
