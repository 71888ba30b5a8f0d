"""The JSON API (OpenAPI 3 at /api/openapi.json, Swagger UI from vendored files at /api/docs).

Same rules as the pages: reads start from orders_visible_to, writes go through the action
registry (orders/registry.py): one endpoint per action, `POST /api/orders/{id}/actions/<verb>`,
its body the action's typed input, generated from the registry; the pages run the same
registry from their forms. Every write takes an `Idempotency-Key` header, and every error has
one shape: {"error": code, "message": text, "details": {...}}.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import File, Header, NinjaAPI, Path, Schema, Status, Swagger, UploadedFile
from ninja.errors import AuthenticationError, HttpError, ValidationError

from hotline.errors import DomainError, InvalidInput, NotFound, RateLimited
from hotline.orders import actions as do
from hotline.orders.models import Event, Evidence, WorkOrder
from hotline.orders.registry import (
    MAX_ID,
    REGISTRY,
    ActionInput,
    ActionSpec,
    AttachIn,
    allowed_actions,
    field_errors,
)
from hotline.orders.selectors import order_for, orders_visible_to
from hotline.orders.states import Action, State
from hotline.web.actions import run_action
from hotline.web.views.common import event_data_for, phone_for

from .auth import API_AUTH

logger = logging.getLogger("hotline.api")
MAX_PAGE = 10_000_000  # page × per_page stays far inside a 64-bit OFFSET on every database
MAX_PER_PAGE = 200
STATES = frozenset(s.value for s in State)

# Swagger UI from the files django-ninja ships (ninja/static/, "ninja" in INSTALLED_APPS): no CDN;
# no online validator badge either (it would call out to the validator's site).
api = NinjaAPI(title="Hotline 12345 API", version="1", urls_namespace="api", auth=API_AUTH,
               docs=Swagger(settings={"validatorUrl": None}),
               description="The district hotline's orders and their closed loop. Every error is "
                           '{"error": code, "message": text in the user\'s language, "details": {...}}.')
KEY_HELP = ("1 to 80 printable characters chosen by the client: a retry with the same key and the same input "
            "answers like the first request and writes nothing; the same key with another input is refused (409).")


class ErrorOut(Schema):
    """The one error shape of the API."""

    error: str
    message: str
    details: dict[str, Any]


ERROR_TEXT = {400: "Invalid input (details per field)", 401: "Not authenticated",
              403: "Not allowed (role, unit or scope), or a missing CSRF token with the session cookie",
              404: "No such order (or not visible to you), or no such path", 409: "Wrong state, or a reused key",
              422: "The body or a parameter does not match the schema", 429: "Too many requests"}
ERRORS: dict[int, Any] = dict.fromkeys(ERROR_TEXT, ErrorOut)
# An order's id: a number no id column can hold is no order (404, before the body is looked at).
OrderId = Annotated[int, Path(..., ge=1, le=MAX_ID)]


def _error(request: HttpRequest, status: int, code: str, message: str, details: Any = None) -> HttpResponse:
    return api.create_response(request, {"error": code, "message": message, "details": details or {}}, status=status)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if any(list(err.get("loc", []))[:1] == ["path"] for err in exc.errors):
        # /orders/abc: no such order, as for an id that does not exist (whatever the body says)
        return _error(request, 404, "not_found", _("请求的地址或对象不存在。"))
    details = field_errors(exc.errors, skip=frozenset({"body", "payload", "query", "path", "header"}))
    return _error(request, 422, "invalid_input", _("请求内容格式不正确。"), details)


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", _("请先登录。"))


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # django-ninja raises these itself, with English texts: a CSRF failure, an unparsable body
    if exc.status_code == 403 and "CSRF" in str(exc):
        return _error(request, 403, "csrf_failed", _("请求缺少有效的CSRF令牌：请刷新页面后重试。"))
    if exc.status_code == 400:
        return _error(request, 400, "invalid_input", _("请求内容不是有效的JSON。"))
    return _error(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(MultiPartParserError)
def unparsable_body(request: HttpRequest, exc: Exception) -> HttpResponse:
    # e.g. multipart/form-data without a boundary: Django fails to parse it when the CSRF check or
    # the upload reads request.POST
    return _error(request, 400, "invalid_input", _("请求内容无法解析：请检查Content-Type与请求体。"))


@api.exception_handler(SuspiciousOperation)
def suspicious_body(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    # too many fields or files, a body over DATA_UPLOAD_MAX_MEMORY_SIZE
    if isinstance(exc, RequestDataTooBig):
        return _error(request, 413, "too_large", _("请求内容过大。"))
    return _error(request, 400, "invalid_input", _("请求内容格式不正确。"))


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", _("请求的地址或对象不存在。"))


@api.exception_handler(Exception)
def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Anything unexpected: logged with its traceback, answered in the error shape (no internals)."""
    logger.error("Unhandled exception in the API: %s %s", request.method, request.path, exc_info=exc)
    return _error(request, 500, "server_error", _("服务器内部错误，已记录，请稍后重试或联系管理员。"))


