from django.contrib import admin

from .models import Finding, RootCause


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
