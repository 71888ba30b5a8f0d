"""Notification pages: a person's own notifications and choices; the supervisors' and the
administrator's list of all recent notifications with their delivery status. Reads only read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hotline.directory.roles import Role
from hotline.errors import InvalidInput
from hotline.web.views.common import paginate, roles_required

from . import services
from .forms import PreferencesForm, field_name
from .models import Notification
from .rules import Kind, Medium

ALL_ROLES = (Role.SUPERVISOR, Role.ADMIN)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    qs = Notification.objects.filter(person=request.user).order_by("-created_at", "-id")
    return render(request, "notify/list.html", {"page": paginate(request, qs), "everyone": False,
                                                "may_see_all": request.user.role in ALL_ROLES})


@roles_required(*ALL_ROLES)
def all_recent(request: HttpRequest) -> HttpResponse:
    qs = Notification.objects.select_related("person").order_by("-created_at", "-id")
    state = request.GET.get("state", "")
    if state:
        if state not in Notification.State.values:
            raise InvalidInput(_("状态“%(v)s”无效。") % {"v": state[:20]}, details={"state": [_("请选择有效的状态。")]})
        qs = qs.filter(state=state)
    return render(request, "notify/list.html", {"page": paginate(request, qs, per_page=50), "everyone": True,
                                                "may_see_all": True, "states": Notification.State.choices,
                                                "state": state})


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """The person's own choices (nobody else's: there is no id in the URL)."""
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            media = {k: [m for m in Medium if data.get(field_name(k, m))] for k in Kind}
            quiet = (data["quiet_start"], data["quiet_end"]) if data.get("quiet_start") else None
            services.save_preferences(request.user, media, quiet)
            messages.success(request, _("通知设置已保存。"))
            return redirect("notify:preferences")
        return render(request, "notify/preferences.html", {"form": form}, status=400)
    media, quiet = services.preferences_of(request.user)
    initial = {field_name(k, m): m in media[k] for k in Kind for m in Medium}
    if quiet:
        initial.update(quiet_start=quiet[0], quiet_end=quiet[1])
    return render(request, "notify/preferences.html", {"form": PreferencesForm(initial=initial)})
