"""Accessibility of the citizen-facing and public pages: axe-core (tests/assets/axe.min.js, from the npm
package axe-core 4, MPL-2.0) runs in Debian's Chromium against a real Daphne at a phone width (360 px) and a
desktop width (1280 px). Violations of impact "serious" or "critical" fail the test; the others are printed.
A screenshot of every page at both widths goes to test-artifacts/ (a11y-<page>-<width>.png)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import Role
from core.text import fold
from offices.models import Office, OfficeKind, Tier
from scheduling.links import make_join_token
from scheduling.services import registrations
from sessions import services as session_services
from tests.processes import daphne
from tests.test_room_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromium_or_skip
from tests.test_room_integration import login_cookie, room_env

AXE = Path(__file__).resolve().parent / "assets" / "axe.min.js"
WIDTHS = {"360": {"width": 360, "height": 740}, "1280": {"width": 1280, "height": 900}}
BLOCKING = {"serious", "critical"}
SUMMARY = "Khiếu nại về việc bồi thường khi thu hồi đất nông nghiệp của gia đình tôi."


def make_office(code, name, tier, kind, parent=None, unit_code="", unit_name="", **extra):
    return Office.objects.create(code=code, name=name, tier=tier, kind=kind, parent=parent,
                                 path=(parent.path if parent else "") + code + "/", admin_unit_code=unit_code,
                                 admin_unit_name=unit_name, search_text=fold(f"{name} {unit_name}"), **extra)


def build_portal(make_user) -> dict:
    """A small real-looking directory (central → Bắc Ninh → Phường Kinh Bắc, and Hà Nội), two published
    sessions at the commune, a citizen registered for one of them (confirmed, with a join link)."""
    central = make_office("TW", "Trụ sở Tiếp công dân Trung ương", Tier.CENTRAL,
                          OfficeKind.CENTRAL_RECEPTION_OFFICE, address="Số 1 Ngô Thì Nhậm, Hà Đông, Hà Nội")
    bac_ninh = make_office("T24", "Ban Tiếp công dân tỉnh Bắc Ninh", Tier.PROVINCIAL, OfficeKind.RECEPTION_BOARD,
                           central, "24", "Tỉnh Bắc Ninh")
    ha_noi = make_office("T01", "Ban Tiếp công dân thành phố Hà Nội", Tier.PROVINCIAL, OfficeKind.RECEPTION_BOARD,
                         central, "01", "Thành phố Hà Nội")
    kinh_bac = make_office("X09169", "Điểm tiếp công dân phường Kinh Bắc", Tier.COMMUNE, OfficeKind.RECEPTION_POINT,
                           bac_ninh, "09169", "Phường Kinh Bắc, Tỉnh Bắc Ninh", phone="0222 3821 000")
    ba_dinh = make_office("X00004", "Điểm tiếp công dân phường Ba Đình", Tier.COMMUNE, OfficeKind.RECEPTION_POINT,
                          ha_noi, "00004", "Phường Ba Đình, Thành phố Hà Nội")
    leader = make_user(Role.LEADER, kinh_bac, full_name="Nguyễn Văn Chủ Tịch")
    day = timezone.localdate() + timedelta(days=12)
    starts = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time())) + timedelta(hours=8)

    def session(title, offset_days, **extra):
        s = session_services.create_session(
            by=None, kind="periodic", host_office=kinh_bac, host=leader, title=title,
            starts_at=starts + timedelta(days=offset_days), ends_at=starts + timedelta(days=offset_days, hours=2),
            slot_minutes=30, slot_capacity=2, sites=[(bac_ninh, None)],
            tentative_content="Tiếp công dân về đất đai, bồi thường, giải phóng mặt bằng.", **extra)
        return session_services.publish(s, None, reason="Kiểm thử")

    registered = session("Lãnh đạo phường Kinh Bắc tiếp công dân định kỳ", 0)
    open_for_form = session("Chủ tịch phường tiếp công dân tháng sau", 7)
    citizen = make_user(full_name="Trần Thị Công Dân")
    registration = registrations.register(
        citizen=citizen, slot_id=registered.slots.order_by("index").first().pk, matter_kind="complaint",
        matter_summary=SUMMARY, people_count=6, representatives=[{"full_name": "Lê Văn Đại Diện"}])
    return {"central": central, "bac_ninh": bac_ninh, "ha_noi": ha_noi, "kinh_bac": kinh_bac, "ba_dinh": ba_dinh,
            "leader": leader, "citizen": citizen, "registered": registered, "open": open_for_form,
            "registration": registration, "token": make_join_token(registration)}


def portal_pages(portal: dict) -> list[tuple[str, str, bool]]:
    """(name, path, signed in as the citizen) of every citizen-facing and public page."""
    token = portal["token"]
    return [
        ("home", "/", False),
        ("offices-search", "/co-quan/?q=bac+ninh", False),
        ("office-detail", f"/co-quan/{portal['kinh_bac'].code}/", False),
        ("schedule", "/lich-tiep/?province=24", False),
        ("session-register", f"/lich-tiep/{portal['open'].public_id}/", True),
        ("my-registrations", "/cua-toi/dang-ky/", True),
        ("my-cases", "/cua-toi/vu-viec/", True),
        ("login", "/dang-nhap/", False),
        ("signup", "/dang-ky/", False),
        ("join", f"/tham-gia/{token}/", False),
        ("room-prejoin", f"/phong/{portal['registered'].public_id}/?token={token}", False),
        ("rules", "/noi-quy/", False),
        ("public-results", "/cong-khai/ket-qua-giai-quyet/", False),
    ]


RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" "))}));
}"""


