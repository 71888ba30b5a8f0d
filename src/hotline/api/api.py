"""The JSON API (OpenAPI 3 at /api/docs and /api/openapi.json).

Same rules as the pages: reads start from orders_visible_to, writes go through the actions
(via the web registry's forms, so the API and the pages accept exactly the same input), and
every error has one shape: {"error": code, "message": text, "details": {...}}.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError

from hotline.errors import DomainError, InvalidInput, NotFound, RateLimited
from hotline.orders import actions as do
from hotline.orders.models import WorkOrder
from hotline.orders.selectors import order_for, orders_visible_to
from hotline.orders.states import Action, State
from hotline.web.actions import REGISTRY, allowed_actions, run_action
from hotline.web.views.common import event_data_for, phone_for

from .auth import API_AUTH

logger = logging.getLogger("hotline.api")
MAX_PAGE = 10_000_000  # page × per_page stays far inside a 64-bit OFFSET on every database
MAX_PER_PAGE = 200
STATES = frozenset(s.value for s in State)

api = NinjaAPI(title="Hotline 12345 API", version="1", urls_namespace="api", auth=API_AUTH)


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
    if exc.errors and all(list(err.get("loc", []))[:1] == ["path"] for err in exc.errors):
        # /orders/abc: no such order, as for an id that does not exist
        return _error(request, 404, "not_found", _("请求的地址或对象不存在。"))
    details: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(x) for x in err.get("loc", []) if x not in {"body", "payload", "query", "path"}]
        details.setdefault(".".join(loc) or "body", []).append(str(err.get("msg", "")))
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
    urgency: str = "general"
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
    replied_at: dt.datetime | None
    closed_at: dt.datetime | None
    redo_count: int
    return_count: int
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
        "replied_at": order.replied_at, "closed_at": order.closed_at, "redo_count": order.redo_count,
        "return_count": order.return_count,
        "allowed_actions": [a.value for a in allowed_actions(order, request.user)] if with_actions else [],  # type: ignore[arg-type]
    }


@api.get("/orders", response=OrderListOut, summary="List the orders you may see")
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


@api.post("/orders", response={201: OrderOut}, summary="Take a request in (idempotent with Idempotency-Key)")
def create_order(request: HttpRequest, payload: IntakeIn) -> Status:
    key = request.headers.get("Idempotency-Key") or None
    order = do.do_create(do.Intake(**payload.dict(), idempotency_key=key), actor=request.user)  # type: ignore[arg-type]
    return Status(201, _out(request, order))


def _visible(request: HttpRequest, order_id: int) -> WorkOrder:
    order = order_for(request.user, order_id)  # type: ignore[arg-type]
    if order is None:
        raise NotFound(_("工单不存在或您无权查看。"))
    return order


@api.get("/orders/{order_id}", response=OrderOut, summary="One order")
def get_order(request: HttpRequest, order_id: int) -> dict[str, Any]:
    return _out(request, _visible(request, order_id))


@api.get("/orders/{order_id}/events", response=list[EventOut], summary="The order's trace")
def get_events(request: HttpRequest, order_id: int) -> list[dict[str, Any]]:
    """Phone-derived values are left out for roles that see the number masked; the hash then no
    longer recomputes from the data shown, and the chain is checked on the server
    (`hotline verify-trace`)."""
    order = _visible(request, order_id)
    return [
        {"seq": e.seq, "action": e.action, "from_state": e.from_state, "to_state": e.to_state,
         "actor": str(e.actor) if e.actor else None, "at": e.at, "data": event_data_for(request.user, e.data), "hash": e.hash}
        for e in order.events.select_related("actor").order_by("seq")
    ]


@api.post("/orders/{order_id}/actions/{verb}", response=OrderOut, summary="Take an action on an order")
def take_action(request: HttpRequest, order_id: int, verb: str) -> dict[str, Any]:
    """The body holds the action's fields (the same as the page's form, without prefix); for
    multiple choices pass a list. `attach` is not available here (use the page's upload)."""
    order = _visible(request, order_id)
    try:
        action = Action(verb)
        spec = REGISTRY[action]
    except (ValueError, KeyError):
        raise NotFound(_("未知的操作。")) from None
    if spec.multipart:
        raise InvalidInput(_("上传材料请使用工单页面。"))
    data = _as_form_data(_json_body(request))
    form = spec.form(data)
    if not form.is_valid():
        details = {k: [str(m) for m in v] for k, v in form.errors.items()}
        raise InvalidInput(_("操作未完成：请检查填写的内容。"), details=details)
    # A retry with the same Idempotency-Key answers like the first request, writing nothing.
    run_action(action, order.pk, request.user, form.cleaned_data,  # type: ignore[arg-type]
               key=request.headers.get("Idempotency-Key"))
    order.refresh_from_db()
    return _out(request, order)


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(_("请求内容不是有效的JSON。")) from None
    if not isinstance(body, dict):
        raise InvalidInput(_("请求内容须为JSON对象。"))
    return body


def _as_form_data(payload: dict[str, Any]) -> Any:
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    odd: dict[str, list[str]] = {}
    for key, value in payload.items():
        values = value if isinstance(value, list | tuple) else [value]
        if any(isinstance(v, dict | list | tuple) for v in values):
            # an object where a value belongs: refused, not turned into its Python repr
            odd[key] = [_("须为文字、数字、布尔值或它们的列表。")]
        elif isinstance(value, list | tuple):
            data.setlist(key, [_scalar(v) for v in value])
        else:
            data[key] = _scalar(value)
    if odd:
        raise InvalidInput(_("操作未完成：请检查填写的内容。"), details=odd)
    return data


def _scalar(value: Any) -> str:
    if value is True:
        return "1"
    if value is False:
        return "0"
    return "" if value is None else str(value)
