"""Keys in the admin: read-only (a key is made with `hotline apikey create` or on the tokens page,
so its secret is shown once to the person who made it), with one action: revoke."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from hotline.orders.admin import ReadOnlyAdmin

from . import keys
from .models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "prefix", "user", "scopes", "rate_per_minute", "created_at", "expires_at",
                    "last_used_at", "revoked_at"]
    list_filter = ["kind", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username"]
    exclude = ["secret_hash"]
    actions = ["revoke_keys"]

    @admin.action(description=_("吊销所选密钥"), permissions=["view"])
    def revoke_keys(self, request, queryset):  # type: ignore[no-untyped-def]
        done = sum(keys.revoke(k, by=request.user, reason=str(_("管理员在后台吊销")), request=request) for k in queryset)
        self.message_user(request, _("已吊销%(n)d个密钥。") % {"n": done}, messages.SUCCESS)
