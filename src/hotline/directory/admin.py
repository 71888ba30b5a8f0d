from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .calendar import missing_years
from .models import (
    Area,
    CalendarDay,
    CalendarYear,
    Category,
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
class ResponsibilityRuleAdmin(CalendarWarningMixin, admin.ModelAdmin):
    list_display = ["id", "category", "area", "lead_unit", "effective_from", "effective_to", "version"]
    list_filter = ["lead_unit", "area"]
    search_fields = ["category__path", "lead_unit__name", "basis"]
    autocomplete_fields = ["category"]
    filter_horizontal = ["co_units"]


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarWarningMixin, admin.ModelAdmin):
    list_display = ["date", "is_workday", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarWarningMixin, admin.ModelAdmin):
    list_display = ["year", "source", "entered_at"]


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
