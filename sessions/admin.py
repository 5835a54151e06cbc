"""Admin of reception sessions: read-only, with one action (publish) that goes through ``sessions.services``.

Postponing or cancelling needs a public reason and moves citizens' registrations: it is done from the staff
workspace (``/api/sessions/<id>/postpone``, ``/cancel``), never by editing rows here.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdminMixin
from core.errors import DomainError
from sessions import services
from sessions.models import ReceptionSession, SessionEvent, SessionSite, SessionSlot

READ_ONLY_NOTE = _("Phiên tiếp chỉ xem tại đây. Công bố bằng thao tác “Công bố”; hoãn hoặc hủy phiên cần lý do "
                   "công khai và thực hiện trong trang quản lý phiên tiếp.")


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False



class SessionSiteInline(ReadOnlyInline):
    model = SessionSite
    fields = ("office", "is_host", "responsible")
    readonly_fields = fields
    verbose_name = _("điểm cầu")
    verbose_name_plural = _("điểm cầu")


class SessionSlotInline(ReadOnlyInline):
    model = SessionSlot
    fields = ("index", "starts_at", "ends_at", "capacity", "confirmed_count", "waitlist_count")
    readonly_fields = fields
    verbose_name = _("lượt tiếp")
    verbose_name_plural = _("lượt tiếp")


class SessionEventInline(ReadOnlyInline):
    model = SessionEvent
    fields = ("at", "actor", "kind", "from_status", "to_status", "data")
    readonly_fields = fields
    verbose_name = _("lịch sử")
    verbose_name_plural = _("lịch sử")


@admin.register(ReceptionSession)
class ReceptionSessionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("title", "kind", "status", "host_office", "starts_at")
    list_filter = ("kind", "status", "host_office__tier")
    search_fields = ("title", "host_office__code", "host_office__name", "host__full_name")
    date_hierarchy = "starts_at"
    list_select_related = ("host_office",)
    inlines = [SessionSiteInline, SessionSlotInline, SessionEventInline]
    actions = ["publish_selected"]
    list_per_page = 50

    def get_fields(self, request, obj=None):
        return ["management_note", *(field.name for field in self.model._meta.fields if field.name != "id")]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description=_("ghi chú"))
    def management_note(self, session):
        return READ_ONLY_NOTE


    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "subtitle": READ_ONLY_NOTE})

    @admin.action(description=_("Công bố các phiên đã chọn"))
    def publish_selected(self, request, queryset):
        """Publish through the service. A late publication needs a reason, which is given in the staff
        workspace: here it is refused with the service's message."""
        published = 0
        for session in queryset.select_related("host_office"):
            try:
                services.publish(session, request.user)
            except DomainError as error:
                self.message_user(request, f"{session}: {error.message}", messages.ERROR)
            else:
                published += 1
        if published:
            self.message_user(request, ngettext("Đã công bố %(n)d phiên.", "Đã công bố %(n)d phiên.", published)
                              % {"n": published}, messages.SUCCESS)
