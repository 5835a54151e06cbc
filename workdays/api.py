"""Public, read-only API of the working-day calendar (lịch ngày làm việc).

* ``GET /api/workdays/add?date=YYYY-MM-DD&days=N&mode=working|calendar`` — a deadline: the N-th
  ngày làm việc after ``date`` (``working``), or ``date`` + N calendar days moved off a ngày nghỉ
  (``calendar``).
* ``GET /api/workdays/year/<year>`` — the year's ngày nghỉ lễ and the administrators' overrides.
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .calendar import MAX_DAYS, get_calendar
from .models import CalendarOverride

MIN_YEAR, MAX_YEAR = 2000, 2100


class AddQuerySerializer(serializers.Serializer):
    date = serializers.DateField(input_formats=["%Y-%m-%d"], help_text=_("Ngày bắt đầu (YYYY-MM-DD)."))
    days = serializers.IntegerField(min_value=0, max_value=MAX_DAYS, help_text=_("Số ngày."))
    mode = serializers.ChoiceField(
        choices=[("working", _("ngày làm việc")), ("calendar", _("ngày theo lịch"))], default="working",
        help_text=_("working: cộng ngày làm việc; calendar: cộng ngày theo lịch, lùi sang ngày làm việc kế tiếp."),
    )

    def validate_date(self, value: date) -> date:
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            raise serializers.ValidationError(
                _("Năm phải trong khoảng %(min)d–%(max)d.") % {"min": MIN_YEAR, "max": MAX_YEAR}, code="out_of_range")
        return value


class AddResultSerializer(serializers.Serializer):
    date = serializers.DateField(help_text=_("Ngày đến hạn."))
    start = serializers.DateField()
    days = serializers.IntegerField()
    mode = serializers.ChoiceField(choices=["working", "calendar"])


class YearSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=MIN_YEAR, max_value=MAX_YEAR)


class HolidaySerializer(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField()


class OverrideSerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarOverride
        fields = ["date", "kind", "reason"]


class YearResultSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    holidays = HolidaySerializer(many=True)
    overrides = OverrideSerializer(many=True)


class AddDaysView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Cộng ngày làm việc / ngày theo lịch",
        parameters=[AddQuerySerializer],
        responses={200: AddResultSerializer},
        tags=["workdays"],
    )
    def get(self, request):
        query = AddQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, days, mode = (query.validated_data[k] for k in ("date", "days", "mode"))
        calendar = get_calendar()
        if mode == "working":
            result = calendar.working_days_after(start, days)
        else:
            result = calendar.calendar_days_deadline(start, days)
        return Response(AddResultSerializer({"date": result, "start": start, "days": days, "mode": mode}).data)


class YearView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Ngày nghỉ lễ và điều chỉnh trong năm",
        responses={200: YearResultSerializer},
        tags=["workdays"],
    )
    def get(self, request, year: int):
        YearSerializer(data={"year": year}).is_valid(raise_exception=True)
        first, last = date(year, 1, 1), date(year, 12, 31)
        holidays = [{"date": d, "name": name} for d, name in get_calendar().holidays_between(first, last)]
        overrides = CalendarOverride.objects.filter(date__range=(first, last)).order_by("date")
        return Response(YearResultSerializer({"year": year, "holidays": holidays, "overrides": overrides}).data)
