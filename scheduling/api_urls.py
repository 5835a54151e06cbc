from scheduling.api import urlpatterns as registration_and_plan_urls
from scheduling.api_calendar import urlpatterns as calendar_urls

urlpatterns = [*registration_and_plan_urls, *calendar_urls]
