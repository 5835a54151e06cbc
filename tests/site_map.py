"""Every page of every demo role, in one table (issue 17) — used by the accessibility test
(tests/test_every_page_browser.py: axe-core at 360 and 1280 px, no sideways scroll) and the site-map walk
(tests/test_site_map_walk.py: every link a page shows, 4xx/5xx, English on a Vietnamese page).

**To add a page**: append ``(name, path)`` to the role's list in ``PAGES``. A path may use the fields of
``DemoSite`` in braces: ``{session}`` (an open session at Ba Đình with a room and minutes), ``{published}``
(a published future session), ``{case}`` (a case at Ba Đình), ``{plan}`` (Ba Đình's periodic plan),
``{leader_id}`` (badinh.chutich's user id), ``{token}`` (the demo citizen's join token for ``{session}``).

The data are the demo data of ``make run`` (``seed_offices`` + ``seed_demo``: the roles and offices of
core/management/commands/seed_demo.py), plus an open session with a registered citizen, its minutes and
a case, so every page has something to show."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.management import call_command

# Demo logins (seed_demo.DEMO) by role, and the pages each role reaches from its menu.
LOGINS = {
    "citizen": "0912345678",
    "leader": "badinh.chutich",
    "officer": "badinh.canbo",
    "secretary": "badinh.thuky",
    "inspector": "hn.thanhtra",
    "office_admin": "hn.quantri",
    "provincial_leader": "hn.lanhdao",
    "superuser": "admin",
    "anonymous": None,
}

PUBLIC = [
    ("home", "/"), ("offices", "/co-quan/?q=ba+dinh"), ("office", "/co-quan/X00004/"),
    ("schedule", "/lich-tiep/"), ("session-public", "/lich-tiep/{published}/"), ("rules", "/noi-quy/"),
    ("public-results", "/cong-khai/ket-qua-giai-quyet/"),
]

PAGES: dict[str, list[tuple[str, str]]] = {
    "anonymous": PUBLIC + [("login", "/dang-nhap/"), ("signup", "/dang-ky/"), ("join", "/tham-gia/{token}/")],
    "citizen": [
        ("session-register", "/lich-tiep/{published}/"), ("my-registrations", "/cua-toi/dang-ky/"),
        ("my-cases", "/cua-toi/vu-viec/"), ("notifications", "/thong-bao/"),
    ],
    "leader": [
        ("workspace", "/lam-viec/lich/"), ("leader-calendar", "/lam-viec/lanh-dao/{leader_id}/"),
        ("session", "/lam-viec/phien/{session}/"), ("session-published", "/lam-viec/phien/{published}/"),
        ("case-inbox", "/lam-viec/vu-viec/"), ("case-file", "/lam-viec/vu-viec/{case}/"),
        ("minutes-editor", "/lam-viec/phien/{session}/bien-ban/"), ("reception-log", "/lam-viec/so-tiep-cong-dan/"),
        ("dashboard", "/giam-sat/"), ("room-prejoin-host", "/phong/{session}/"),
        ("reports", "/bao-cao/"), ("filed-petitions", "/lam-viec/don-luu/"), ("plans", "/lam-viec/ke-hoach/"),
    ],
    "officer": [
        ("workspace", "/lam-viec/lich/"), ("session-create", "/lam-viec/phien/tao-moi/"),
        ("session", "/lam-viec/phien/{session}/"), ("case-inbox", "/lam-viec/vu-viec/"),
        ("case-file", "/lam-viec/vu-viec/{case}/"), ("minutes-editor", "/lam-viec/phien/{session}/bien-ban/"),
        ("letter-new", "/lam-viec/don-thu/moi/"), ("case-followup", "/lam-viec/vu-viec/{case}/theo-doi/"),
        ("notifications", "/thong-bao/"), ("notification-preferences", "/thong-bao/cai-dat/"),
    ],
    "secretary": [
        ("workspace", "/lam-viec/lich/"), ("secretary-console", "/lam-viec/phien/{session}/ban-thu-ky/"),
        ("minutes-editor", "/lam-viec/phien/{session}/bien-ban/"),
    ],
    "inspector": [
        ("dashboard", "/giam-sat/"), ("case-inbox", "/lam-viec/vu-viec/"), ("reception-log", "/lam-viec/so-tiep-cong-dan/"),
    ],
    "office_admin": [
        ("workspace", "/lam-viec/lich/"), ("office-contact", "/lam-viec/co-quan/T01/lien-he/"), ("dashboard", "/giam-sat/"),
    ],
    "provincial_leader": [("workspace", "/lam-viec/lich/"), ("dashboard", "/giam-sat/"),
                          ("report-tracker", "/bao-cao/theo-doi/"), ("report-adhoc", "/bao-cao/dot-xuat/")],
    "superuser": [
        ("workspace", "/lam-viec/lich/"), ("workspace-search", "/lam-viec/lich/?office_q=ba+dinh"),
        ("dashboard", "/giam-sat/"), ("admin-index", "/admin/"), ("admin-users", "/admin/accounts/user/"),
        ("admin-offices", "/admin/offices/office/?q=ba+dinh"), ("admin-plans", "/admin/scheduling/receptionplan/"),
        ("admin-plan", "/admin/scheduling/receptionplan/{plan}/change/"),
        ("admin-sessions", "/admin/reception_sessions/receptionsession/"), ("admin-cases", "/admin/cases/case/"),
        ("admin-audit", "/admin/audit/auditentry/"), ("admin-axes", "/admin/axes/accessattempt/"),
    ],
}


@dataclass
class DemoSite:
    session: str
    published: str
    case: str
    plan: int
    leader_id: int
    token: str
    users: dict

    def path(self, template: str) -> str:
        return template.format(**{k: v for k, v in vars(self).items() if k != "users"})


def build_demo_site(password: str) -> DemoSite:
    """``make run``'s demo data, every demo password set to ``password``, plus an open session at Ba Đình
    with the demo citizen registered (confirmed), its minutes (one section) and a case."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import User
    from cases import services as case_services
    from minutes import services as minutes_services
    from offices.models import Office
    from scheduling.links import make_join_token
    from scheduling.models import ReceptionPlan
    from scheduling.services import registrations
    from sessions import services as session_services
    from sessions.models import ReceptionSession, SessionStatus
    from tests.conftest import _password_hash

    call_command("seed_offices", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    User.objects.filter(username__in=[*filter(None, LOGINS.values()), "+84912345678"]).update(
        password=_password_hash(password))
    users = {role: User.objects.get(username="+84912345678" if role == "citizen" else login)
             for role, login in LOGINS.items() if login}
    commune, province = Office.objects.get(code="X00004"), Office.objects.get(code="T01")
    starts = timezone.now().replace(second=0, microsecond=0) + timedelta(days=10)
    session = session_services.create_session(
        by=None, kind="periodic", host_office=commune, host=users["leader"],
        title="Chủ tịch phường Ba Đình tiếp công dân", starts_at=starts, ends_at=starts + timedelta(hours=2),
        slot_minutes=30, slot_capacity=2, sites=[(province, None)],
        tentative_content="Tiếp công dân về đất đai, xây dựng.")
    session = session_services.publish(session, None, reason="Kiểm thử")
    registration = registrations.register(
        citizen=users["citizen"], slot_id=session.slots.order_by("index").first().pk, matter_kind="complaint",
        matter_summary="Khiếu nại việc cấp giấy chứng nhận quyền sử dụng đất cho gia đình tôi.")
    session_services.open_session(session, users["leader"], now=session.starts_at)
    session.refresh_from_db()
    assert session.status == SessionStatus.OPEN
    minutes = minutes_services.open_minutes(session, users["secretary"])
    minutes_services.add_section(minutes, users["secretary"], citizen_name="Ngô Thị Dân", kind="complaint",
                                 statement="Đề nghị xem xét lại việc cấp giấy chứng nhận.")
    case = case_services.create_case(
        by=users["officer"], office=commune, kind="complaint",
        summary="Khiếu nại quyết định thu hồi đất của thôn 3, bồi thường chưa thỏa đáng.",
        parties=[{"full_name": "Nguyễn Văn Công", "address": "Thôn 3", "id_number": "001085000001",
                  "contact": "0987000222"}])
    published = (ReceptionSession.objects.filter(host_office=commune, status=SessionStatus.PUBLISHED)
                 .exclude(pk=session.pk).order_by("starts_at").first())
    return DemoSite(session=str(session.public_id), published=str(published.public_id), case=str(case.public_id),
                    plan=ReceptionPlan.objects.filter(office=commune).first().pk, leader_id=users["leader"].pk,
                    token=make_join_token(registration), users=users)
