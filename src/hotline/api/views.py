"""The tokens page: a person makes personal API tokens for their own apps (shown once), sees
their tokens' last use and revokes them. System keys are made by an administrator on the
command line (`hotline apikey create`)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from hotline.directory.roles import Role
from hotline.errors import DomainError

from . import keys
from .models import ApiKey


class TokenForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=80, help_text=_("例如：我的手机应用"))
    scopes = forms.MultipleChoiceField(label=_("权限范围"), widget=forms.CheckboxSelectMultiple,
                                       choices=[(s.code, s.label) for s in keys.SCOPES.values() if s.code != "open311"])
    expires_days = forms.IntegerField(label=_("有效期（天）"), min_value=1, max_value=365, initial=90)


def _may_have_tokens(request: HttpRequest) -> bool:
    return request.user.role != Role.SYSTEM.value  # type: ignore[union-attr]


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    if not _may_have_tokens(request):
        return render(request, "403.html", status=403)
    created = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            key, raw = keys.create_personal_token(user=request.user, name=form.cleaned_data["name"],
                                                  scopes=form.cleaned_data["scopes"],
                                                  expires_days=form.cleaned_data["expires_days"], request=request)
            created = {"key": key, "raw": raw}
            form = TokenForm()
        except DomainError as exc:
            form.add_error(None, str(exc.message))
    mine = ApiKey.objects.filter(kind=ApiKey.Kind.PERSONAL, user=request.user).order_by("-created_at")[:50]
    response = render(request, "api/tokens.html", {"form": form, "tokens": mine, "created": created})
    response["Cache-Control"] = "no-store"  # the new token is on this page once
    return response


@login_required
@require_POST
def revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    key = get_object_or_404(ApiKey, pk=key_id, kind=ApiKey.Kind.PERSONAL, user=request.user)
    keys.revoke(key, by=request.user, reason=str(_("本人吊销")), request=request)
    return redirect("api_tokens:tokens")
