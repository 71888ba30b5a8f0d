"""The failed-deliveries page (外发异常): rows that kept failing, to inspect, retry or give up
with a reason. Supervisors and administrators only."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hotline import outbox
from hotline.directory.roles import Role
from hotline.errors import DomainError
from hotline.web.views.common import paginate, roles_required

from .models import OutboxMessage

OPERATORS = (Role.SUPERVISOR, Role.ADMIN)


@roles_required(*OPERATORS)
def failed(request: HttpRequest) -> HttpResponse:
    chans = outbox.channels()
    channel = request.GET.get("channel") or ""
    if channel and channel not in chans and not OutboxMessage.objects.filter(channel=channel).exists():
        channel = ""
    rows = outbox.failed_rows(channel or None).order_by("-id")
    labels = {name: c.label for name, c in chans.items()}
    return render(request, "outbox/failed.html", {
        "page": paginate(request, rows), "channel": channel, "labels": labels, "status": outbox.status(),
    })


def _row(message_id: int) -> OutboxMessage:
    row = OutboxMessage.objects.filter(pk=message_id).select_related("given_up_by").first()
    if row is None:
        raise Http404
    return row


@roles_required(*OPERATORS)
def failed_one(request: HttpRequest, message_id: int) -> HttpResponse:
    row = _row(message_id)
    earlier = OutboxMessage.objects.filter(channel=row.channel, stream=row.stream, seq__lt=row.seq).order_by("-seq")[:5]
    waiting = OutboxMessage.objects.filter(channel=row.channel, stream=row.stream, seq__gt=row.seq).count()
    return render(request, "outbox/failed_one.html", {
        "row": row, "payload": json.dumps(row.payload, ensure_ascii=False, indent=2, sort_keys=True),
        "earlier": earlier, "waiting": waiting, "label": getattr(outbox.channels().get(row.channel), "label", row.channel),
    })


@require_POST
@roles_required(*OPERATORS)
def retry(request: HttpRequest, message_id: int) -> HttpResponse:
    try:
        outbox.retry(message_id, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, _("已重新发送队列，稍后由后台进程发送。"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("outbox:failed_one", message_id=message_id)


@require_POST
@roles_required(*OPERATORS)
def give_up(request: HttpRequest, message_id: int) -> HttpResponse:
    try:
        outbox.give_up(message_id, actor=request.user, reason=request.POST.get("reason", ""))  # type: ignore[arg-type]
        messages.success(request, _("已放弃发送；同一顺序键后面的消息将继续发送。"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("outbox:failed_one", message_id=message_id)
