"""Admin of plans, registrations and leaders' engagements.

* Plans are created through ``plans.create_plan`` (with their sites); afterwards only the title, the
  tentative content and stopping the plan (``plans.deactivate_plan``) are editable. Plans below the legal
  minimum of reception days show a warning.
* Registrations and engagements are read-only here. A denunciation's (tố cáo) content and its citizen's
  identity are never shown in the admin: they belong to the assigned handler only.
"""

from datetime import date, datetime

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import permissions
from accounts.permissions import Action
from core.admin import ReadOnlyAdminMixin
from core.errors import DomainError
from scheduling import recurrence
from scheduling.models import LeaderEngagement, PlanSite, ReceptionPlan, Registration
from scheduling.services import plans
from sessions import services as session_services

PLAN_INPUT_FIELDS = ("office", "leader", "title", "rrule", "starts_on", "ends_on", "start_time", "end_time",
                     "holiday_rule", "tentative_content", "slot_minutes", "slot_capacity")
PLAN_EDITABLE_FIELDS = ("title", "tentative_content", "is_active")
PLAN_FIELD_ALIASES = {"host": "leader"}  # the shared host check names the session's field


class PlanAddForm(forms.ModelForm):
    """Checks what ``plans.create_plan`` will check, so a refusal shows on the form rather than failing
    after it. The service stays the authority: it checks again when creating."""

    user = None  # set by ReceptionPlanAdmin.get_form

    class Meta:
        model = ReceptionPlan
        fields = PLAN_INPUT_FIELDS

    def clean(self):
        data = super().clean()
        office, leader = data.get("office"), data.get("leader")
        if office is not None and not permissions.can(self.user, Action.SESSION_MANAGE, office):
            self.add_error("office", gettext("Bạn không có quyền lập lịch tiếp cho cơ quan này."))
        checks = [
            (("rrule", "starts_on"), lambda: plans.parse_rrule(data["rrule"], data["starts_on"])),
            (("slot_minutes", "slot_capacity", "start_time", "end_time"), lambda: self._check_slots(data)),
            (("office", "leader"), lambda: session_services.validate_host(leader, office)),
        ]
        for needed, check in checks:
            if all(data.get(name) is not None for name in needed):
                try:
                    check()
                except DomainError as error:
                    field = PLAN_FIELD_ALIASES.get(error.field, error.field)
                    self.add_error(field if field in self.fields else None, error.message)
        return data

    @staticmethod
    def _check_slots(data):
        day = date(2000, 1, 1)
        session_services.validate_slots(data["slot_minutes"], data["slot_capacity"],
                                        datetime.combine(day, data["start_time"]),
                                        datetime.combine(day, data["end_time"]))


class PlanSiteInline(admin.TabularInline):
    """Sites (điểm cầu) are given when the plan is created; afterwards they are shown only."""

    model = PlanSite
    extra = 0
    fields = ("office", "responsible")
    raw_id_fields = ("office", "responsible")
    verbose_name = _("điểm cầu")
    verbose_name_plural = _("điểm cầu")

    def has_add_permission(self, request, obj=None):
        return obj is None

    def has_change_permission(self, request, obj=None):
        return obj is None

    def has_delete_permission(self, request, obj=None):
        return obj is None


