"""Serializers of the cases API. Input serializers check types and resolve references; the rules are
``cases.services``'. Output serializers never put a denouncer's identity or a denunciation's content in a
listing; the detail shows parties through ``cases.access.party_view`` (redacted or audited)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases import access, workflow
from cases.models import Case, CaseField, CaseSource
from scheduling.models import MatterKind
from sessions.serializers import OfficeCodeField, UserIdField

# --- input ----------------------------------------------------------------------------------------------


class PartyInputSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=255)
    address = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    id_number = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    contact = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    is_representative = serializers.BooleanField(required=False, default=False)


class CaseCreateSerializer(serializers.Serializer):
    office = OfficeCodeField()
    kind = serializers.ChoiceField(choices=MatterKind.choices)
    field = serializers.ChoiceField(choices=CaseField.choices, required=False, default=CaseField.OTHER)
    summary = serializers.CharField(max_length=20_000)
    people_count = serializers.IntegerField(min_value=1, max_value=100_000, required=False, default=1)
    is_group = serializers.BooleanField(required=False, allow_null=True, default=None)
    source = serializers.ChoiceField(choices=CaseSource.choices, required=False, default=CaseSource.PAPER)
    received_on = serializers.DateField(required=False, allow_null=True, default=None)
    is_complex = serializers.BooleanField(required=False, default=False)
    is_second_time = serializers.BooleanField(required=False, default=False)
    previous_case = serializers.UUIDField(required=False, allow_null=True, default=None)
    handler = UserIdField(required=False, allow_null=True, default=None)
    parties = PartyInputSerializer(many=True, required=False, default=list)


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(workflow.ACTIONS))
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    document_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    guided_to_body = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    guidance_document_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=MatterKind.choices, required=False, allow_null=True, default=None)
    field = serializers.ChoiceField(choices=CaseField.choices, required=False, allow_null=True, default=None)
    is_complex = serializers.BooleanField(required=False, allow_null=True, default=None)
    is_second_time = serializers.BooleanField(required=False, allow_null=True, default=None)
    target_office = OfficeCodeField(required=False, allow_null=True, default=None)


class TransferSerializer(serializers.Serializer):
    target_office = OfficeCodeField()
    document_number = serializers.CharField(max_length=64)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ExtendSerializer(serializers.Serializer):
    decision_number = serializers.CharField(max_length=64)
    days = serializers.IntegerField()
    decided_on = serializers.DateField(required=False, allow_null=True, default=None)


class AssignSerializer(serializers.Serializer):
    handler = UserIdField()


class CaseFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=workflow.CaseState.choices, required=False)
    kind = serializers.ChoiceField(choices=MatterKind.choices, required=False)
    office = OfficeCodeField(required=False)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)


# --- output ---------------------------------------------------------------------------------------------


def _today(context) -> object:
    return context.get("today") or timezone.localdate()


class CaseListItemSerializer(serializers.ModelSerializer):
    """A row of the inbox: never a party, and the summary only for kinds other than denunciation."""

    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    office_name = serializers.CharField(source="office.name", read_only=True)
    handler_name = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = ["public_id", "number", "kind", "field", "state", "office", "office_name", "source",
                  "people_count", "is_group", "is_complex", "is_second_time", "received_on", "accepted_on",
                  "citizen_notice_due", "acceptance_due", "resolution_due", "escalated_at", "handler",
                  "handler_name", "summary", "is_overdue"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_handler_name(self, case):
        return case.handler.full_name if case.handler_id else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_summary(self, case):
        return None if access.is_secret(case) else case.summary

    @extend_schema_field(serializers.BooleanField())
    def get_is_overdue(self, case):
        today = _today(self.context)
        if case.state in (workflow.S.RECEIVED, workflow.S.CLASSIFIED):
            dues = [case.citizen_notice_due, case.acceptance_due]
        elif case.state in (workflow.S.ACCEPTED, workflow.S.VERIFYING):
            dues = [case.resolution_due]
        else:
            dues = []
        return any(d is not None and d < today for d in dues)


class PartyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField()
    is_representative = serializers.BooleanField()
    redacted = serializers.BooleanField()
    full_name = serializers.CharField()
    address = serializers.CharField()
    id_number = serializers.CharField()
    contact = serializers.CharField()
    user = serializers.IntegerField(allow_null=True)


class LinkedCaseSerializer(serializers.ModelSerializer):
    """Another case linked to this one: its number, office and fate (state) only."""

    office = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Case
        fields = ["public_id", "number", "kind", "office", "state"]
        read_only_fields = fields


class TransitionOutputSerializer(serializers.Serializer):
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    action = serializers.CharField()
    by = serializers.IntegerField(source="by_id", allow_null=True)
    at = serializers.DateTimeField()
    note = serializers.CharField()
    document_number = serializers.CharField()


class ExtensionOutputSerializer(serializers.Serializer):
    ordinal = serializers.IntegerField()
    decision_number = serializers.CharField()
    decided_on = serializers.DateField()
    days = serializers.IntegerField()


class CaseDetailSerializer(CaseListItemSerializer):
    """The case file. A denunciation's summary and parties are shown only to its handler and the head of
    the office; every clear read of a party is audited (``cases.read_identity``)."""

    parties = serializers.SerializerMethodField()
    transitions = serializers.SerializerMethodField()
    extensions = ExtensionOutputSerializer(many=True, read_only=True)
    previous_case = LinkedCaseSerializer(read_only=True)
    transferred_from = LinkedCaseSerializer(read_only=True)
    transfers = LinkedCaseSerializer(many=True, read_only=True)
    split_from = LinkedCaseSerializer(read_only=True)
    split_parts = LinkedCaseSerializer(many=True, read_only=True)
    transfer_to_office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    allowed_actions = serializers.SerializerMethodField()
    identity_visible = serializers.SerializerMethodField()

    class Meta(CaseListItemSerializer.Meta):
        fields = CaseListItemSerializer.Meta.fields + [
            "concluded_on", "parties", "transitions", "extensions", "previous_case", "transferred_from",
            "transfers", "split_from", "split_parts", "transfer_to_office", "transfer_to_body", "transfer_document_number",
            "guided_to_body", "guidance_document_number", "end_document_number", "conclusion_document_number",
            "filed_until", "allowed_actions", "identity_visible", "created_at", "updated_at"]
        read_only_fields = fields

    def _user(self):
        request = self.context.get("request")
        return getattr(request, "user", None)

    @extend_schema_field(serializers.CharField())
    def get_summary(self, case):
        if access.may_see_summary(self._user(), case):
            return case.summary
        return _(access.REDACTED_CONTENT)

    @extend_schema_field(PartyOutputSerializer(many=True))
    def get_parties(self, case):
        user, request = self._user(), self.context.get("request")
        return [access.party_view(case, party, user, request=request) for party in case.parties.all()]

    @extend_schema_field(TransitionOutputSerializer(many=True))
    def get_transitions(self, case):
        user = self._user()
        return [{**TransitionOutputSerializer(t).data, "note": access.transition_note(user, case, t)}
                for t in case.transitions.all()]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, case):
        targets = workflow.TRANSITIONS.get(case.state, frozenset())
        return sorted(action for action, state in workflow.ACTIONS.items() if state in targets)

    @extend_schema_field(serializers.BooleanField())
    def get_identity_visible(self, case):
        return access.may_see_identity(self._user(), case)
