"""Report pages: the office's list and drafting on demand, the chain driven through the report page by each
role, the files, the tier above's tracker with drill-down, the dashboard's link; Chromium at 360 and 1280 px."""

from __future__ import annotations

import asyncio
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from reports.models import Report, ReportStatus
from tests.reports_helpers import MARKER_NAME, MARKER_SUMMARY, build


@pytest.fixture
def scene(office_tree, make_user):
    return build(office_tree, make_user)


def _client(user) -> Client:
    client = Client()
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    return client


def _post(client, report, action, **data):
    return client.post(reverse("frontend:report", args=[report.pk]), {"action": action, **data})


def test_chain_through_the_pages_with_per_role_buttons(scene):
    officer, leader = _client(scene["officer_a"]), _client(scene["leader_a"])
    response = officer.post(reverse("frontend:reports"), {"office": "X01001", "period": "q1-2026"})
    report = Report.objects.get(office__code="X01001", period_key="q1-2026")
    assert response.status_code == 302 and response.url == reverse("frontend:report", args=[report.pk])
    html = officer.get(response.url).content.decode()
    assert "Đơn tiếp nhận trong kỳ" in html and "Trình lãnh đạo duyệt" in html and "Duyệt báo cáo" not in html
    assert MARKER_NAME not in html and MARKER_SUMMARY not in html
    assert _post(officer, report, "save", number="", assessment="Ổn định", difficulties="", proposals="").status_code == 302
    assert _post(officer, report, "approve").status_code == 403  # the officer is not the head
    assert _post(officer, report, "prepare").status_code == 302
    html = leader.get(reverse("frontend:report", args=[report.pk])).content.decode()
    assert "Duyệt báo cáo" in html and "Trình lãnh đạo duyệt" not in html
    assert _post(leader, report, "approve").status_code == 302
    assert _post(leader, report, "submit").status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED and report.versions.count() == 1
    # The tier above returns it with a reason; the commune's other officer cannot.
    assert _post(_client(scene["officer_b"]), report, "return", reason="x").status_code == 403
    province = _client(scene["leader_p"])
    assert "Trả lại để chỉnh sửa" in province.get(reverse("frontend:report", args=[report.pk])).content.decode()
    assert _post(province, report, "return", reason="Bổ sung số liệu.").status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED
    assert "Bổ sung số liệu." in officer.get(reverse("frontend:report", args=[report.pk])).content.decode()
    # Refused: a wrong state is a message, not a 500; an unknown action is a 400.
    assert "không thể thực hiện" in _post(leader, report, "submit").content.decode()
    assert _post(leader, report, "nonsense").status_code == 400
    # Outsiders see nothing.
    assert _client(scene["officer_o"]).get(reverse("frontend:report", args=[report.pk])).status_code == 403


def test_files_download_and_the_list(scene):
    officer = _client(scene["officer_p"])
    officer.post(reverse("frontend:reports"), {"office": "T01", "period": "q1-2026"})
    report = Report.objects.get(office__code="T01", period_key="q1-2026")
    response = officer.get(reverse("frontend:report-file", args=[report.pk, "xlsx"]))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert "tiep-nhan-don" in workbook.sheetnames
    for fmt, magic in (("pdf", b"%PDF"), ("docx", b"PK")):
        response = officer.get(reverse("frontend:report-file", args=[report.pk, fmt]))
        assert response.status_code == 200 and response.content.startswith(magic)
    assert officer.get(reverse("frontend:report-file", args=[report.pk, "exe"])).status_code == 404
    assert officer.get(reverse("frontend:report-file", args=[report.pk, "pdf"]) + "?version=x").status_code == 404
    html = officer.get(reverse("frontend:reports")).content.decode()
    assert "Office T01" in html and "Dự thảo" in html


