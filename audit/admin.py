from django.contrib import admin

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the trail is appended by the services, never edited."""

    list_display = ("seq", "at", "actor_label", "action", "target_type", "target_id", "ip")
    list_filter = ("action", "target_type")
    search_fields = ("target_id", "actor_label")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
