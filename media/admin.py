from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from media.models import Recording


@admin.register(Recording)
class RecordingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Recordings are evidence: written by the media worker only, never edited here."""

    list_display = ["session", "participant", "role", "started_at", "duration_seconds", "size_bytes", "sha256"]
    list_filter = ["role"]
    search_fields = ["sha256", "participant"]
