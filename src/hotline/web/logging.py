"""Logging filters for the web layer."""

from __future__ import annotations

import logging


class BriefForbidden(logging.Filter):
    """A 403 is a permission rule doing its job: log it as one line (method, path, user, status)
    instead of Django's warning with the PermissionDenied traceback. Other records pass as they are."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != 403:
            return True
        request = getattr(record, "request", None)
        user = getattr(request, "user", None)
        who = user.get_username() if user is not None and user.is_authenticated else "-"
        record.msg = "Forbidden: %s %s user=%s status=%s"
        record.args = (getattr(request, "method", "-"), request.get_full_path() if request is not None else "-",
                       who, 403)
        record.exc_info = None
        record.exc_text = None
        return True
