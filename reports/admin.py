from django.contrib import admin

from reports.models import Report, ReportVersion


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("office", "kind", "period_key", "status", "deadline")
    list_filter = ("kind", "status")
    readonly_fields = [f.name for f in Report._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ReportVersion)
class ReportVersionAdmin(admin.ModelAdmin):
    list_display = ("report", "ordinal", "submitted_at", "sha256")
    readonly_fields = [f.name for f in ReportVersion._meta.fields]

    def has_add_permission(self, request):
        return False