def run_axe(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


@pytest.fixture
def portal_server(make_user, tmp_path):
    """Daphne on the test database with the portal's data; yields (base URL, portal, citizen cookie)."""
    chromium_or_skip()
    portal = build_portal(make_user)
    env = room_env(tmp_path)
    with daphne(env, tmp_path / "daphne.log") as base:
        cookie = login_cookie(base, portal["citizen"].username).split("=", 1)[1]
        yield base, portal, cookie


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_citizen_and_public_pages_have_no_serious_axe_violations(portal_server):
    from playwright.sync_api import sync_playwright

    base, portal, cookie = portal_server
    ARTIFACTS.mkdir(exist_ok=True)
    blocking: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for width, viewport in WIDTHS.items():
                anonymous = browser.new_context(viewport=viewport)
                citizen = browser.new_context(viewport=viewport)
                citizen.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
                for name, path, signed_in in portal_pages(portal):
                    page = (citizen if signed_in else anonymous).new_page()
                    response = page.goto(base + path)
                    if response is None or response.status != 200:
                        blocking.append(f"[{width}px] {name}: HTTP {response and response.status}")
                        page.close()
                        continue
                    violations = run_axe(page)
                    page.screenshot(path=str(ARTIFACTS / f"a11y-{name}-{width}.png"), full_page=True)
                    if width == "360" and name == "home":  # the phone menu, opened (no JavaScript needed)
                        page.click("summary")
                        violations += run_axe(page)
                        page.screenshot(path=str(ARTIFACTS / "a11y-home-menu-360.png"), full_page=True)
                    for v in violations:
                        line = f"[{width}px] {name}: {v['impact']} {v['id']} — {v['help']} {v['nodes']}"
                        print(line)
                        if v["impact"] in BLOCKING:
                            blocking.append(line)
                    page.close()
                anonymous.close()
                citizen.close()
        finally:
            browser.close()
    assert not blocking, "serious or critical axe violations:\n" + "\n".join(blocking)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_skip_link_moves_keyboard_focus_to_the_main_content(portal_server):
    from playwright.sync_api import sync_playwright

    base, _portal, _cookie = portal_server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=WIDTHS["360"])
            page.goto(base + "/")
            page.keyboard.press("Tab")
            focused = page.evaluate("() => [document.activeElement.className, document.activeElement.getAttribute('href')]")
            assert focused == ["skip-link", "#main"]
            box = page.locator(".skip-link").bounding_box()
            assert box and box["y"] >= 0, "the focused skip link is visible"
            page.keyboard.press("Enter")
            assert page.evaluate("() => document.activeElement.id") == "main"
            # The phone menu opens with the keyboard, without JavaScript's help.
            page.goto(base + "/")
            assert not page.locator("nav[aria-label] a[data-nav='rules']").is_visible()
            page.focus("summary")
            page.keyboard.press("Enter")
            assert page.locator("nav[aria-label] a[data-nav='rules']").is_visible()
            print(json.dumps({"menu": "ok"}))
        finally:
            browser.close()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_representative_boxes_appear_only_when_the_group_needs_them(portal_server):
    """group.js (issue 17): one person, no "Người đại diện" boxes; from GROUP_CASE_MIN_PEOPLE the small
    group's number of boxes; above GROUP_CASE_LARGE_THRESHOLD the large group's; hidden boxes are not sent."""
    from django.conf import settings
    from playwright.sync_api import sync_playwright

    base, portal, cookie = portal_server
    visible = "() => Array.from(document.querySelectorAll('fieldset.group .field')).filter(f => !f.hidden).length"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=WIDTHS["360"])
            context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
            page = context.new_page()
            page.goto(base + f"/lich-tiep/{portal['open'].public_id}/")
            assert not page.locator("fieldset.group").is_visible()
            page.fill("#id_people_count", str(settings.GROUP_CASE_MIN_PEOPLE))
            assert page.locator("fieldset.group").is_visible()
            assert page.evaluate(visible) == settings.GROUP_CASE_REPRESENTATIVES_SMALL
            page.fill("#id_people_count", str(settings.GROUP_CASE_LARGE_THRESHOLD + 1))
            assert page.evaluate(visible) == settings.GROUP_CASE_REPRESENTATIVES_LARGE
            page.fill("#id_people_count", "1")
            assert not page.locator("fieldset.group").is_visible()
            assert page.locator("#id_representative_1").is_disabled()
        finally:
            browser.close()
