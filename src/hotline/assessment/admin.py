from django.contrib import admin

from .models import GamingDeduction, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "rule", "created_at"]


@admin.register(GamingDeduction)
class GamingDeductionAdmin(admin.ModelAdmin):
    list_display = ["effective_from", "points", "note"]
