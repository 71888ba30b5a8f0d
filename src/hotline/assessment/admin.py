import json

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.errors import DomainError

from . import scoring
from .indicators import GROUP_LABELS
from .models import GamingDeduction, MonthlyConsequence, ScoringScheme, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "rule", "created_at"]


class SchemeForm(forms.ModelForm):
    """A new version of a group's scheme. The lines are JSON, e.g.
    [{"indicator": "resolution", "weight": 50, "target": 1.0}, ...]; scoring.validate checks them."""

    group = forms.ChoiceField(label=gettext_lazy("单位类别"), choices=[])
    lines = forms.CharField(label=gettext_lazy("考核指标（JSON）"), widget=forms.Textarea(attrs={"rows": 10, "cols": 80}),
                            help_text=gettext_lazy("每项：indicator（指标）、weight（权重，合计100）、target（目标值，0到1）。"
                                                   "可选指标：response、resolution、satisfaction、reply_on_time、redo、"
                                                   "returns_upheld、repeat_calls、proactive（件数）。"))

    class Meta:
        model = ScoringScheme
        fields = ["group", "effective_from", "adjusted", "lines", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [(g, _(GROUP_LABELS[g])) for g in scoring.GROUPS]
        if self.instance.pk and isinstance(self.instance.lines, list):
            self.initial["lines"] = json.dumps(self.instance.lines, ensure_ascii=False)
        elif not self.instance.pk:
            self.initial.setdefault("lines", json.dumps(scoring.DEFAULT_LINES, ensure_ascii=False))

    def clean_lines(self):
        text = self.cleaned_data["lines"]
        if len(text) > 5000:
            raise forms.ValidationError(_("考核指标内容过长。"))
        try:
            data = json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("考核指标应为JSON列表。")) from None
        try:
            return scoring.validate(data)
        except DomainError as e:
            raise forms.ValidationError(str(e.message)) from None

    def clean(self):
        data = super().clean()
        month, group = data.get("effective_from"), data.get("group")
        if month and group and ScoringScheme.objects.filter(
                group=group, effective_from=month, effective_from__lte=timezone.localdate()).exists():
            raise forms.ValidationError(_("该月的方案已经生效，不能修改；请从以后的月份新增版本。"))
        return data

    def clean_effective_from(self):
        try:
            return scoring.check_month(self.cleaned_data["effective_from"])
        except DomainError as e:
            raise forms.ValidationError(str(e.message)) from None


@admin.register(ScoringScheme)
class ScoringSchemeAdmin(admin.ModelAdmin):
    """Versions of each group's scheme. A version in force is read-only; saving a form records a
    version through scoring.save_version (a change is a new version from a month on)."""

    form = SchemeForm
    list_display = ["group", "version", "effective_from", "adjusted", "note", "created_by", "created_at"]
    list_filter = ["group"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.effective_from <= timezone.localdate():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.effective_from <= timezone.localdate():
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        d = form.cleaned_data
        try:
            saved = scoring.save_version(group=d["group"], effective_from=d["effective_from"], lines=d["lines"],
                                         adjusted=bool(d.get("adjusted")), note=d.get("note", ""), actor=request.user)
        except DomainError as e:
            self.message_user(request, str(e.message), level="error")
            return
        obj.pk, obj.version = saved.pk, saved.version


@admin.register(MonthlyConsequence)
class MonthlyConsequenceAdmin(admin.ModelAdmin):
    list_display = ["unit", "month", "kind", "points", "description", "recorded_by", "recorded_at"]
    list_filter = ["kind", "month"]

    def has_add_permission(self, request):
        return False  # recorded on the assessment's page (consequences.record)

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(GamingDeduction)
class GamingDeductionAdmin(admin.ModelAdmin):
    list_display = ["effective_from", "points", "note"]
