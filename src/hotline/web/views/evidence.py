"""Evidence files, served only through the order they belong to.

Whoever sees the order (orders_visible_to) sees its files; anyone else gets the same 404 as for
a file that does not exist. The type served is the one orders/evidence.py detected, never one
guessed from the name; only re-encoded photos are shown inline, everything else is a download.
Where the order's procedure traces evidence views, a GET only asks (pages never write) and the
POST from that page records the look (do_view_evidence) and sends the file.

settings.HOTLINE_SENDFILE lets the web server send the bytes (nginx X-Accel-Redirect, Apache or
lighttpd X-Sendfile) once the checks here have passed; by default Django streams the file.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hotline.errors import DomainError
from hotline.orders import actions as do
from hotline.orders import procedures
from hotline.orders.models import Evidence, WorkOrder
from hotline.orders.selectors import order_for
from hotline.orders.states import Action

from ..actions import allowed_actions

# Re-encoded by orders/evidence.py, so safe to show in the browser; the rest is downloaded.
INLINE_TYPES = frozenset({"image/jpeg", "image/png"})
# A file is no page: no script, no plug-in, no form, even if a browser were to render it as one.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _visible_or_404(request: HttpRequest, order_id: int, evidence_id: int) -> tuple[WorkOrder, Evidence]:
    order = order_for(request.user, order_id)  # type: ignore[arg-type]
    item = Evidence.objects.filter(order_id=order.pk, pk=evidence_id).first() if order is not None else None
    # The tables say who may view evidence; for a person who sees the order, they agree.
    if item is None or not allowed_actions(order, request.user, candidates=[Action.VIEW_EVIDENCE]):  # type: ignore[arg-type]
        raise Http404(_("材料不存在或您无权查看。"))
    return order, item  # type: ignore[return-value]


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def evidence_file(request: HttpRequest, order_id: int, evidence_id: int) -> HttpResponse:
    order, item = _visible_or_404(request, order_id, evidence_id)
    if not procedures.profile_for(order).trace_evidence_views:
        return serve(item)
    if request.method != "POST":
        return render(request, "web/evidence_traced.html", {"order": order, "item": item})
    try:
        item = do.do_view_evidence(order.pk, actor=request.user, evidence_id=item.pk)  # type: ignore[arg-type]
    except DomainError:
        # Changed between the check above and the lock (the order moved to another unit): as
        # for anything else the person may not see.
        raise Http404(_("材料不存在或您无权查看。")) from None
    return serve(item)


def serve(item: Evidence) -> HttpResponse:
    """The file's response: its verified type, inline only for photos, never sniffed or cached."""
    content_type = item.content_type or "application/octet-stream"
    attachment = content_type not in INLINE_TYPES
    mode = settings.HOTLINE_SENDFILE
    response: HttpResponse
    if mode in ("x-accel-redirect", "x-sendfile"):
        response = HttpResponse(content_type=content_type)
        if mode == "x-accel-redirect":
            response["X-Accel-Redirect"] = quote(settings.HOTLINE_SENDFILE_PREFIX.rstrip("/") + "/" + item.file.name)
        else:
            response["X-Sendfile"] = item.file.path
        response["Content-Disposition"] = content_disposition_header(attachment, item.name)
    else:
        try:
            handle = item.file.open("rb")
        except FileNotFoundError:
            raise Http404(_("材料不存在或您无权查看。")) from None
        response = FileResponse(handle, content_type=content_type, as_attachment=attachment, filename=item.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "private, no-store"
    return response
