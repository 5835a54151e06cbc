from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEntry

MASKED = _("(ẩn — người tố cáo)")


def denouncer_ids(user_ids) -> set[int]:
    """Which of ``user_ids`` are denouncers (a party of a secret case, the citizen of a secret minutes section,
    or of a secret registration). Nobody using the admin is entitled to know them (docs/secrecy.md). Models are
    looked up by name: the audit app depends on no other app."""
    ids = {pk for pk in user_ids if pk is not None}
    if not ids:
        return set()
    found: set[int] = set()
    party = apps.get_model("cases", "CaseParty")
    found |= set(party.objects.filter(user_id__in=ids, case__denouncer_secret=True).values_list("user_id", flat=True))
    found |= set(party.objects.filter(user_id__in=ids, case__kind="denunciation").values_list("user_id", flat=True))
    section = apps.get_model("minutes", "CitizenSection")
    found |= set(section.objects.filter(citizen_id__in=ids, denouncer_secret=True).values_list("citizen_id", flat=True))
    registration = apps.get_model("scheduling", "Registration")
    found |= set(registration.objects.filter(citizen_id__in=ids, denouncer_secret=True)
                 .values_list("citizen_id", flat=True))
    return found


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the trail is appended by the services, never edited. An entry whose actor is a denouncer
    shows neither their account nor their label (the secrecy rule: the admin is never entitled)."""

    list_display = ("seq", "at", "actor_display", "action", "target_type", "target_id", "ip")
    list_filter = ("action", "target_type")
    search_fields = ("target_id",)
    fields = ("seq", "at", "actor_display", "action", "target_type", "target_id", "ip", "details", "prev_hash",
              "entry_hash")
    readonly_fields = fields

    @admin.display(description=_("người thực hiện"))
    def actor_display(self, entry):
        if entry.actor_id in denouncer_ids([entry.actor_id]):
            return gettext(MASKED)
        return entry.actor_label

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
