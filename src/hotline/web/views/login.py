"""The page shown instead of the login form while a login is locked out (django-axes)."""

from __future__ import annotations

import math

from django.conf import settings
from django.shortcuts import render


def locked_out(request, original_response=None, credentials=None):
    """Axes' AXES_LOCKOUT_CALLABLE: the login page says the account is locked and for how long
    (the cool-off, in whole minutes), with status 429 so scripts see it too."""
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return render(request, "web/locked_out.html", {"cooloff_minutes": minutes}, status=429)
