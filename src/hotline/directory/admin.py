from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.widgets import IdSafeAutocompleteMixin

from .calendar import missing_years
from .models import (
    Area,
    CalendarDay,
    CalendarYear,
    Category,
    DeadlineRule,
    ProcedureProfile,
    ResponsibilityRule,
    RuleChange,
    StaffPhone,
    Unit,
    User,
)


class CalendarWarningMixin:
    """Administrators see a warning until the coming year's holiday schedule is entered."""

    def changelist_view(self, request: HttpRequest, extra_context=None):  # type: ignore[no-untyped-def]
        for year in missing_years():
            messages.warning(
                request,
                _("%(y)d年的节假日和调休安排尚未录入：工作日暂按周末和固定日期节日计算，请在“节假日与调休”中录入。")
                % {"y": year},
            )
        return super().changelist_view(request, extra_context)  # type: ignore[misc]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "parent", "handles_orders", "active"]
    list_filter = ["kind", "handles_orders", "active"]
    search_fields = ["name", "code"]


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "parent", "unit"]
    search_fields = ["name", "code"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "role", "unit", "is_active"]
    list_filter = ["role", "unit", "is_active"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("热线角色"), {"fields": ("display_name", "role", "unit", "phone")}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("热线角色"), {"fields": ("display_name", "role", "unit")}))


@admin.register(StaffPhone)
class StaffPhoneAdmin(admin.ModelAdmin):
    list_display = ["unit", "phone", "name"]
    search_fields = ["phone", "name"]
    list_filter = ["unit"]


@admin.register(ProcedureProfile)
class ProcedureProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "require_process", "require_outcome", "require_contact", "min_evidence", "review_mode",
                    "sample_rate", "trace_evidence_views"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["path", "level", "profile", "active"]
    list_filter = ["level", "profile", "active"]
    search_fields = ["path"]


@admin.register(ResponsibilityRule)
class ResponsibilityRuleAdmin(IdSafeAutocompleteMixin, CalendarWarningMixin, admin.ModelAdmin):
    """New lines of the list, and corrections of a line not yet in force. A line already in force
    (or ended) is read-only here: orders were dispatched under it, and its next version comes from
    an approved change request (修改建议, docs/responsibility_list.md), which ends this one."""

    list_display = ["id", "category", "area", "lead_unit", "effective_from", "effective_to", "version"]
    list_filter = ["lead_unit", "area"]
    search_fields = ["category__path", "lead_unit__name", "basis"]
    autocomplete_fields = ["category"]
    filter_horizontal = ["co_units"]

    @staticmethod
    def _in_use(obj: ResponsibilityRule | None) -> bool:
        return obj is not None and obj.pk is not None and obj.effective_from <= timezone.localdate()

    def has_change_permission(self, request: HttpRequest, obj: ResponsibilityRule | None = None) -> bool:
        return super().has_change_permission(request, obj) and not self._in_use(obj)

    def has_delete_permission(self, request: HttpRequest, obj: ResponsibilityRule | None = None) -> bool:
        return super().has_delete_permission(request, obj) and not self._in_use(obj)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):  # type: ignore[no-untyped-def]
        obj = self.get_object(request, object_id)
        if self._in_use(obj) and request.method == "GET":
            messages.info(request, _("该条目已生效，不能直接修改或删除：请在“清单回头看”中对其“提出修改建议”，"
                                     "批准后自该日起生成新版本，已派工单仍按原条目。"))
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarWarningMixin, admin.ModelAdmin):
    list_display = ["date", "is_workday", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarWarningMixin, admin.ModelAdmin):
    list_display = ["year", "source", "entered_at"]


MAX_ID = 2**63 - 1


class RowChoiceField(forms.ModelChoiceField):
    """A choice of one row by id that refuses, as a field error, what no id column can hold
    (SQLite cannot even compare a 30-digit number: a 500 rather than a message)."""

    def to_python(self, value: object) -> object:
        if value in self.empty_values:
            return None
        text = str(getattr(value, "pk", value)).strip()
        if not text.isdigit() or not text.isascii() or int(text) > MAX_ID:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(text)


