"""Issue 16 journey in Chromium, on pages only: a letter from the press is registered with its scan, the head
assigns a handler and gives a plan task, the task goes overdue (time passes; the daily beat function runs),
the officer gets the alert by SMS and in his inbox, and the case page shows the overdue mark, the task is reported
done, the case is classified, accepted and concluded, and the execution of the decision is followed to the
end. Screenshots at a phone width in test-artifacts/issue16-*.png."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from cases.models import Case
from followup.models import CaseTask, ExecutionRecord
from followup.services import check_followups
from notifications import sms
from notifications.models import Notification
from notifications.services import send_pending
from tests.processes import daphne
from tests.test_accessibility import BLOCKING, run_axe
from tests.test_room_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromium_or_skip
from tests.test_room_integration import login_cookie, room_env, use_layer

PHONE = {"width": 360, "height": 740}
FITS = "() => document.scrollingElement.scrollWidth <= window.innerWidth + 1"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_letter_from_the_press_to_the_end_of_execution(office_tree, make_user, tmp_path, settings, monkeypatch):
    chromium_or_skip()
    # The test reads the database between page steps, inside Playwright's sync API (which runs an event loop
    # in this thread): the ORM calls are plain blocking reads, nothing async shares them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    commune = office_tree["commune011"]
    leader = make_user(Role.LEADER, commune, full_name="Chủ tịch Xã")
    officer = make_user(Role.RECEPTION_OFFICER, commune, full_name="Cán bộ Tiếp", phone="0912000161")
    inspector = make_user(Role.INSPECTOR, office_tree["province01"], full_name="Thanh tra Tỉnh")
    today = timezone.localdate()
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    ARTIFACTS.mkdir(exist_ok=True)
    too_wide, blocking = [], []
    with daphne(env, tmp_path / "daphne.log") as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            def page_for(user):
                context = browser.new_context(viewport=PHONE, accept_downloads=True)
                cookie = login_cookie(base, user.username).split("=", 1)[1]
                context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
                return context.new_page()

            def shot(page, name):
                if not page.evaluate(FITS):
                    too_wide.append(name)
                blocking.extend(f"{name}: {v['impact']} {v['id']} {v['nodes']}" for v in run_axe(page)
                                if v["impact"] in BLOCKING)
                page.screenshot(path=str(ARTIFACTS / f"issue16-{name}.png"), full_page=True)

            def submit(page, key):
                page.click(f'form:has(input[name=form][value="{key}"]) button[type=submit]')
                page.wait_for_load_state()

            # 1. The officer registers a letter forwarded by the press, with its scan.
            page = page_for(officer)
            page.goto(base + "/lam-viec/vu-viec/")
            page.click("#letter-new-link")
            page.select_option("#id_source", "press")
            page.fill("#id_sender_body", "Báo Tuổi Trẻ")
            page.fill("#id_their_number", "88/TTr-BĐ")
            page.fill("#id_their_date", (today - timedelta(days=3)).isoformat())
            page.select_option("#id_kind", "complaint")
            page.select_option("#id_field", "land")
            page.fill("#id_summary", "Phản ánh qua báo: khiếu nại việc thu hồi đất chưa bồi thường thỏa đáng.")
            page.fill("#id_full_name", "Phạm Văn Năm")
            page.fill("#id_address", "Thôn 5")
            page.set_input_files("#id_scan", files=[{"name": "don.pdf", "mimeType": "application/pdf",
                                                    "buffer": PDF}])
            shot(page, "letter-new")
            submit(page, "letter")
            page.wait_for_selector("#letter-source")
            assert "báo chí" in page.inner_text("#letter-source")
            case = Case.objects.get()
            assert case.letter.their_number == "88/TTr-BĐ" and case.documents.count() == 1
            page.context.close()

            # 2. The head assigns the handler and gives a plan task due today.
            page = page_for(leader)
            page.goto(base + f"/lam-viec/vu-viec/{case.public_id}/")
            page.click("#assign summary")
            page.select_option("#id_assign-handler", str(officer.pk))
            submit(page, "assign")
            page.click('a[data-link="case-followup"]')
            page.click("#plan details summary")
            page.fill("#id_task-content", "Xác minh hiện trạng thửa đất, làm việc với cán bộ địa chính")
            page.select_option("#id_task-responsible_user", str(officer.pk))
            page.fill("#id_task-deadline", today.isoformat())
            page.fill("#id_task-expected_result", "Biên bản xác minh")
            submit(page, "task")
            page.wait_for_selector("#plan .task")
            shot(page, "plan")
            page.context.close()
            task = CaseTask.objects.get(case=case)
            assert task.responsible_user == officer

            # 3. Time passes: the task's deadline is yesterday; the daily beat function runs (twice: idempotent).
            CaseTask.objects.filter(pk=task.pk).update(deadline=today - timedelta(days=1))
            first, second = check_followups(), check_followups()
            assert first["tasks"] >= 2 and second["tasks"] == 0
            alert = Notification.objects.get(kind="task.overdue", recipient=officer)
            assert case.number in alert.title and "thửa đất" not in alert.body
            # ... and on his phone: overdue alerts go by SMS by default; the beat sweep sends what the worker has
            # not (no Celery worker in this test), once.
            send_pending(), send_pending()
            texts = [m for m in sms.outbox if m.to == officer.phone]
            assert len(texts) == 1 and case.number in texts[0].body and "thửa đất" not in texts[0].body

            # 4. The officer sees the alert in his inbox (the badge in the menu leads there), opens it, lands on
            # the case, sees the overdue mark, and reports the task done.
            page = page_for(officer)
            page.goto(base + "/lam-viec/lich/")
            page.click("details:has(a[data-nav='notifications']) > summary")  # the ☰ menu of a phone
            assert page.locator("a[data-nav='notifications'] .nav-badge").get_attribute("data-unread") != "0"
            page.click("a[data-nav='notifications']")
            item = page.locator(f"#n{alert.pk}")
            assert item.get_attribute("data-kind") == "task.overdue" and "unread" in item.get_attribute("class")
            shot(page, "inbox")
            item.locator(".n-title a").click()
            page.wait_for_load_state()
            assert Notification.objects.get(pk=alert.pk).read_at is not None
            page.goto(base + "/lam-viec/vu-viec/")
            assert "quá hạn" in page.inner_text(".flag-tasks-overdue")
            page.goto(base + f"/lam-viec/vu-viec/{case.public_id}/")
            assert "quá hạn" in page.inner_text("#tasks-overdue")
            shot(page, "case-overdue")
            page.click('a[data-link="case-followup"]')
            page.click(f"#task-{task.pk} details summary")
            page.fill(f"#id_report-{task.pk}-text", "Đã xác minh, lập biên bản ngày hôm nay.")
            page.select_option(f"#id_report-{task.pk}-outcome", "done")
            submit(page, f"report-{task.pk}")
            assert "Đã hoàn thành" in page.inner_text(f"#task-{task.pk} .task-state")
            page.goto(base + f"/lam-viec/vu-viec/{case.public_id}/")
            assert page.locator("#tasks-overdue").count() == 0

            # 5. The case is classified, accepted and concluded on its page.
            for action, fill in (("classify", {}), ("accept", {"#id_accept-document_number": "12/TB-TL"}),
                                 ("conclude", {"#id_conclude-document_number": "25/QĐ-GQKN"})):
                page.click(f"#move-{action} summary")
                for selector, value in fill.items():
                    page.fill(selector, value)
                submit(page, f"move-{action}")
            case.refresh_from_db()
            assert case.state == "concluded" and case.conclusion_document_number == "25/QĐ-GQKN"

            # 6. The execution of the decision is followed to the end.
            page.click('a[data-link="case-followup"]')
            page.click("#execution details summary")
            page.fill("#id_execution-task-content", "Chi trả tiền bồi thường bổ sung")
            page.fill("#id_execution-task-responsible_text", "UBND xã, bộ phận tài chính")
            page.fill("#id_execution-task-deadline", (today + timedelta(days=30)).isoformat())
            submit(page, "execution-task")
            execution_task = CaseTask.objects.get(case=case, purpose="execution")
            page.click(f"#task-{execution_task.pk} details summary")
            page.fill(f"#id_report-{execution_task.pk}-text", "Đã chi trả đủ.")
            page.select_option(f"#id_report-{execution_task.pk}-outcome", "done")
            submit(page, f"report-{execution_task.pk}")
            page.locator("#execution details").last.locator("summary").click()
            page.select_option("#id_execution-close-outcome", "executed")
            submit(page, "execution-close")
            assert "Đã thi hành xong" in page.inner_text("#execution-state")
            shot(page, "execution-done")
            page.context.close()
            assert ExecutionRecord.objects.get(case=case).outcome == "executed"

            # 7. The inspector of the province sees the plan's state (read only).
            page = page_for(inspector)
            page.goto(base + "/lam-viec/ke-hoach/")
            assert case.number in page.inner_text("main")
            page.goto(base + f"/lam-viec/vu-viec/{case.public_id}/theo-doi/")
            assert "1 nhiệm vụ: 1 hoàn thành" in page.inner_text("#plan-state")
            assert page.locator("form[method=post]").count() == 0 or page.locator(
                'form input[name=form]').count() == 0
            shot(page, "inspector-plan")
            page.context.close()
        finally:
            browser.close()
    assert not too_wide, f"pages scrolling sideways on a 360 px phone: {too_wide}"
    assert not blocking, "serious or critical axe violations:\n" + "\n".join(blocking)
