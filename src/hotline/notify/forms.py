"""The forms people and administrators edit notifications with."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import texts
from .models import NotifySettings, Template
from .rules import KIND_LABELS, MEDIUM_LABELS, Kind, Medium


class TemplateForm(forms.ModelForm):
    """A template is checked before it is saved: it must compile, render on a sample, and use
    only the allowed tags (texts.ALLOWED_TAGS)."""

    class Meta:
        model = Template
        fields = ["kind", "subject", "body"]

    def _checked(self, name: str) -> str:
        value = self.cleaned_data.get(name, "")
        try:
            texts.check(value)
        except texts.TemplateError as e:
            raise forms.ValidationError(_("模板有误：%(e)s") % {"e": str(e)[:300]}) from None
        return value

    def clean_subject(self) -> str:
        return self._checked("subject")

    def clean_body(self) -> str:
        return self._checked("body")


def field_name(kind: Kind, medium: Medium) -> str:
    return f"{kind.value}__{medium.value}"


class PreferencesForm(forms.Form):
    """A person's own choices: a tick per kind and medium, and quiet hours ("22:00"–"07:00",
    both empty for none)."""

    quiet_start = forms.TimeField(label=_("免打扰开始"), required=False, widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}))
    quiet_end = forms.TimeField(label=_("免打扰结束"), required=False, widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in Kind:
            for medium in Medium:
                self.fields[field_name(kind, medium)] = forms.BooleanField(
                    label=f"{KIND_LABELS[kind]} · {MEDIUM_LABELS[medium]}", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if (start is None) != (end is None):
            raise forms.ValidationError(_("免打扰时段须同时填写开始和结束时间，或都不填。"))
        if start is not None and start == end:
            raise forms.ValidationError(_("免打扰开始和结束时间不能相同。"))
        return data

    def rows(self) -> list[dict[str, Any]]:
        """The grid the page shows: one row per kind, one bound field per medium."""
        return [{"label": KIND_LABELS[k], "fields": [self[field_name(k, m)] for m in Medium]} for k in Kind]


class NotifySettingsAdminForm(forms.ModelForm):
    class Meta:
        model = NotifySettings
        fields = ["person", "quiet_start", "quiet_end"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("quiet_start") is None) != (data.get("quiet_end") is None):
            raise forms.ValidationError(_("免打扰时段须同时填写开始和结束时间，或都不填。"))
        return data