class DeadlineRuleForm(forms.ModelForm):
    """The administrator's form for a deadline rule. A new rule for a category (or profile) that
    already has an open-ended rule started earlier is its next version: with "终止现行版本"
    ticked (the default) the current version ends the day the new one starts, in the same
    save. The model's clean() refuses the rest (overlaps, bounds, edits of a rule in use)."""

    replace_current = forms.BooleanField(
        label=_("终止现行版本"), required=False, initial=True,
        help_text=_("新增规则时，如该分类（或办理流程）已有长期有效的现行版本，则在新版本生效之日终止现行版本。"))

    class Meta:
        model = DeadlineRule
        fields = ["category", "profile", "kind", "reply_amount", "reply_unit", "default_urgency", "approved_by",
                  "approved_on", "basis", "effective_from", "effective_to", "replace_current"]
        widgets = {"basis": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"category": RowChoiceField, "profile": RowChoiceField}

    def clean(self) -> dict:
        data = super().clean()
        instance = self.instance
        if not instance.pk and data.get("replace_current") and data.get("effective_from"):
            probe = DeadlineRule(category=data.get("category"), profile=data.get("profile"),
                                 effective_from=data["effective_from"])
            instance.replacing = probe.predecessor()
        return data


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(CalendarWarningMixin, admin.ModelAdmin):
    form = DeadlineRuleForm
    list_display = ["id", "category", "profile", "kind", "limit_shown", "default_urgency", "effective_from",
                    "effective_to", "version", "used"]
    list_filter = ["kind", "reply_unit", "default_urgency", "profile"]
    search_fields = ["category__path", "profile__name", "basis", "approved_by"]
    date_hierarchy = "effective_from"
    fieldsets = (
        (_("适用范围"), {"fields": ("category", "profile")}),
        (_("时限"), {"fields": ("kind", "reply_amount", "reply_unit", "default_urgency")}),
        (_("批准与依据"), {"fields": ("approved_by", "approved_on", "basis")}),
        (_("生效期"), {"fields": ("effective_from", "effective_to", "replace_current")}),
    )

    @admin.display(description=_("答复时限"))
    def limit_shown(self, obj: DeadlineRule) -> str:
        return obj.limit_label

    @admin.display(description=_("已用于工单"))
    def used(self, obj: DeadlineRule) -> int:
        return obj.dispatched_orders.count()

    def get_readonly_fields(self, request: HttpRequest, obj: DeadlineRule | None = None):  # type: ignore[no-untyped-def]
        # A rule orders were dispatched under is history: only its end date may still be set.
        if obj is not None and obj.last_use() is not None:
            return [f for f in self.form.Meta.fields if f not in {"effective_to", "replace_current"}]
        return []

    def get_fieldsets(self, request: HttpRequest, obj: DeadlineRule | None = None):  # type: ignore[no-untyped-def]
        if obj is None:
            return self.fieldsets
        # replacing a version is what a new rule does; an existing one has no such choice
        return [(name, {"fields": [f for f in opts["fields"] if f != "replace_current"]})
                for name, opts in self.fieldsets]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):  # type: ignore[no-untyped-def]
        obj = self.get_object(request, object_id)
        if obj is not None and (n := obj.dispatched_orders.count()):
            messages.info(request, _("已有%(n)d张工单按本规则计算答复时限：规则内容不能再修改，只能设定失效日期；"
                                     "如需调整时限，请新增一条规则（新版本），现行版本将在新版本生效之日终止。") % {"n": n})
        return super().change_view(request, object_id, form_url, extra_context)

    def has_delete_permission(self, request: HttpRequest, obj: DeadlineRule | None = None) -> bool:
        if obj is not None and obj.last_use() is not None:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: DeadlineRule, form, change: bool) -> None:  # type: ignore[no-untyped-def]
        replaced = obj.replacing
        super().save_model(request, obj, form, change)
        if replaced is not None:
            messages.info(request, _("%(old)s已于%(d)s终止，由%(new)s（第%(v)d版）接替。")
                          % {"old": replaced.label, "d": obj.effective_from, "new": obj.label, "v": obj.version})
@admin.register(RuleChange)
class RuleChangeAdmin(admin.ModelAdmin):
    """Change requests are written only by directory/change_actions.py (the pages under
    /assessment/rules/changes/): here they are read, never edited."""

    list_display = ["id", "kind", "state", "category", "area", "lead_unit", "effective_from", "proposed_by",
                    "decided_by"]
    list_filter = ["state", "kind"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