def test_tracker_and_dashboard_link(scene):
    tree = scene["office_tree"]
    from reports import services

    a = services.draft(tree["commune011"], "periodic", "q1-2026")
    a = services.prepare(a, scene["officer_a"])
    a = services.approve(a, scene["leader_a"])
    services.submit(a, scene["leader_a"])
    inspector = _client(scene["inspector_p"])
    html = inspector.get(reverse("frontend:report-tracker") + "?office=T01&period=q1-2026").content.decode()
    assert 'data-office="X01001" data-state="late"' in html or 'data-office="X01001" data-state="submitted"' in html
    assert 'data-office="X01002" data-state="missing"' in html
    central = _client(scene["central_inspector"])
    html = central.get(reverse("frontend:report-tracker") + "?office=TW&period=q1-2026").content.decode()
    assert "?office=T01&amp;period=q1-2026" in html  # drill-down
    assert _client(scene["officer_o"]).get(reverse("frontend:report-tracker") + "?office=T01").status_code == 403
    # The dashboard links to the period's report; the link finds the report (or offers a draft to its staff).
    html = inspector.get(reverse("frontend:oversight") + "?office=T01&period=q1-2026").content.decode()
    assert reverse("frontend:report-for-period") + "?office=T01&amp;period=q1-2026" in html
    response = _client(scene["officer_a"]).get(reverse("frontend:report-for-period") + "?office=X01001&period=q1-2026")
    assert response.status_code == 302 and response.url == reverse("frontend:report", args=[a.pk])
    officer_p = _client(scene["officer_p"])
    url = reverse("frontend:report-for-period") + "?office=T01&period=q1-2026"
    assert "Lập dự thảo" in officer_p.get(url).content.decode()
    assert officer_p.post(url).status_code == 302 and Report.objects.filter(office__code="T01").exists()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_chromium_tracker_at_360_and_1280(office_tree, make_user, tmp_path, settings):
    from reports import services
    from tests.processes import daphne
    from tests.test_oversight import serious_axe_violations
    from tests.test_room_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromium_or_skip
    from tests.test_room_integration import login_cookie, room_env, use_layer

    chromium_or_skip()
    from playwright.async_api import async_playwright

    data = build(office_tree, make_user)
    a = services.draft(office_tree["commune011"], "periodic", "q1-2026")
    a = services.prepare(a, data["officer_a"])
    a = services.approve(a, data["leader_a"])
    services.submit(a, data["leader_a"])
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    ARTIFACTS.mkdir(exist_ok=True)
    url = reverse("frontend:report-tracker") + "?office=TW&period=q1-2026"
    with daphne(env, tmp_path / "daphne.log") as base:
        cookie = login_cookie(base, data["central_inspector"].username).split("=", 1)[1]

        async def scenario():
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    for name, width, height in (("desktop", 1280, 900), ("phone", 360, 740)):
                        context = await browser.new_context(viewport={"width": width, "height": height})
                        await context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
                        page = await context.new_page()
                        await page.goto(base + url)
                        rows = page.locator("#tracker-table tbody tr")
                        assert await rows.count() == 2
                        assert await serious_axe_violations(page) == [], name
                        assert await page.evaluate("document.documentElement.scrollWidth") <= width
                        await page.screenshot(path=str(ARTIFACTS / f"report-tracker-{name}.png"), full_page=True)
                        # Drill down to the province: its communes, one submitted, one missing.
                        await page.get_by_role("link", name="Xem cấp dưới của Office T01").click()
                        await page.wait_for_url("**office=T01**")
                        assert await page.locator('tr[data-office="X01002"]').get_attribute("data-state") == "missing"
                        assert await page.locator('tr[data-office="X01001"]').get_attribute("data-state") in (
                            "submitted", "late")
                        assert await serious_axe_violations(page) == [], name
                        assert await page.evaluate("document.documentElement.scrollWidth") <= width
                        await page.get_by_role("link", name="Office X01001").click()
                        await page.wait_for_url("**/bao-cao/*/")
                        assert "Đã gửi" in await page.locator("dd[data-status]").inner_text()
                        assert await serious_axe_violations(page) == [], name + " report"
                        assert await page.evaluate("document.documentElement.scrollWidth") <= width
                        await page.screenshot(path=str(ARTIFACTS / f"report-detail-{name}.png"), full_page=True)
                        await context.close()
                finally:
                    await browser.close()

        asyncio.run(scenario())


def test_adhoc_report_requested_and_answered_through_the_pages(scene):
    case = scene["cases"][5]
    inspector = _client(scene["inspector_p"])
    url = reverse("frontend:report-adhoc")
    assert "Số vụ việc" in inspector.get(url).content.decode()
    bad = inspector.post(url, {"case_number": "KHONG-CO", "request_text": "x", "deadline": "2099-01-01"})
    assert "Không tìm thấy vụ việc" in bad.content.decode()
    outsider = _client(scene["officer_o"]).post(url, {"case_number": case.number, "request_text": "x",
                                                      "deadline": "2099-01-01"})
    assert "Không tìm thấy vụ việc" in outsider.content.decode()
    response = inspector.post(url, {"case_number": case.number, "request_text": "Báo cáo việc giải quyết chậm.",
                                    "deadline": "2099-01-01"})
    report = Report.objects.get(kind="adhoc")
    assert response.status_code == 302 and report.case == case
    officer, leader = _client(scene["officer_a"]), _client(scene["leader_a"])
    html = officer.get(reverse("frontend:report", args=[report.pk])).content.decode()
    assert case.number in html and "Báo cáo việc giải quyết chậm." in html
    _post(officer, report, "save", number="", assessment="Đã kết luận, chậm do xác minh.", difficulties="",
          proposals="")
    _post(officer, report, "prepare")
    _post(leader, report, "approve")
    _post(leader, report, "submit")
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert "Đã kết luận, chậm do xác minh." in inspector.get(reverse("frontend:report", args=[report.pk])).content.decode()
