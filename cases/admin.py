"""Admin of the case register: read-only (every write goes through ``cases.services``) and never a secret in
clear: no summary (a denunciation's content), no party identity, no document name or bytes."""

from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseAlert, CaseDocument, CaseParty, CaseTransition, DeadlineExtension
from core.admin import ReadOnlyAdminMixin


class PartyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The citizen's account only for a case that never involved a denouncer (the admin is never entitled)."""

    model = CaseParty
    fields = ("order", "is_representative", "user_display")
    readonly_fields = fields
    extra = 0

    @admin.display(description=_("tài khoản công dân"))
    def user_display(self, party):
        if party.case.is_secret:
            return gettext("(ẩn — người tố cáo)")
        return str(party.user) if party.user_id else "—"


class TransitionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CaseTransition
    fields = ("at", "from_state", "to_state", "action", "by", "document_number")
    readonly_fields = fields
    extra = 0


class ExtensionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DeadlineExtension
    fields = ("ordinal", "decision_number", "decided_on", "days", "by")
    readonly_fields = fields
    extra = 0


class DocumentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CaseDocument
    fields = ("public_id", "content_type", "size", "encrypted", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    extra = 0


@admin.register(Case)
class CaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("number", "kind", "field", "state", "office", "received_on", "resolution_due", "handler")
    list_filter = ("state", "kind", "field", "is_group")
    search_fields = ("number",)
    fields = ("public_id", "number", "kind", "field", "state", "office", "source", "people_count", "is_group",
              "is_complex", "is_second_time", "handler", "received_on", "accepted_on", "concluded_on",
              "citizen_notice_due", "acceptance_due", "resolution_due", "escalated_at", "previous_case",
              "transferred_from", "split_from", "transfer_to_office", "transfer_document_number",
              "guided_to_body", "guidance_document_number", "end_document_number", "filed_until",
              "created_at", "updated_at")
    readonly_fields = fields
    inlines = [PartyInline, TransitionInline, ExtensionInline, DocumentInline]


@admin.register(CaseAlert)
class CaseAlertAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("case", "kind", "due_date", "created_at")
    list_filter = ("kind",)
