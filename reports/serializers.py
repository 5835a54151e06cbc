"""Shapes of the reports API (documented in the OpenAPI). Counts only: no identity, no summary."""

from __future__ import annotations

from rest_framework import serializers

from reports import indicators
from reports.models import Report, ReportKind, ReportStatus, ReportVersion


class ReportQuerySerializer(serializers.Serializer):
    office = serializers.CharField(required=False, allow_blank=True, max_length=32, help_text="office code")
    period = serializers.CharField(required=False, allow_blank=True, max_length=16,
                                   help_text="q1-2026 … year-2026, kl107-2026")
    kind = serializers.ChoiceField(choices=ReportKind.choices, required=False)
    status = serializers.ChoiceField(choices=ReportStatus.choices, required=False)


class ReportVersionSerializer(serializers.ModelSerializer):
    submitted_by = serializers.CharField(source="submitted_by.full_name")
    returned = serializers.SerializerMethodField()

    class Meta:
        model = ReportVersion
        fields = ["ordinal", "sha256", "submitted_at", "submitted_by", "returned", "returned_at", "return_reason"]

    def get_returned(self, obj) -> bool:
        return obj.returned_at is not None


class ReportSerializer(serializers.ModelSerializer):
    office = serializers.CharField(source="office.code")
    office_name = serializers.CharField(source="office.name")
    tier = serializers.CharField(source="office.tier")
    case_number = serializers.SerializerMethodField()
    versions = ReportVersionSerializer(many=True, read_only=True)

    class Meta:
        model = Report
        fields = ["id", "office", "office_name", "tier", "kind", "period_key", "period_start", "period_end",
                  "deadline", "status", "number", "case_number", "versions", "updated_at"]

    def get_case_number(self, obj) -> str | None:
        return obj.case.number if obj.case_id else None


class FiguresSerializer(serializers.Serializer):
    office = serializers.DictField(child=serializers.CharField())
    period = serializers.DictField()
    keys = serializers.ListField(child=serializers.CharField())
    own = serializers.DictField(child=serializers.IntegerField(), help_text=", ".join(indicators.KEYS))
    rows = serializers.ListField(child=serializers.DictField(), help_text="one per office directly below: "
                                 "code, name, tier, figures (rolled up over its subtree)")
    total = serializers.DictField(child=serializers.IntegerField())


class SnapshotSerializer(serializers.Serializer):
    ordinal = serializers.IntegerField()
    sha256 = serializers.CharField(help_text="SHA-256 of the canonical JSON of `snapshot` (sorted keys, no spaces, "
                                             "UTF-8)")
    snapshot = serializers.DictField(help_text="the frozen report: office, kind, period, deadline, number, "
                                               "texts, signer, figures")


class TrackerRowSerializer(serializers.Serializer):
    office = serializers.CharField()
    office_name = serializers.CharField()
    state = serializers.CharField(help_text="submitted (on time), late, or missing")
    overdue = serializers.BooleanField()
    deadline = serializers.DateField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(choices=ReportStatus.choices, allow_null=True)
    report = serializers.IntegerField(allow_null=True)


class TrackerSerializer(serializers.Serializer):
    office = serializers.CharField()
    period = serializers.CharField()
    rows = TrackerRowSerializer(many=True)
