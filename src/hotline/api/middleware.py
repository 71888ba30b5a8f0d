"""The API's last line: whatever Django or a library answers under /api/ with an error (an
unknown path's 404, a wrong method's 405, an exception nobody handled) leaves in the API's one
JSON shape {"error", "message", "details"}, so an API client never gets an HTML page."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

logger = logging.getLogger("hotline.api")

PREFIX = "/api/"


def error_response(status: int, code: str = "", message: str = "") -> JsonResponse:
    """An error in the API's shape for a bare HTTP status (code and message by status)."""
    codes = {400: ("bad_request", _("请求格式不正确。")), 401: ("unauthenticated", _("请先登录。")),
             403: ("not_allowed", _("您无权执行此操作。")), 404: ("not_found", _("请求的地址或对象不存在。")),
             405: ("method_not_allowed", _("此地址不支持该请求方法。")), 413: ("too_large", _("请求内容过大。")),
             429: ("too_many_requests", _("请求过于频繁，请稍后再试。"))}
    default = ("server_error", _("服务器内部错误，已记录，请稍后重试或联系管理员。")) if status >= 500 else (
        "http_error", _("请求未能完成。"))
    known_code, known_message = codes.get(status, default)
    return JsonResponse({"error": code or known_code, "message": message or known_message, "details": {}},
                        status=status, json_dumps_params={"ensure_ascii": False})


class ApiErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (request.path_info.startswith(PREFIX) and response.status_code >= 400
                and not response.get("Content-Type", "").startswith("application/json")):
            shaped = error_response(response.status_code)
            if response.has_header("Allow"):
                shaped["Allow"] = response["Allow"]
            return shaped
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path_info.startswith(PREFIX):
            return None
        logger.exception("Unhandled exception in the API: %s %s", request.method, request.path)
        return error_response(500)
