from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from notifications.models import Delivery, Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("recipient", "kind", "title", "created_at", "read_at")
    list_filter = ("kind",)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Outgoing SMS and e-mail: a row long ``sending`` is a worker that died mid-send (never resent)."""

    list_display = ("key", "channel", "status", "attempts", "created_at", "claimed_at", "sent_at")
    list_filter = ("status", "channel")
    exclude = ("body", "destination")
