"""Public iCalendar feeds, mounted at ``/ical/``."""

from django.urls import path

from scheduling import feeds

urlpatterns = [
    path("offices/<str:code>.ics", feeds.office_feed, name="ical-office"),
    path("leaders/<int:user_id>.ics", feeds.leader_feed, name="ical-leader"),
]
