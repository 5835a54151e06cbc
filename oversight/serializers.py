"""Shapes of the oversight API (input validation and the documented response). Counts only."""

from __future__ import annotations

from rest_framework import serializers

from cases.workflow import CaseState
from offices.models import Tier
from scheduling.models import MatterKind
from sessions.models import SessionKind, SessionStatus


class OversightStatsQuerySerializer(serializers.Serializer):
    office = serializers.CharField(required=False, allow_blank=True, max_length=32,
                                   help_text="office code (default: the user's highest overseen office)")
    period = serializers.CharField(required=False, allow_blank=True, max_length=16,
                                   help_text="q1-2026 … q4-2026, 6m-2026, 9m-2026, year-2026")
    # ``from`` is a keyword: declared below under its wire name.

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False, help_text="YYYY-MM-DD: a custom range instead of a period")
        fields["to"] = serializers.DateField(required=False, help_text="YYYY-MM-DD, inclusive")
        return fields


def _counts(keys) -> serializers.DictField:
    return serializers.DictField(child=serializers.IntegerField(), help_text=", ".join(keys))


class OversightSessionCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_kind = _counts(SessionKind.values)
    by_status = _counts(SessionStatus.values)


class OversightReceptionDaysSerializer(serializers.Serializer):
    leaders = serializers.IntegerField(help_text="leaders (role leader) of the offices counted")
    required = serializers.IntegerField(help_text="Σ per-month legal minimum × months of the period, rounded up")
    held = serializers.IntegerField(help_text="Σ distinct days with a held or open periodic session hosted")
    below_minimum = serializers.IntegerField(help_text="leaders who held fewer days than required")


class OversightReceptionCountsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="receptions (citizen sections of minutes + attended registrations "
                                               "without a section)")
    people = serializers.IntegerField()


class OversightCaseCountsSerializer(serializers.Serializer):
    received = serializers.IntegerField(help_text="cases received in the period")
    people = serializers.IntegerField()
    by_kind = _counts(MatterKind.values)
    by_state = _counts(CaseState.values)
    group = serializers.IntegerField()
    repeated = serializers.IntegerField(help_text="previous_case set (tiếp khiếu, tiếp tố)")
    transferred_in = serializers.IntegerField()
    transferred_out = serializers.IntegerField()
    repeated_transfers = serializers.IntegerField(help_text="received after two transfers or more (issue 16)")


class OversightCurrentCountsSerializer(serializers.Serializer):
    open = serializers.IntegerField(help_text="open cases today, whatever the period")
    overdue = serializers.IntegerField(help_text="open cases past a due date today (the inbox's ?overdue=1)")
    overdue_group = serializers.IntegerField()


class OversightCountersSerializer(serializers.Serializer):
    sessions = OversightSessionCountsSerializer()
    reception_days = OversightReceptionDaysSerializer()
    receptions = OversightReceptionCountsSerializer()
    cases = OversightCaseCountsSerializer()
    current = OversightCurrentCountsSerializer()


class OversightOfficeRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    tier = serializers.ChoiceField(choices=Tier.choices)


class OversightChildSerializer(OversightOfficeRefSerializer):
    is_active = serializers.BooleanField()
    counters = OversightCountersSerializer()


class OversightLeaderRowSerializer(serializers.Serializer):
    name = serializers.CharField()
    office = serializers.CharField(help_text="office code")
    office_name = serializers.CharField()
    per_month = serializers.IntegerField()
    required = serializers.IntegerField()
    held = serializers.IntegerField()
    below_minimum = serializers.BooleanField()


class OversightPeriodSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="q1-2026 …, empty for a custom range")
    label = serializers.CharField()
    # "from"/"to" below.
    months = serializers.FloatField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        fields["to"] = serializers.DateField()
        return fields


class OversightStatsSerializer(serializers.Serializer):
    office = OversightOfficeRefSerializer()
    breadcrumb = OversightOfficeRefSerializer(many=True)
    period = OversightPeriodSerializer()
    today = serializers.DateField()
    totals = OversightCountersSerializer(help_text="the office and every office beneath it")
    own = OversightCountersSerializer(help_text="the office's own rows only")
    children = OversightChildSerializer(many=True, help_text="each child office, rolled up over its own subtree")
    leaders = OversightLeaderRowSerializer(many=True, help_text="leaders of the office and of its direct children")
    case_matrix = serializers.DictField(child=_counts(CaseState.values), help_text="{kind: {state: n}}")


class OversightPeriodListQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)


class OversightPeriodListSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    current = serializers.CharField()
    periods = OversightPeriodSerializer(many=True)