class IntakeIn(Schema):
    title: str
    description: str
    caller_name: str = ""
    caller_phone: str = ""
    channel: str = "web"
    address: str = ""
    area_id: int | None = None
    category_id: int | None = None
    urgency: str = ""  # omitted: the category's default (its deadline rule), else general
    latitude: float | None = None
    longitude: float | None = None


class OrderOut(Schema):
    id: int
    number: str
    state: str
    state_label: str
    title: str
    description: str
    caller_name: str
    caller_phone: str
    channel: str
    address: str
    area: str | None
    category: str | None
    urgency: str
    lead_unit: str | None
    received_at: dt.datetime
    sign_due: dt.datetime | None
    reply_due: dt.datetime | None
    deadline_rule: int | None = None  # the deadline rule that set reply_due (None: the urgency's default)
    replied_at: dt.datetime | None
    closed_at: dt.datetime | None
    redo_count: int
    return_count: int
    # call (a caller's request) or a proactive source: task, hotspot, seasonal, patrol (no caller)
    source: str
    source_ref: int | None
    allowed_actions: list[str]


class EventOut(Schema):
    seq: int
    action: str
    from_state: str
    to_state: str
    actor: str | None
    at: dt.datetime
    data: dict[str, Any]
    hash: str


class OrderListOut(Schema):
    count: int
    page: int
    results: list[OrderOut]


def _out(request: HttpRequest, order: WorkOrder, *, with_actions: bool = True) -> dict[str, Any]:
    return {
        "id": order.pk, "number": order.number, "state": order.state, "state_label": order.state_label,
        "title": order.title, "description": order.description, "caller_name": order.caller_name,
        "caller_phone": phone_for(request.user, order), "channel": order.channel, "address": order.address,
        "area": order.area.name if order.area else None, "category": order.category.path if order.category else None,
        "urgency": order.urgency, "lead_unit": order.lead_unit.name if order.lead_unit else None,
        "received_at": order.received_at, "sign_due": order.sign_due, "reply_due": order.reply_due,
        "deadline_rule": order.deadline_rule_id,
        "replied_at": order.replied_at, "closed_at": order.closed_at, "redo_count": order.redo_count,
        "return_count": order.return_count, "source": order.source, "source_ref": order.source_ref,
        "allowed_actions": [a.value for a in allowed_actions(order, request.user)] if with_actions else [],  # type: ignore[arg-type]
    }


@api.get("/orders", response={200: OrderListOut, **ERRORS}, summary="List the orders you may see", tags=["orders"])
def list_orders(request: HttpRequest, state: str = "", page: int = 1, per_page: int = 50) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    if state and state not in STATES:
        errors["state"] = [_("未知的状态。")]
    if not 1 <= page <= MAX_PAGE:
        errors["page"] = [_("页码须在1至%(n)d之间。") % {"n": MAX_PAGE}]
    if not 1 <= per_page <= MAX_PER_PAGE:
        errors["per_page"] = [_("每页条数须在1至%(n)d之间。") % {"n": MAX_PER_PAGE}]
    if errors:
        raise InvalidInput(_("查询参数不正确。"), details=errors)
    qs = orders_visible_to(request.user).select_related("area", "category", "lead_unit").order_by("-received_at", "-id")  # type: ignore[arg-type]
    if state:
        qs = qs.filter(state=state)
    rows = list(qs[(page - 1) * per_page: page * per_page])
    return {"count": qs.count(), "page": page, "results": [_out(request, o, with_actions=False) for o in rows]}


@api.post("/orders", response={201: OrderOut, **ERRORS}, summary="Take a request in (idempotent with Idempotency-Key)",
          tags=["orders"])
def create_order(request: HttpRequest, payload: IntakeIn,
                 idempotency_key: Annotated[str | None, Header(None, alias="Idempotency-Key",
                                                               description=KEY_HELP)] = None) -> Status:
    order = do.do_create(do.Intake(**payload.dict(), idempotency_key=idempotency_key or None),  # type: ignore[arg-type]
                         actor=request.user)
    return Status(201, _out(request, order))


def _visible(request: HttpRequest, order_id: int) -> WorkOrder:
    order = order_for(request.user, order_id)  # type: ignore[arg-type]
    if order is None:
        raise NotFound(_("工单不存在或您无权查看。"))
    return order


@api.get("/orders/{order_id}", response={200: OrderOut, **ERRORS}, summary="One order", tags=["orders"])
def get_order(request: HttpRequest, order_id: OrderId) -> dict[str, Any]:
    return _out(request, _visible(request, order_id))


