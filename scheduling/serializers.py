"""Serializers of the scheduling API: reception plans (staff), the public schedule, and citizens'
registrations.

The public shapes expose only what the law requires to be public (time, place, host, participants,
tentative content, postponement reasons): never a registration, a citizen, or a matter's content.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from offices.models import Tier
from scheduling.links import join_url
from scheduling.models import (
    HolidayRule,
    MatterKind,
    PlanSite,
    ReceptionPlan,
    Registration,
    RegistrationStatus,
)
from sessions.models import ReceptionSession, SessionSite, SessionSlot, SessionStatus
from sessions.serializers import (
    OfficeBriefSerializer,
    OfficeCodeField,
    RegistrationStatusField,
    SessionKindField,
    SessionStatusField,
    SiteInputSerializer,
    UserBriefSerializer,
    UserIdField,
)

# --- Plans ------------------------------------------------------------------------------------------------


class PlanCreateSerializer(serializers.Serializer):
    """A head's periodic reception (lịch tiếp định kỳ): an RFC 5545 RRULE such as ``FREQ=MONTHLY;BYMONTHDAY=10,25``
    with daily hours. The rule, hours and slots are checked by ``plans.create_plan``."""

    office = OfficeCodeField()
    leader = UserIdField()
    title = serializers.CharField(max_length=255)
    rrule = serializers.CharField(max_length=500)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True, default=None)
    start_time = serializers.TimeField()
    end_time = serializers.TimeField()
    holiday_rule = serializers.ChoiceField(choices=HolidayRule.choices, required=False,
                                           default=HolidayRule.NEXT_WORKING_DAY)
    tentative_content = serializers.CharField(required=False, allow_blank=True, default="")
    slot_minutes = serializers.IntegerField(required=False, allow_null=True, default=None)
    slot_capacity = serializers.IntegerField(required=False, allow_null=True, default=None)
    sites = SiteInputSerializer(many=True, required=False, default=list)


class PlanSiteSerializer(serializers.ModelSerializer):
    office = OfficeBriefSerializer()
    responsible = UserBriefSerializer(allow_null=True)

    class Meta:
        model = PlanSite
        fields = ["office", "responsible"]


class PlanSerializer(serializers.ModelSerializer):
    office = OfficeBriefSerializer()
    leader = UserBriefSerializer()
    holiday_rule = serializers.ChoiceField(choices=HolidayRule.choices)
    sites = PlanSiteSerializer(many=True)

    class Meta:
        model = ReceptionPlan
        fields = ["id", "office", "leader", "title", "rrule", "starts_on", "ends_on", "start_time", "end_time",
                  "holiday_rule", "tentative_content", "slot_minutes", "slot_capacity", "is_active", "sites",
                  "created_at"]


class PlanWarningSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    months = serializers.ListField(child=serializers.CharField(), help_text="YYYY-MM")


class OccurrenceSerializer(serializers.Serializer):
    occurrence_date = serializers.DateField(help_text="The rule's date")
    held_on = serializers.DateField(help_text="The day it is held after the holiday rule")


class PlanDetailSerializer(PlanSerializer):
    """A plan with its legal-minimum warnings and its next occurrences (context ``warnings``,
    ``occurrences``, computed by the view through ``plans``)."""

    warnings = serializers.SerializerMethodField()
    occurrences = serializers.SerializerMethodField()

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "warnings", "occurrences"]

    @extend_schema_field(PlanWarningSerializer(many=True))
    def get_warnings(self, plan):
        return self.context.get("warnings", [])

    @extend_schema_field(OccurrenceSerializer(many=True))
    def get_occurrences(self, plan):
        return OccurrenceSerializer(self.context.get("occurrences", []), many=True).data


# --- Public schedule --------------------------------------------------------------------------------------


class PublicSessionFilterSerializer(serializers.Serializer):
    """Filters of the public schedule. ``province``/``commune`` are administrative codes (2 / 5 digits);
    ``from``/``to`` are local dates, inclusive."""

    office = serializers.CharField(required=False, max_length=32, help_text="Host office code, e.g. X00004")
    tier = serializers.ChoiceField(choices=Tier.choices, required=False)
    province = serializers.RegexField(r"^\d{2}$", required=False, help_text="2-digit province code")
    commune = serializers.RegexField(r"^\d{5}$", required=False, help_text="5-digit commune code")
    leader = serializers.IntegerField(required=False, min_value=1, help_text="Host leader's user id")

    def get_fields(self):
        fields = super().get_fields()
        # "from" is a Python keyword: declared here rather than as a class attribute.
        fields["from"] = serializers.DateField(required=False, help_text="Sessions on or after this day")
        fields["to"] = serializers.DateField(required=False, help_text="Sessions on or before this day")
        return fields

    def validate(self, attrs):
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError(
                {"from": serializers.ErrorDetail(_("“Từ ngày” phải trước “đến ngày”."), code="invalid_range")})
        return attrs


def registration_open(session: ReceptionSession, now=None) -> bool:
    from scheduling.services.registrations import REGISTRABLE_STATUSES

    return session.status in REGISTRABLE_STATUSES and session.registration_closes_at > (now or timezone.now())


class PublicSiteSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="office.code")
    name = serializers.CharField(source="office.name")
    tier = serializers.ChoiceField(source="office.tier", choices=Tier.choices)

    class Meta:
        model = SessionSite
        fields = ["code", "name", "tier"]


class PublicSessionSerializer(serializers.ModelSerializer):
    """A session as the public sees it (công khai lịch tiếp)."""

    kind = SessionKindField()
    status = SessionStatusField()
    host_office = OfficeBriefSerializer()
    host_name = serializers.CharField(source="host.full_name", allow_null=True, default=None)
    sites = PublicSiteSerializer(many=True)
    status_reason = serializers.SerializerMethodField()
    replaced_by = serializers.SerializerMethodField()
    registration_open = serializers.SerializerMethodField()

    class Meta:
        model = ReceptionSession
        fields = ["public_id", "kind", "status", "title", "tentative_content", "starts_at", "ends_at",
                  "host_office", "host_name", "sites", "status_reason", "replaced_by", "published_at",
                  "registration_open"]

    def get_status_reason(self, session) -> str | None:
        if session.status in (SessionStatus.POSTPONED, SessionStatus.CANCELLED):
            return session.status_reason
        return None

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_replaced_by(self, session):
        replacement = session.replaced_by
        if replacement is None or replacement.published_at is None:
            return None
        return str(replacement.public_id)

    def get_registration_open(self, session) -> bool:
        return registration_open(session, self.context.get("now"))


class PublicSlotSerializer(serializers.ModelSerializer):
    available = serializers.SerializerMethodField(help_text="Places left: capacity - confirmed, at least 0")
    waitlist_open = serializers.SerializerMethodField(
        help_text="Registering now would put the citizen on the waiting list (full slot, list not full)")

    class Meta:
        model = SessionSlot
        fields = ["id", "index", "starts_at", "ends_at", "capacity", "available", "waitlist_open"]

    def get_available(self, slot) -> int:
        return max(slot.capacity - slot.confirmed_count, 0)

    def get_waitlist_open(self, slot) -> bool:
        """Registering now would put the citizen on the waiting list (the slot is full, the list is not)."""
        return (self.context.get("registration_open", False) and slot.starts_at > timezone.now()
                and slot.confirmed_count >= slot.capacity and slot.waitlist_count < settings.WAITLIST_MAX_PER_SLOT)


class PublicSessionDetailSerializer(PublicSessionSerializer):
    slots = serializers.SerializerMethodField()

    class Meta(PublicSessionSerializer.Meta):
        fields = [*PublicSessionSerializer.Meta.fields, "slots"]

    @extend_schema_field(PublicSlotSerializer(many=True))
    def get_slots(self, session):
        context = {**self.context, "registration_open": registration_open(session, self.context.get("now"))}
        return PublicSlotSerializer(session.slots.all(), many=True, context=context).data


# --- Registrations (the citizen's own) --------------------------------------------------------------------


class RepresentativeSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=255)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class RegistrationCreateSerializer(serializers.Serializer):
    slot = serializers.PrimaryKeyRelatedField(queryset=SessionSlot.objects.all(),
                                              help_text="Slot id from /api/public/sessions/{public_id}")
    matter_kind = serializers.ChoiceField(choices=MatterKind.choices)
    matter_summary = serializers.CharField(max_length=4000, trim_whitespace=True)
    people_count = serializers.IntegerField(required=False, default=1)
    representatives = RepresentativeSerializer(many=True, required=False, default=list)


class RegistrationSessionSerializer(serializers.ModelSerializer):
    host_office = OfficeBriefSerializer()
    status = SessionStatusField()

    class Meta:
        model = ReceptionSession
        fields = ["public_id", "title", "status", "starts_at", "ends_at", "host_office"]


class RegistrationSerializer(serializers.ModelSerializer):
    """The citizen's own registration. ``join_url`` only while confirmed; ``waitlist_position`` only while
    wait-listed."""

    status = RegistrationStatusField()
    matter_kind = serializers.ChoiceField(choices=MatterKind.choices)
    session = RegistrationSessionSerializer()
    slot_index = serializers.IntegerField(source="slot.index")
    representatives = serializers.ListField(child=RepresentativeSerializer())
    waitlist_position = serializers.SerializerMethodField()
    join_url = serializers.SerializerMethodField()

    class Meta:
        model = Registration
        fields = ["public_id", "status", "waitlist_position", "session", "slot", "slot_index", "slot_starts_at",
                  "slot_ends_at", "matter_kind", "matter_summary", "people_count", "representatives",
                  "join_url", "created_at", "confirmed_at", "cancelled_at", "cancel_reason"]

    def get_waitlist_position(self, registration) -> int | None:
        from scheduling.services import registrations

        return registrations.waitlist_position(registration)

    def get_join_url(self, registration) -> str | None:
        if registration.status != RegistrationStatus.CONFIRMED:
            return None
        return join_url(registration)


class RegistrationCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)