@admin.register(ReceptionPlan)
class ReceptionPlanAdmin(admin.ModelAdmin):
    list_display = ("title", "office", "leader", "rhythm", "starts_on", "ends_on", "is_active")
    list_filter = ("is_active", "office__tier", "holiday_rule")
    search_fields = ("title", "office__code", "office__name", "leader__full_name")
    list_select_related = ("office", "leader")
    raw_id_fields = ("office", "leader")
    inlines = [PlanSiteInline]

    @admin.display(description=_("Nhịp tiếp"), ordering="rrule")
    def rhythm(self, obj):
        return recurrence.describe_or_raw(obj.rrule)

    # --- Forms ---

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            form = type("PlanAddFormFor", (PlanAddForm,), {"user": request.user})
            return super().get_form(request, obj, change, **{**kwargs, "form": form})
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return PLAN_INPUT_FIELDS
        return (*PLAN_INPUT_FIELDS, "is_active", "warnings", "created_by", "created_at", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        editable = PLAN_EDITABLE_FIELDS if obj.is_active else ("title", "tentative_content")
        return tuple(f for f in self.get_fields(request, obj) if f not in editable)

    def has_delete_permission(self, request, obj=None):
        return False  # sessions refer to plans; stop a plan instead

    @admin.display(description=_("cảnh báo"))
    def warnings(self, plan):
        items = plans.legal_minimum_warnings(plan)
        if not items:
            return gettext("Đạt mức tối thiểu theo quy định.")
        return format_html_join("", "<p>{}</p>", ((w.message,) for w in items))

    # --- Saving through the services ---

    def save_model(self, request, obj, form, change):
        """Adding is done in ``save_related`` (the plan and its sites in one ``create_plan`` call)."""
        if not change:
            return
        text_changes = {f: form.cleaned_data[f] for f in ("title", "tentative_content") if f in form.changed_data}
        if text_changes:
            plans.update_plan(obj, request.user, **text_changes)
        if "is_active" in form.changed_data and not obj.is_active:
            plans.deactivate_plan(obj, request.user)

    def save_related(self, request, form, formsets, change):
        if change:
            for formset in formsets:  # the inline is read-only on change
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            self._warn_if_below_minimum(request, form.instance)
            return
        sites = [(f.cleaned_data["office"], f.cleaned_data.get("responsible"))
                 for formset in formsets for f in formset.forms
                 if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("office")]
        data = form.cleaned_data
        plan = plans.create_plan(by=request.user, sites=sites, **{name: data[name] for name in PLAN_INPUT_FIELDS})
        obj = form.instance
        obj.pk, obj.created_by, obj.created_at, obj.updated_at = plan.pk, plan.created_by, plan.created_at, \
            plan.updated_at
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = list(plan.sites.all()), [], []
        self._warn_if_below_minimum(request, plan)

    def _warn_if_below_minimum(self, request, plan):
        for warning in plans.legal_minimum_warnings(plan):
            self.message_user(request, warning.message, messages.WARNING)


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only. For a denunciation the citizen, representatives and summary are masked."""

    list_display = ("citizen_display", "session", "status", "slot_starts_at", "matter_kind")
    list_filter = ("status", "matter_kind", "session__host_office__tier")
    search_fields = ("session__title",)
    list_select_related = ("citizen", "session")
    fields = ("public_id", "session", "slot", "citizen_display", "status", "slot_starts_at", "slot_ends_at",
              "matter_kind", "summary_display", "people_count", "representatives_display", "created_at",
              "confirmed_at", "cancelled_at", "cancel_reason", "attended_at")
    readonly_fields = fields

    @staticmethod
    def _masked(registration) -> bool:
        return registration.is_secret

    @admin.display(description=_("công dân"))
    def citizen_display(self, registration):
        return gettext("(ẩn — tố cáo)") if self._masked(registration) else str(registration.citizen)

    @admin.display(description=_("tóm tắt nội dung"))
    def summary_display(self, registration):
        return gettext("(ẩn — tố cáo)") if self._masked(registration) else registration.matter_summary

    @admin.display(description=_("người đại diện"))
    def representatives_display(self, registration):
        if self._masked(registration):
            return gettext("(ẩn — tố cáo)")
        return ", ".join(r.get("full_name", "") for r in registration.representatives or []) or "—"



@admin.register(LeaderEngagement)
class LeaderEngagementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("leader", "title", "starts_at", "ends_at", "source")
    list_filter = ("source",)
    search_fields = ("title", "leader__full_name")
    list_select_related = ("leader",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

