"""POST /citylink/inbound: the city platform's signed messages (docs/citylink.md)."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from hotline.errors import DomainError

from . import inbound, signing

log = logging.getLogger("hotline.citylink")
MAX_BODY = 256 * 1024


def _error(status: int, code: str, message: str, details: dict | None = None) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, "details": details or {}}, status=status,
                        json_dumps_params={"ensure_ascii": False})


@csrf_exempt  # a machine's request, authenticated by its signature, not by a session
@require_POST
def inbound_view(request: HttpRequest) -> JsonResponse:
    secret = settings.HOTLINE_CITYLINK_SECRET
    if not secret:
        return _error(503, "not_configured", _("市级平台对接未配置（HOTLINE_CITYLINK_SECRET）。"))
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY:
        return _error(413, "too_large", _("请求内容过大。"))
    body = request.body
    try:
        digest = signing.verify(secret, request.headers.get(signing.TIMESTAMP_HEADER),
                                request.headers.get(signing.SIGNATURE_HEADER), body,
                                window=settings.HOTLINE_CITYLINK_WINDOW_SECONDS)
    except signing.BadSignature as exc:
        log.warning("citylink inbound refused: %s", exc)
        return _error(401, "bad_signature", _("签名无效或已过期。"), {"reason": str(exc)})
    if inbound.seen(digest):
        return _error(409, "replayed", _("该签名已使用过（重放的请求）：重发请重新签名。"))
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _error(400, "invalid_json", _("请求内容不是有效的 JSON。"))
    try:
        result = inbound.handle(data)
    except DomainError as exc:
        return JsonResponse(exc.as_dict(), status=400 if exc.code == "invalid_input" else 409,
                            json_dumps_params={"ensure_ascii": False})
    inbound.remember(digest)
    return JsonResponse(result.as_dict(), status=202 if result.status == "queued" else 200,
                        json_dumps_params={"ensure_ascii": False})
