"""Serializers of the sessions API (staff side) and the shared input fields (office by code, user by id).

Serializers only translate I/O: they check types and resolve references; every rule of the domain is
checked by ``sessions.services`` (and turned into a typed 4xx by ``core.api.exception_handler``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from offices.models import Office, Tier
from scheduling.models import MatterKind, Registration, RegistrationStatus
from sessions import services
from sessions.models import (
    AdhocReason,
    ReceptionSession,
    SessionEvent,
    SessionKind,
    SessionSite,
    SessionSlot,
    SessionStatus,
)

# --- Shared fields ----------------------------------------------------------------------------------------


class OfficeCodeField(serializers.SlugRelatedField):
    """An active office given by its code (``"X00004"``). An unknown code is a validation error of the field
    (code ``unknown_office``), never a 404."""

    default_error_messages = {
        "unknown_office": _("Không có cơ quan mã “{value}”."),
        "invalid": _("Mã cơ quan không hợp lệ."),
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=Office.objects.filter(is_active=True), **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not data.strip() or len(data) > 32:
            self.fail("invalid")
        office = self.get_queryset().filter(code=data.strip()).first()
        if office is None:
            self.fail("unknown_office", value=data.strip())
        return office


class UserIdField(serializers.PrimaryKeyRelatedField):
    """An active user given by id (code ``unknown_user`` when there is none)."""

    default_error_messages = {
        "unknown_user": _("Không có người dùng mã {value}."),
        "incorrect_type": _("Mã người dùng phải là số."),
    }

    def __init__(self, **kwargs):
        super().__init__(queryset=User.objects.filter(is_active=True), **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            pk = int(data)
        except ValueError:
            self.fail("incorrect_type", data_type=type(data).__name__)
        user = self.get_queryset().filter(pk=pk).first()
        if user is None:
            self.fail("unknown_user", value=pk)
        return user


@extend_schema_field({"type": "string", "enum": SessionKind.values}, component_name="SessionKind")
class SessionKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=SessionKind.choices, **kwargs)


CREATABLE_KINDS = [SessionKind.ADHOC.value, SessionKind.REGULAR.value]


@extend_schema_field({"type": "string", "enum": CREATABLE_KINDS}, component_name="NewSessionKind")
class NewSessionKindField(serializers.ChoiceField):
    """Kinds a person may create directly: periodic sessions come from plans."""

    def __init__(self, **kwargs):
        super().__init__(choices=CREATABLE_KINDS, **kwargs)


@extend_schema_field({"type": "string", "enum": SessionStatus.values}, component_name="SessionStatus")
class SessionStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=SessionStatus.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": RegistrationStatus.values}, component_name="RegistrationStatus")
class RegistrationStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=RegistrationStatus.choices, **kwargs)


class FieldErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorBodySerializer(serializers.Serializer):
    type = serializers.CharField(help_text="validation_error, forbidden, not_found, parse_error, …")
    message = serializers.CharField()
    fields = serializers.DictField(child=FieldErrorSerializer(many=True), required=False)


class ApiErrorSerializer(serializers.Serializer):
    """The body of every 4xx (``core.api.exception_handler``)."""

    error = ErrorBodySerializer()


ERRORS = {400: ApiErrorSerializer, 403: ApiErrorSerializer, 404: ApiErrorSerializer}


# --- Small nested shapes ----------------------------------------------------------------------------------


class OfficeBriefSerializer(serializers.ModelSerializer):
    tier = serializers.ChoiceField(choices=Tier.choices)

    class Meta:
        model = Office
        fields = ["code", "name", "tier"]


class UserBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "full_name"]


class SiteInputSerializer(serializers.Serializer):
    """A connected site (điểm cầu): the office by code and, optionally, the staff member responsible there."""

    office = OfficeCodeField()
    responsible = UserIdField(required=False, allow_null=True, default=None)


def site_pairs(sites: list[dict]) -> list[tuple[Office, User | None]]:
    return [(site["office"], site.get("responsible")) for site in sites]


# --- Input ------------------------------------------------------------------------------------------------


class SessionCreateSerializer(serializers.Serializer):
    """An ad-hoc (đột xuất) or regular (thường xuyên) session; periodic ones come from plans."""

    kind = NewSessionKindField()
    host_office = OfficeCodeField()
    host = UserIdField()
    title = serializers.CharField(max_length=255)
    tentative_content = serializers.CharField(required=False, allow_blank=True, default="")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    slot_minutes = serializers.IntegerField(required=False, allow_null=True, default=None)
    slot_capacity = serializers.IntegerField(required=False, allow_null=True, default=None)
    registration_closes_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    adhoc_reason = serializers.ChoiceField(choices=AdhocReason.choices, required=False, allow_blank=True,
                                           default="")
    adhoc_note = serializers.CharField(required=False, allow_blank=True, default="")
    sites = SiteInputSerializer(many=True, required=False, default=list)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class RequiredReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=2000)


class PostponeSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=2000)
    new_starts_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    new_ends_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


# --- Output (staff) ---------------------------------------------------------------------------------------


class SessionSiteSerializer(serializers.ModelSerializer):
    office = OfficeBriefSerializer()
    responsible = UserBriefSerializer(allow_null=True)

    class Meta:
        model = SessionSite
        fields = ["office", "is_host", "responsible"]


class StaffSlotSerializer(serializers.ModelSerializer):
    class Meta:
        model = SessionSlot
        fields = ["id", "index", "starts_at", "ends_at", "capacity", "confirmed_count", "waitlist_count"]


class SessionEventSerializer(serializers.ModelSerializer):
    actor = UserBriefSerializer(allow_null=True)
    data = serializers.DictField()

    class Meta:
        model = SessionEvent
        fields = ["at", "actor", "kind", "from_status", "to_status", "data"]


class StaffSessionSerializer(serializers.ModelSerializer):
    """Everything staff need about a session. ``publication_timely``: published (or, when not yet, would be
    published now) at least PUBLICATION_MIN_WORKING_DAYS working days before the reception day."""

    kind = SessionKindField()
    status = SessionStatusField()
    host_office = OfficeBriefSerializer()
    host = UserBriefSerializer(allow_null=True)
    replaced_by = serializers.UUIDField(source="replaced_by.public_id", allow_null=True, default=None)
    publication_timely = serializers.SerializerMethodField()
    sites = SessionSiteSerializer(many=True)
    slots = StaffSlotSerializer(many=True)
    events = SessionEventSerializer(many=True)

    class Meta:
        model = ReceptionSession
        fields = ["public_id", "kind", "status", "title", "tentative_content", "host_office", "host", "plan",
                  "occurrence_date", "starts_at", "ends_at", "adhoc_reason", "adhoc_note", "slot_minutes",
                  "slot_capacity", "registration_closes_at", "published_at", "late_publication_reason",
                  "publication_timely", "status_reason", "replaced_by", "sequence", "sites", "slots", "events"]

    def get_publication_timely(self, session) -> bool:
        return services.publication_is_timely(session, session.published_at)


# --- Registrations of a session (staff only) --------------------------------------------------------------


class StaffRegistrationSerializer(serializers.ModelSerializer):
    """A registration as staff see it in a listing. For a denunciation (tố cáo) the citizen's identity,
    representatives and summary are never in a listing, whoever asks: ``identity_hidden: true`` and nulls
    (Law on Denunciation 2018, art. 9 and 56). The handler and the head see them on the case
    (``cases.access.party_view``, audited); docs/cases.md, "Secrecy"."""

    citizen = serializers.SerializerMethodField()
    status = RegistrationStatusField()
    matter_kind = serializers.ChoiceField(choices=MatterKind.choices)
    matter_summary = serializers.SerializerMethodField()
    representatives = serializers.SerializerMethodField()
    identity_hidden = serializers.SerializerMethodField()
    slot_index = serializers.IntegerField(source="slot.index")
    waitlist_position = serializers.SerializerMethodField()

    class Meta:
        model = Registration
        fields = ["public_id", "citizen", "identity_hidden", "status", "slot", "slot_index", "slot_starts_at",
                  "slot_ends_at", "matter_kind", "matter_summary", "people_count", "representatives",
                  "waitlist_position", "created_at", "cancelled_at", "cancel_reason"]

    def _hidden(self, registration) -> bool:
        return registration.is_secret

    def get_identity_hidden(self, registration) -> bool:
        return self._hidden(registration)

    @extend_schema_field(UserBriefSerializer(allow_null=True))
    def get_citizen(self, registration):
        if self._hidden(registration):
            return None
        return UserBriefSerializer(registration.citizen).data

    def get_matter_summary(self, registration) -> str | None:
        return None if self._hidden(registration) else registration.matter_summary

    @extend_schema_field(serializers.ListField(child=serializers.DictField(), allow_null=True))
    def get_representatives(self, registration):
        return None if self._hidden(registration) else registration.representatives

    def get_waitlist_position(self, registration) -> int | None:
        from scheduling.services import registrations

        return registrations.waitlist_position(registration)

