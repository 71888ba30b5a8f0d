"""Orders are read-only in the admin: every change goes through the actions."""

from django.contrib import admin

from .models import Event, WorkOrder


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "title", "state", "lead_unit", "category", "received_at"]
    list_filter = ["state", "urgency", "channel"]
    search_fields = ["number", "title"]
    show_full_result_count = False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["order", "seq", "action", "from_state", "to_state", "actor", "at"]
    list_filter = ["action"]
    show_full_result_count = False
