"""The GeoReport v2 endpoints. Thin: reads go through `published`, the post through `intake`,
and every failure leaves in the spec's error format (JSON or XML, by the path's suffix), never
as an HTML page or a 500 without its error document."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from hotline.api.keys import authenticate, presented_key
from hotline.errors import DomainError, InvalidInput, NotAllowed

from . import formats, intake, published, services

logger = logging.getLogger("hotline.open311")
SCOPE = "open311"
# The day this interface's document last changed (the spec's `changeset`).
CHANGESET = "2026-12-03T00:00:00+08:00"
# The spec answers a missing or wrong api_key with 403; the rest of the product says 401.
_STATUS = {401: 403}

View = Callable[..., HttpResponse]


def endpoint(*methods: str) -> Callable[[View], View]:
    """Method check, CSRF exemption (a key, not a cookie, authenticates a post) and the spec's
    error format for whatever goes wrong."""

    def wrap(view: View) -> View:
        @csrf_exempt
        @functools.wraps(view)
        def run(request: HttpRequest, *args: Any, fmt: str = "json", **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                return formats.errors(fmt, 405, [_("此地址不支持该请求方法。")], headers={"Allow": ", ".join(methods)})
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except DomainError as exc:
                return domain_errors(fmt, exc)
            except RequestDataTooBig:
                return formats.errors(fmt, 413, [_("请求内容过大。")])
            except (TooManyFieldsSent, SuspiciousOperation):
                return formats.errors(fmt, 400, [_("请求格式不正确。")])
            except Exception:
                logger.exception("Unhandled exception in Open311: %s %s", request.method, request.path)
                return formats.errors(fmt, 500, [_("服务器内部错误，已记录，请稍后重试或联系管理员。")])

        return run

    return wrap


def domain_errors(fmt: str, exc: DomainError) -> HttpResponse:
    status = _STATUS.get(exc.status, exc.status)
    descriptions = [str(exc.message)]
    if isinstance(exc, InvalidInput) and isinstance(exc.details, dict) and exc.details:
        descriptions = [f"{field}: {' '.join(str(m) for m in messages)}" for field, messages in exc.details.items()]
    headers = {}
    retry = getattr(exc, "retry_after", None)
    if status == 429 and retry:
        headers["Retry-After"] = str(retry)
    return formats.errors(fmt, status, descriptions, headers=headers)


def _raw_key(request: HttpRequest) -> str:
    """The spec's api_key (a form field of a post, a query parameter of a read), or the header
    the JSON API takes (X-Api-Key, or Authorization: Bearer)."""
    field = (request.POST if request.method == "POST" else request.GET).get("api_key", "")
    return field or presented_key(request) or ""


def _reader(request: HttpRequest) -> published.Reader:
    raw = _raw_key(request)
    if raw:  # a key that is sent must be valid, even where none is needed
        return published.Reader(authenticate(raw, scope=SCOPE, request=request).user)
    if not published.public_reads_allowed():
        raise NotAllowed(_("请提供有效的API密钥（api_key）。"), code="unauthenticated")
    return published.Reader(None)


@endpoint("GET")
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    root = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt})).rsplit("/", 1)[0] + "/v2/"
    document = {
        "changeset": CHANGESET,
        "contact": getattr(settings, "HOTLINE_OPEN311_CONTACT", "") or _("12345热线（区热线中心）"),
        "key_service": _("API密钥由区热线中心的系统管理员创建（hotline apikey create --name 名称 --scope open311）。"),
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2", "url": root, "changeset": CHANGESET,
            "type": "production", "formats": ["application/json", "text/xml"],
        }],
    }
    return formats.respond(fmt, document, root="discovery", children={"endpoints": "endpoint", "formats": "format"})


@endpoint("GET")
def service_list(request: HttpRequest, *, fmt: str) -> HttpResponse:
    _reader(request)
    return formats.respond(fmt, services.service_list(), root="services", item="service")


@endpoint("GET")
def service_definition(request: HttpRequest, code: str, *, fmt: str) -> HttpResponse:
    _reader(request)
    category = services.service_category(code)
    if category is None:
        return formats.errors(fmt, 404, [_("服务代码不存在。")])
    return formats.respond(fmt, services.definition(category), root="service_definition",
                           children={"attributes": "attribute", "values": "value"})


@endpoint("GET", "POST")
def requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post(request, fmt)
    reader = _reader(request)
    query = published.parse(request.GET)
    records = published.records(reader, published.select(reader, query))
    return formats.respond(fmt, records, root="service_requests", item="request")


def _post(request: HttpRequest, fmt: str) -> HttpResponse:
    raw = _raw_key(request)
    if not raw:
        return formats.errors(fmt, 403, [_("请提供有效的API密钥（api_key）。")])
    key = authenticate(raw, scope=SCOPE, request=request)
    result = intake.post(request.POST, actor=key.user, client=str(getattr(key, "name", "")),
                         idempotency_key=request.headers.get("Idempotency-Key", ""))
    order = result.order
    notice = _("已受理，工单编号%(number)s：可凭此编号查询办理进度。") % {"number": order.number}
    body = [{"service_request_id": order.number, "service_notice": notice, "account_id": None}]
    response = formats.respond(fmt, body, root="service_requests", item="request",
                               status=200 if result.replayed else 201)
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@endpoint("GET")
def request_detail(request: HttpRequest, number: str, *, fmt: str) -> HttpResponse:
    reader = _reader(request)
    order = published.one(reader, number)
    if order is None:
        return formats.errors(fmt, 404, [_("请求编号不存在。")])
    return formats.respond(fmt, published.records(reader, [order]), root="service_requests", item="request")


@endpoint("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
def not_found(request: HttpRequest, *, fmt: str, rest: str = "") -> HttpResponse:
    return formats.errors(fmt, 404, [_("请求的地址不存在。")])
