from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from hotline.widgets import IdSafeAutocompleteMixin

from . import texts
from .forms import NotifySettingsAdminForm, TemplateForm
from .models import Notification, NotifySettings, Preference, Template


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    form = TemplateForm
    list_display = ["kind", "subject", "updated_at"]
    readonly_fields = ["preview"]

    @admin.display(description=_("示例效果"))
    def preview(self, obj: Template) -> str:
        if obj is None or not obj.pk:
            return ""
        return texts.render(obj.body, texts.sample_context())

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False  # every kind keeps a text; edit it instead


class PreferenceInline(admin.TabularInline):
    model = Preference
    extra = 0


@admin.register(NotifySettings)
class NotifySettingsAdmin(IdSafeAutocompleteMixin, admin.ModelAdmin):
    form = NotifySettingsAdminForm
    list_display = ["person", "quiet_start", "quiet_end"]
    search_fields = ["person__username", "person__display_name"]
    autocomplete_fields = ["person"]
    inlines = [PreferenceInline]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The record: read only (the deliverer writes the status)."""

    list_display = ["created_at", "person", "kind", "medium", "order_number", "state", "attempts", "sent_at"]
    list_filter = ["state", "kind", "medium"]
    search_fields = ["order_number", "person__username", "text"]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False