@api.get("/orders/{order_id}/events", response={200: list[EventOut], **ERRORS}, summary="The order's trace",
         tags=["orders"])
def get_events(request: HttpRequest, order_id: OrderId) -> list[dict[str, Any]]:
    """Phone-derived values are left out for roles that see the number masked; the hash then no
    longer recomputes from the data shown, and the chain is checked on the server
    (`hotline verify-trace`)."""
    order = _visible(request, order_id)
    return [
        {"seq": e.seq, "action": e.action, "from_state": e.from_state, "to_state": e.to_state,
         "actor": str(e.actor) if e.actor else None, "at": e.at, "data": event_data_for(request.user, e.data), "hash": e.hash}
        for e in order.events.select_related("actor").order_by("seq")
    ]


def _action_endpoint(spec: ActionSpec) -> Any:
    """The endpoint of one action: its body is the action's input model."""

    def endpoint(request: HttpRequest, order_id: OrderId, payload: Any, idempotency_key: Any = None) -> dict[str, Any]:
        order = _visible(request, order_id)
        # A retry with the same Idempotency-Key answers like the first request, writing nothing.
        run_action(spec.action, order.pk, request.user, payload, key=idempotency_key)  # type: ignore[arg-type]
        order.refresh_from_db()
        return _out(request, order)

    endpoint.__annotations__ = {
        "request": HttpRequest, "order_id": OrderId, "payload": spec.input,
        "idempotency_key": Annotated[str | None, Header(None, alias="Idempotency-Key", description=KEY_HELP)],
        "return": dict[str, Any],
    }
    endpoint.__name__ = endpoint.__qualname__ = f"action_{spec.verb}"
    endpoint.__doc__ = f"{spec.action.name.replace('_', ' ').capitalize()} ({spec.label}).{_doc_of(spec)}"
    return endpoint


def _doc_of(spec: ActionSpec) -> str:
    doc = (spec.input.__doc__ or "").strip()
    return f" {doc}" if doc and spec.input.__doc__ != ActionInput.__doc__ else ""


for _spec in REGISTRY.values():
    if _spec.multipart:
        continue  # the upload has its own endpoint (multipart), below
    api.post(f"/orders/{{order_id}}/actions/{_spec.verb}", response={200: OrderOut, **ERRORS},
             summary=f"Action: {_spec.verb}", operation_id=f"action_{_spec.verb}", tags=["actions"])(
        _action_endpoint(_spec))


class EvidenceOut(Schema):
    id: int
    kind: str
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime
    uploaded_by: str | None
    url: str


def _evidence_out(item: Evidence) -> dict[str, Any]:
    return {"id": item.pk, "kind": item.kind, "name": item.name, "content_type": item.content_type,
            "size": item.size, "sha256": item.sha256, "uploaded_at": item.uploaded_at,
            "uploaded_by": str(item.uploaded_by) if item.uploaded_by_id else None, "url": item.get_absolute_url()}


@api.post("/orders/{order_id}/evidence", response={201: EvidenceOut, 413: ErrorOut, **ERRORS}, tags=["evidence"],
          summary="Attach a file to the order's trace (a photo, a document, a recording)")
def attach_evidence(request: HttpRequest, order_id: OrderId, file: File[UploadedFile],
                    idempotency_key: Annotated[str | None, Header(None, alias="Idempotency-Key",
                                                                  description=KEY_HELP)] = None) -> Status:
    """multipart/form-data with one part `file`. Its content is checked (the type by content, not
    by name; photos re-encoded without their metadata) and the size limited; a refused file leaves
    nothing behind. With a repeated Idempotency-Key the first upload's record is returned."""
    order = _visible(request, order_id)
    result = run_action(Action.ATTACH, order.pk, request.user, AttachIn(file=file),  # type: ignore[arg-type]
                        key=idempotency_key)
    if isinstance(result, do.Replayed):  # the first upload's record, from its event
        event = Event.objects.filter(pk=result.event_id).only("data").first()
        result = Evidence.objects.filter(order_id=order.pk, pk=(event.data.get("evidence") if event else None)).first()
        if result is None:
            raise NotFound(_("材料不存在。"))
    return Status(201, _evidence_out(result))


@api.get("/orders/{order_id}/evidence", response={200: list[EvidenceOut], **ERRORS}, tags=["evidence"],
         summary="The order's evidence files")
def list_evidence(request: HttpRequest, order_id: OrderId) -> list[dict[str, Any]]:
    """`url` is the order page's view of the file (session login; it records the look where
    the order's procedure traces evidence views)."""
    order = _visible(request, order_id)
    if not allowed_actions(order, request.user, candidates=[Action.VIEW_EVIDENCE]):  # type: ignore[arg-type]
        raise NotFound(_("工单不存在或您无权查看。"))
    return [_evidence_out(e) for e in order.evidence.select_related("uploaded_by").order_by("uploaded_at", "id")]
