"""The security log is read-only in the admin."""

from django.contrib import admin

from hotline.orders.admin import ReadOnlyAdmin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "actor", "username", "ip", "target"]
    list_filter = ["kind"]
    search_fields = ["username", "target"]
    show_full_result_count = False
