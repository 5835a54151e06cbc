"""Issue 16, item 1: the notification inbox in Chromium on a 360 px phone. A reception officer has an
overdue alert and a transfer in: the navigation's badge shows 2, the inbox lists both without sideways
scrolling, one is marked read, the other opens its case, "mark all read" clears the badge."""

from __future__ import annotations

import pytest

from notifications import services
from tests.cases_helpers import make_case
from tests.processes import daphne
from tests.test_room_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromium_or_skip
from tests.test_room_integration import login_cookie, room_env, use_layer


def in_thread(work) -> None:
    """Database work while Playwright's event loop runs in this thread."""
    import threading

    from django.db import connection

    def run():
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)


FITS = "() => document.scrollingElement.scrollWidth <= window.innerWidth + 1"


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_inbox_on_a_phone(office_tree, make_user, tmp_path, settings):
    chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    from accounts.models import Role

    commune = office_tree["commune011"]
    officer = make_user(Role.RECEPTION_OFFICER, commune, full_name="Cán bộ Tiếp Dân")
    case = make_case(commune, by=officer)
    services.notify(officer, "case.resolution.overdue", case,
                    title=f"Quá hạn giải quyết vụ việc {case.number} — một tiêu đề dài để thử xuống dòng trên màn hình hẹp",
                    body=f"Vụ việc {case.number} tại {commune.name} đã quá hạn giải quyết.", key="overdue")
    services.notify(officer, "case.transfer_in", case, title="Đơn chuyển đến: vụ việc 2", key="transfer")
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    ARTIFACTS.mkdir(exist_ok=True)
    with daphne(env, tmp_path / "daphne.log") as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 360, "height": 740})
            cookie = login_cookie(base, officer.username).split("=", 1)[1]
            context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
            page = context.new_page()
            page.goto(base + "/lam-viec/lich/")
            page.locator("details.menu summary").click()
            link = page.locator('a[data-nav="notifications"]')
            expect(link.locator(".nav-badge")).to_have_attribute("data-unread", "2")
            link.click()
            expect(page.locator("h1")).to_have_text("Thông báo")
            items = page.locator("li.notification.unread")
            expect(items).to_have_count(2)
            assert page.evaluate(FITS), "the inbox scrolls sideways on a 360 px phone"
            page.screenshot(path=str(ARTIFACTS / "notifications-inbox-phone.png"), full_page=True)
            # mark the transfer read
            page.locator("li.notification", has_text="Đơn chuyển đến").get_by_role(
                "button", name="Đánh dấu đã đọc").click()
            expect(page.locator("li.notification.unread")).to_have_count(1)
            # open the overdue alert: its case page
            page.locator("li.notification.unread .n-title a").click()
            page.wait_for_url(f"**/lam-viec/vu-viec/{case.public_id}/")
            page.goto(base + "/thong-bao/")
            expect(page.locator("li.notification.unread")).to_have_count(0)
            expect(page.locator(".nav-badge")).to_have_count(0)
            # a new one, then "mark all read"
            in_thread(lambda: services.notify(officer, "task.overdue", case, title="Nhiệm vụ quá hạn", key="task"))
            page.reload()
            expect(page.locator('a[data-nav="notifications"] .nav-badge')).to_have_attribute("data-unread", "1")
            page.get_by_role("button", name="Đánh dấu tất cả là đã đọc").click()
            expect(page.locator("li.notification.unread")).to_have_count(0)
            page.goto(base + "/thong-bao/cai-dat/")
            assert page.evaluate(FITS), "the preferences page scrolls sideways on a 360 px phone"
            page.screenshot(path=str(ARTIFACTS / "notifications-preferences-phone.png"), full_page=True)
            context.close()
        finally:
            browser.close()
