from django.contrib import admin

from .models import Finding, RootCause, SeasonalOrder, SeasonalRule


@admin.register(RootCause)
class RootCauseAdmin(admin.ModelAdmin):
    """The editable list of root causes: add, rename, reorder, switch off (a cause findings used
    stays, switched off, so old findings still read)."""

    list_display = ["label", "code", "active", "position"]
    list_editable = ["active", "position"]

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    """Findings are the trace: read only."""

    list_display = ["root_order_id", "seq", "label", "actor", "at"]
    readonly_fields = [f.name for f in Finding._meta.fields]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


@admin.register(SeasonalRule)
class SeasonalRuleAdmin(admin.ModelAdmin):
    """Seasonal rules (未诉先办): the administrator writes them; the worker runs them daily. A rule
    that produced orders is switched off rather than deleted (its orders name it)."""

    list_display = ["name", "start_month", "start_day", "days_ahead", "lookback_days", "min_complaints", "unit",
                    "active"]
    list_filter = ["active"]
    filter_horizontal = ["categories", "areas"]
    search_fields = ["name"]

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return obj is None or not SeasonalOrder.objects.filter(rule=obj).exists()


@admin.register(SeasonalOrder)
class SeasonalOrderAdmin(admin.ModelAdmin):
    """What each rule produced: read only (written with the order, by governance.seasonal)."""

    list_display = ["rule", "season", "place", "order", "complaints", "unit_basis", "created_at"]
    list_filter = ["season", "rule"]
    readonly_fields = [f.name for f in SeasonalOrder._meta.fields]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False
