"""Admin for calendar overrides (ngày nghỉ bổ sung / ngày làm bù). Every write goes through
``workdays.services`` so that the cached calendar is invalidated."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from . import services
from .models import CalendarOverride


class CalendarOverrideForm(forms.ModelForm):
    class Meta:
        model = CalendarOverride
        fields = ["date", "kind", "reason"]

    def clean(self):
        data = super().clean()
        day = data.get("date", self.instance.date)
        if day and data.get("kind") and data.get("reason"):
            try:
                data["reason"] = services.check_override(day, data["kind"], data["reason"])
            except services.CalendarError as exc:
                self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    form = CalendarOverrideForm
    list_display = ["date", "kind", "reason"]
    list_filter = ["kind"]
    search_fields = ["reason"]
    date_hierarchy = "date"
    readonly_fields = ["created_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        # The date identifies the override: to move one, delete it and add another.
        return [*self.readonly_fields, "date"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        saved = services.set_override(obj.date, obj.kind, obj.reason, request.user)
        obj.pk, obj.created_by, obj.created_at = saved.pk, saved.created_by, saved.created_at

    def delete_model(self, request, obj):
        services.remove_override(obj.date)

    def delete_queryset(self, request, queryset):
        for day in queryset.values_list("date", flat=True):
            services.remove_override(day)
