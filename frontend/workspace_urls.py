"""URLs of the staff's scheduling workspace and the leaders' calendars (in the ``frontend`` namespace:
``frontend/urls.py`` appends these patterns)."""

from django.urls import path

from frontend import minutes_views, office_views, reception_log_views, session_views
from frontend import workspace_views as views

urlpatterns = [
    path("lam-viec/lich/", views.workspace, name="workspace"),
    path("lam-viec/phien/tao-moi/", session_views.create_session, name="workspace-session-create"),
    path("lam-viec/phien/<uuid:public_id>/", session_views.session_page, name="workspace-session"),
    path("lam-viec/phien/<uuid:public_id>/diem-cau/", session_views.add_site, name="workspace-session-add-site"),
    path("lam-viec/phien/<uuid:public_id>/diem-cau/<str:code>/bo/", session_views.remove_site,
         name="workspace-session-remove-site"),
    path("lam-viec/phien/<uuid:public_id>/mo-phong/", session_views.open_room, name="workspace-session-open"),
    path("lam-viec/phien/<uuid:public_id>/ket-thuc/", session_views.close_reception, name="workspace-session-close"),
    path("lam-viec/phien/<uuid:public_id>/trang/cong-bo/", session_views.session_action, {"action": "publish"},
         name="workspace-session-publish"),
    path("lam-viec/phien/<uuid:public_id>/trang/hoan/", session_views.session_action, {"action": "postpone"},
         name="workspace-session-postpone"),
    path("lam-viec/phien/<uuid:public_id>/trang/huy/", session_views.session_action, {"action": "cancel"},
         name="workspace-session-cancel"),
    path("lam-viec/lich-dinh-ky/<int:plan_id>/ngung/", views.deactivate_plan, name="workspace-deactivate-plan"),
    path("lam-viec/phien/<uuid:public_id>/cong-bo/", views.session_action, {"action": "publish"},
         name="workspace-publish"),
    path("lam-viec/phien/<uuid:public_id>/hoan/", views.session_action, {"action": "postpone"},
         name="workspace-postpone"),
    path("lam-viec/phien/<uuid:public_id>/huy/", views.session_action, {"action": "cancel"},
         name="workspace-cancel"),
    path("lam-viec/phien/<uuid:public_id>/bien-ban/", minutes_views.minutes_editor, name="minutes-editor"),
    path("lam-viec/phien/<uuid:public_id>/bien-ban/phan/<int:section_id>/vu-viec/", minutes_views.minutes_section_case,
         name="minutes-section-case"),
    path("lam-viec/phien/<uuid:public_id>/ban-thu-ky/", minutes_views.secretary_console, name="secretary-console"),
    path("lam-viec/phien/<uuid:session>/phong-nhung/", minutes_views.room_embedded, name="room-embedded"),
    path("lam-viec/phien/<uuid:public_id>/bien-ban/khoa/", minutes_views.minutes_finalize, name="minutes-finalize"),
    path("lam-viec/so-tiep-cong-dan/", reception_log_views.reception_log, name="reception-log"),
    path("lam-viec/co-quan/<str:code>/lien-he/", office_views.office_contact, name="office-contact"),
    path("lam-viec/lanh-dao/<int:leader_id>/", views.leader_calendar, name="leader-calendar"),
    path("lam-viec/lanh-dao/<int:leader_id>/nhap-ical/", views.import_ical, name="leader-calendar-import"),
    path("lam-viec/lanh-dao/<int:leader_id>/cong-tac/<int:engagement_id>/xoa/", views.delete_engagement,
         name="leader-calendar-delete"),
]
