"""Oversight: the report periods, the figures of an office tree (API and dashboard page), who may see them,
the public results of complaint resolution (never a denunciation), and the dashboard in Chromium."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.services import set_identity_document
from cases import services as case_services
from minutes import services as minutes_services
from oversight import periods, services
from scheduling.services import registrations
from sessions import services as session_services
from tests.cases_helpers import COMPLAINT, DENOUNCER, SECRET, login, make_case
from tests.scheduling_helpers import future_session

STATS = "/api/oversight/stats/"
DENUNCIATION_DECISION = "KL-TOCAO-777/KL-UBND"
COMPLAINT_DECISION = "15/QĐ-UBND"


# --- periods --------------------------------------------------------------------------------------------


def test_report_periods_follow_the_circular_cut_offs():
    q1 = periods.period("q1", 2026)
    assert (q1.start, q1.end, q1.key) == (date(2025, 12, 15), date(2026, 3, 14), "q1-2026")
    assert (periods.period("q2", 2026).start, periods.period("q2", 2026).end) == (date(2026, 3, 15), date(2026, 6, 14))
    assert (periods.period("q4", 2026).start, periods.period("q4", 2026).end) == (date(2026, 9, 15), date(2026, 12, 14))
    assert (periods.period("6m", 2026).start, periods.period("6m", 2026).end) == (date(2025, 12, 15), date(2026, 6, 14))
    assert (periods.period("9m", 2026).start, periods.period("9m", 2026).end) == (date(2025, 12, 15), date(2026, 9, 14))
    assert (periods.period("year", 2026).start, periods.period("year", 2026).end) == (date(2025, 12, 15),
                                                                                       date(2026, 12, 14))
    assert [p.key for p in periods.periods_of(2026)] == ["q1-2026", "q2-2026", "q3-2026", "q4-2026", "6m-2026",
                                                         "9m-2026", "year-2026"]
    assert periods.current(date(2025, 12, 15)).key == "q1-2026"
    assert periods.current(date(2025, 12, 14)).key == "q4-2025"
    assert periods.current(date(2026, 3, 14)).key == "q1-2026"
    assert periods.current(date(2026, 3, 15)).key == "q2-2026"
    assert periods.current(date(2026, 11, 23)).key == "q4-2026"
    assert periods.parse("Q1-2026") == q1 and periods.parse("q5-2026") is None and periods.parse("x") is None
    assert q1.months == 3 and periods.period("year", 2026).months == 12 and periods.period("6m", 2026).months == 6
    assert periods.months_between(date(2026, 1, 1), date(2026, 1, 31)) == 1
    assert periods.required_days(2, q1.months) == 6 and periods.required_days(1, 15 / 31) == 1


# --- a small tree with figures ------------------------------------------------------------------------------


def _add_month(day: date) -> date:
    return periods._add_months(day, 1)


@pytest.fixture
def scene(office_tree, make_user):
    return build_scene(office_tree, make_user)


def build_scene(office_tree, make_user):
    """Province 01 with its communes 011 (A) and 012 (B), and province 02 outside; sessions and cases
    within a one-month window starting today (required: commune 2 days, province 1)."""
    a, b, p = office_tree["commune011"], office_tree["commune012"], office_tree["province01"]
    other_commune = office_tree["commune021"]
    u = {
        "leader_a": make_user(Role.LEADER, a, full_name="Chủ tịch Xã Một"),
        "leader_b": make_user(Role.LEADER, b, full_name="Chủ tịch Xã Hai"),
        "leader_p": make_user(Role.LEADER, p, full_name="Chủ tịch Tỉnh Một"),
        "officer_a": make_user(Role.RECEPTION_OFFICER, a, full_name="Cán bộ Xã Một"),
        "officer_b": make_user(Role.RECEPTION_OFFICER, b, full_name="Cán bộ Xã Hai"),
        "secretary_b": make_user(Role.SECRETARY, b, full_name="Thư ký Xã Hai"),
        "inspector_p": make_user(Role.INSPECTOR, p, full_name="Thanh tra Tỉnh Một"),
        "central_inspector": make_user(Role.INSPECTOR, office_tree["central"], full_name="Thanh tra TW"),
        "other_officer": make_user(Role.RECEPTION_OFFICER, other_commune, full_name="Cán bộ Tỉnh Khác"),
        "other_leader": make_user(Role.LEADER, other_commune, full_name="Chủ tịch Xã Khác"),
    }

    citizen = make_user(full_name="Công Dân Đến Tiếp")
    set_identity_document(citizen, "cccd", "001085001234")
    attended = []

    def held(office, host, days, hour=8, close=True, kind="periodic", register=False):
        session = future_session(office, host=host, kind=kind, days_ahead=days, start_hour=hour)
        if register:  # a citizen registered, then attended (no minutes)
            attended.append(registrations.register(citizen=citizen, slot_id=session.slots.first().pk,
                                                   matter_kind="petition", matter_summary="Kiến nghị sửa đường"))
        session_services.open_session(session, host, now=session.starts_at)
        for registration in attended if register else []:
            registrations.mark_attended(registration, host)
        if close:
            session_services.close_session(session, host)
        session.refresh_from_db()
        return session

    held(a, u["leader_a"], 6, 8, register=True)
    held(a, u["leader_a"], 6, 14)  # the same day: still one day
    held(a, u["leader_a"], 8)
    b1 = held(b, u["leader_b"], 7)
    regular = future_session(b, host=u["leader_b"], days_ahead=9)
    session_services.cancel(regular, u["officer_b"], reason="Trùng lịch họp")
    held(p, u["leader_p"], 10, close=False)  # open now: counts as held
    held(other_commune, u["other_leader"], 6)  # another province: never counted

    # Receptions: an attended registration (no minutes) and a walk-in section of 3 people.
    minutes = minutes_services.open_minutes(b1, u["secretary_b"])
    minutes_services.add_section(minutes, u["secretary_b"], citizen_name="Người Đến Trực Tiếp", kind="complaint",
                                 people_count=3)

    # Cases received today (in the window) …
    c1 = make_case(a, by=u["officer_a"], kind="complaint", field="land")
    for step in ("classify", "accept"):
        c1 = case_services.transition(c1, u["officer_a"], step)
    c1 = case_services.conclude(c1, u["leader_a"], document_number=COMPLAINT_DECISION)
    c2 = make_case(a, by=u["officer_a"], kind="denunciation")
    for step in ("classify", "accept"):
        c2 = case_services.transition(c2, u["officer_a"], step)
    c2 = case_services.conclude(c2, u["leader_a"], document_number=DENUNCIATION_DECISION)
    make_case(b, by=u["officer_b"], kind="petition", people_count=12)  # group
    c4 = make_case(b, by=u["officer_b"], kind="complaint")
    c4 = case_services.transition(c4, u["officer_b"], "classify")
    case_services.transfer(c4, u["officer_b"], target_office=a, document_number="CV-12/UBND")
    make_case(a, by=u["officer_a"], kind="complaint", previous_case=c1)  # repeated
    # … one received long ago, still open: overdue now, outside the window; and one in another province.
    make_case(b, by=u["officer_b"], kind="report", people_count=6, received_on=timezone.localdate() - timedelta(days=60))
    c_other = make_case(other_commune, by=u["other_officer"], kind="complaint", field="justice")
    for step in ("classify", "accept"):
        c_other = case_services.transition(c_other, u["other_officer"], step)
    c_other = case_services.conclude(c_other, u["other_leader"], document_number="99/QĐ-KHAC")
    today = timezone.localdate()
    return {**u, "office_tree": office_tree, "c1": c1, "c2": c2, "c_other": c_other,
            "from": today, "to": _add_month(today) - timedelta(days=1)}


def _query(scene, office="T01"):
    return {"office": office, "from": scene["from"].isoformat(), "to": scene["to"].isoformat()}


@pytest.mark.django_db
def test_the_api_rolls_up_the_province_and_breaks_it_down_by_commune(scene):
    response = login(scene["inspector_p"]).get(STATS, _query(scene))
    assert response.status_code == 200, response.content
    data = response.json()
    totals = data["totals"]
    assert data["office"]["code"] == "T01" and [c["code"] for c in data["breadcrumb"]] == ["TW", "T01"]
    assert data["period"]["months"] == 1

    assert totals["sessions"]["total"] == 6
    assert totals["sessions"]["by_kind"] == {"periodic": 5, "adhoc": 0, "regular": 1}
    assert totals["sessions"]["by_status"]["held"] == 4 and totals["sessions"]["by_status"]["open"] == 1
    assert totals["sessions"]["by_status"]["cancelled"] == 1
    assert totals["reception_days"] == {"leaders": 3, "required": 5, "held": 4, "below_minimum": 1}
    leaders = {row["name"]: row for row in data["leaders"]}
    assert (leaders["Chủ tịch Xã Một"]["held"], leaders["Chủ tịch Xã Một"]["required"]) == (2, 2)
    assert leaders["Chủ tịch Xã Hai"]["below_minimum"] and (leaders["Chủ tịch Xã Hai"]["held"],
                                                            leaders["Chủ tịch Xã Hai"]["required"]) == (1, 2)
    assert (leaders["Chủ tịch Tỉnh Một"]["held"], leaders["Chủ tịch Tỉnh Một"]["required"]) == (1, 1)
    assert "Chủ tịch Xã Khác" not in leaders
    assert totals["receptions"] == {"count": 2, "people": 4}

    cases = totals["cases"]
    assert cases["received"] == 6
    assert cases["by_kind"] == {"complaint": 4, "denunciation": 1, "petition": 1, "report": 0}
    assert cases["by_state"]["concluded"] == 2 and cases["by_state"]["received"] == 3
    assert cases["by_state"]["transferred"] == 1
    assert (cases["group"], cases["repeated"], cases["transferred_in"], cases["transferred_out"]) == (1, 1, 1, 1)
    assert totals["current"] == {"open": 4, "overdue": 1, "overdue_group": 1}
    assert data["case_matrix"]["complaint"]["concluded"] == 1 and data["case_matrix"]["denunciation"]["concluded"] == 1

    children = {c["code"]: c["counters"] for c in data["children"]}
    assert list(children) == ["X01001", "X01002"]
    assert children["X01001"]["cases"]["received"] == 4 and children["X01002"]["cases"]["received"] == 2
    assert children["X01002"]["current"]["overdue"] == 1 and children["X01001"]["current"]["overdue"] == 0
    assert children["X01001"]["reception_days"] == {"leaders": 1, "required": 2, "held": 2, "below_minimum": 0}
    assert children["X01002"]["reception_days"]["below_minimum"] == 1
    assert data["own"]["reception_days"] == {"leaders": 1, "required": 1, "held": 1, "below_minimum": 0}
    assert data["own"]["sessions"]["by_status"]["open"] == 1
    # Counts only: no summary, no party, no document number of anything.
    body = response.content.decode()
    for secret in (SECRET, DENOUNCER["full_name"], COMPLAINT, DENUNCIATION_DECISION, scene["c2"].number):
        assert secret not in body

    # The central inspectorate sees the same province as one child of the centre.
    central = login(scene["central_inspector"]).get(STATS, _query(scene, "TW")).json()
    by_code = {c["code"]: c["counters"] for c in central["children"]}
    assert by_code["T01"]["cases"]["received"] == 6 and by_code["T02"]["cases"]["received"] == 1
    assert central["totals"]["cases"]["received"] == 7


@pytest.mark.django_db
def test_the_figures_take_few_queries(scene):
    period = periods.Period("", scene["from"], scene["to"])
    with CaptureQueriesContext(connection) as queries:
        services.office_stats(scene["office_tree"]["province01"], period)
    # children, sessions, leaders (grouped), receptions ×2, cases, current cases, matrix, leader rows
    print("oversight queries:", len(queries.captured_queries))
    assert len(queries.captured_queries) <= 10, [q["sql"][:120] for q in queries.captured_queries]


@pytest.mark.django_db
def test_who_may_see_the_figures(scene, client):
    query = _query(scene)
    assert login(scene["central_inspector"]).get(STATS, query).status_code == 200
    assert login(scene["inspector_p"]).get(STATS, _query(scene, "X01001")).status_code == 200
    assert login(scene["inspector_p"]).get(STATS, _query(scene, "T02")).json()["error"]["type"] == "forbidden"
    assert login(scene["leader_a"]).get(STATS, _query(scene, "X01001")).status_code == 200
    assert login(scene["leader_a"]).get(STATS, query).status_code == 403  # a commune leader, not the province
    assert login(scene["officer_a"]).get(STATS, _query(scene, "X01001")).status_code == 403  # not an overseer
    assert login(scene["other_officer"]).get(STATS, query).status_code == 403
    assert login(scene["other_officer"]).get(STATS).status_code == 403
    assert login(scene["inspector_p"]).get(STATS, {"office": "NOPE"}).status_code == 404
    bad = login(scene["inspector_p"]).get(STATS, {"office": "T01", "from": "2026-03-01"}).json()["error"]
    assert bad["type"] == "required" and "to" in bad["fields"]
    assert login(scene["inspector_p"]).get(STATS, {"period": "q9-2026"}).json()["error"]["fields"].keys() == {"period"}
    # Default: the user's highest office and the current report period.
    default = login(scene["inspector_p"]).get(STATS).json()
    assert default["office"]["code"] == "T01"
    assert default["period"]["key"] == periods.current(timezone.localdate()).key
    assert client.get(STATS).status_code == 403  # anonymous
    listed = login(scene["inspector_p"]).get("/api/oversight/periods/", {"year": 2026}).json()
    assert listed["periods"][0] == {"key": "q1-2026", "label": "Quý I năm 2026", "from": "2025-12-15",
                                    "to": "2026-03-14", "months": 3.0}

    page = reverse("frontend:oversight")
    response = client.get(page)
    assert response.status_code == 302 and "dang-nhap" in response["Location"]
    client.force_login(scene["other_officer"], backend="accounts.backends.PhoneOrEmailBackend")
    assert client.get(page, {"office": "T01"}).status_code == 403
    assert client.get(page).status_code == 403


@pytest.mark.django_db
def test_the_dashboard_page_shows_every_number_and_drills_down(scene, client):
    client.force_login(scene["inspector_p"], backend="accounts.backends.PhoneOrEmailBackend")
    page = reverse("frontend:oversight")
    response = client.get(page, _query(scene))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Giám sát tiếp công dân" in html and "Office T01" in html
    # The breadcrumb: the centre is shown but not linked (not overseen); the province is the current page.
    assert '<span>Office TW</span>' in html and '<span aria-current="page">Office T01</span>' in html
    # Each commune is linked for the drill-down, with the same period.
    f, t = scene["from"].isoformat(), scene["to"].isoformat()
    assert f'href="?office=X01001&amp;from={f}&amp;to={t}"' in html and "Office X01002" in html
    # Leaders with held / required, flagged in text (not colour only).
    assert "Chủ tịch Xã Hai" in html and "Chưa đạt" in html and "Đạt" in html
    assert "4 / 5" in html  # reception days held / required
    # The overdue count links to the case inbox.
    assert "/lam-viec/vu-viec/?overdue=1&amp;office=X01002" in html
    assert "/lam-viec/vu-viec/?overdue=1&amp;office=T01" in html
    # Chart data come from the API; the vendored library is loaded.
    assert f"/api/oversight/stats/?office=T01&amp;from={f}&amp;to={t}" in html
    assert "vendor/chart.umd.min.js" in html and "oversight.js" in html and "oversight.css" in html
    for secret in (SECRET, DENOUNCER["full_name"], DENUNCIATION_DECISION, scene["c2"].number):
        assert secret not in html

    # Drill down to a commune: its own figures, the province linked in the breadcrumb, no children.
    html = client.get(page, _query(scene, "X01001")).content.decode()
    assert f'href="?office=T01&amp;from={f}&amp;to={t}">Office T01</a>' in html
    assert "Cơ quan này không có cơ quan trực thuộc." in html and "Chủ tịch Xã Một" in html
    assert "Chủ tịch Xã Hai" not in html

    # A named period and a broken range (shown on the field, the current period is used instead).
    assert "Quý I năm 2026" in client.get(page, {"office": "T01", "period": "q1-2026"}).content.decode()
    html = client.get(page, {"office": "T01", "period": "q2-2026", "from": "2026-03-01"}).content.decode()
    assert "Quý II năm 2026" in html and 'role="alert"' not in html  # a named period wins over stray dates
    html = client.get(page, {"office": "T01", "from": "2026-03-01"}).content.decode()
    assert 'role="alert"' in html and 'id="id_to_error"' in html and 'aria-describedby="id_to_error"' in html


@pytest.mark.django_db
def test_public_results_list_concluded_complaints_and_never_a_denunciation(scene, client):
    url = reverse("frontend:public-results")
    response = client.get(url)  # no login
    assert response.status_code == 200
    html = response.content.decode()
    assert scene["c1"].number in html and COMPLAINT_DECISION in html and "Đất đai" in html
    assert scene["c_other"].number in html
    for secret in (scene["c2"].number, DENUNCIATION_DECISION, SECRET, DENOUNCER["full_name"], COMPLAINT,
                   "Nguyễn Văn Công"):
        assert secret not in html
    # Filters: the province narrows the list and offers its communes.
    html = client.get(url, {"province": "T01"}).content.decode()
    assert scene["c1"].number in html and scene["c_other"].number not in html
    assert '<option value="X01001">Office X01001</option>' in html
    html = client.get(url, {"province": "T01", "commune": "X01002"}).content.decode()
    assert scene["c1"].number not in html and "Chưa có kết quả" in html
    assert client.get(url, {"province": "T01", "commune": "X01001"}).content.decode().count(scene["c1"].number) == 1


@pytest.mark.django_db
def test_public_results_are_paginated(office_tree, make_user):
    officer = make_user(Role.RECEPTION_OFFICER, office_tree["commune011"])
    for n in range(22):
        case = make_case(office_tree["commune011"], by=officer, kind="complaint")
        for step in ("classify", "accept"):
            case = case_services.transition(case, officer, step)
        case_services.conclude(case, officer, document_number=f"{n}/QĐ")
    from django.test import Client

    html = Client().get(reverse("frontend:public-results")).content.decode()
    assert "22 vụ việc khiếu nại đã có kết luận" in html and "1 / 2" in html and "?page=2" in html
    assert html.count('class="result-card"') == 20


# --- Chromium ------------------------------------------------------------------------------------------------

AXE = __import__("pathlib").Path(__file__).resolve().parent / "assets" / "axe.min.js"
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => v.id + ": " + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "));
}"""


async def serious_axe_violations(page) -> list[str]:
    if not AXE.exists():  # axe-core ships with the accessibility tests
        return []
    await page.add_script_tag(path=str(AXE))
    return await page.evaluate(RUN_AXE)


CANVAS_DRAWN = """(selector) => {
  const canvas = document.querySelector(selector);
  if (!canvas) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) painted++; }
  return painted;
}"""


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_chromium_inspector_sees_charts_and_drills_down(office_tree, make_user, tmp_path, settings):
    from tests.processes import daphne
    from tests.test_room_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromium_or_skip
    from tests.test_room_integration import login_cookie, room_env, use_layer

    chromium_or_skip()
    from playwright.async_api import async_playwright

    data = build_scene(office_tree, make_user)
    env = room_env(tmp_path)
    use_layer(settings, env["REDIS_URL"], env["CHANNEL_LAYER_PREFIX"])
    ARTIFACTS.mkdir(exist_ok=True)
    url = reverse("frontend:oversight") + f"?office=T01&from={data['from'].isoformat()}&to={data['to'].isoformat()}"
    with daphne(env, tmp_path / "daphne.log") as base:
        cookie = login_cookie(base, data["inspector_p"].username).split("=", 1)[1]

        async def scenario():
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    for name, width, height in (("desktop", 1280, 900), ("phone", 360, 740)):
                        context = await browser.new_context(viewport={"width": width, "height": height})
                        await context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
                        page = await context.new_page()
                        await page.goto(base + url)
                        await page.wait_for_function("document.documentElement.dataset.charts === 'ready'",
                                                     timeout=15000)
                        for chart in ("leaders", "cases", "watch"):
                            selector = f'figure[data-chart="{chart}"] canvas'
                            assert await page.evaluate(CANVAS_DRAWN, selector) > 100, chart
                        assert await page.locator('figure[data-chart="leaders"] canvas').get_attribute("role") == "img"
                        assert await serious_axe_violations(page) == [], name
                        # Nothing spills sideways (wide tables scroll inside their own region).
                        assert await page.evaluate("document.documentElement.scrollWidth") <= width
                        await page.screenshot(path=str(ARTIFACTS / f"oversight-{name}.png"), full_page=True)
                        if name == "desktop":
                            await page.get_by_role("link", name="Office X01001").click()
                            await page.wait_for_url("**office=X01001**")
                            assert "Chủ tịch Xã Một" in await page.locator("#leaders-table").inner_text()
                            await page.wait_for_function("document.documentElement.dataset.charts === 'ready'")
                            assert await page.evaluate(CANVAS_DRAWN, 'figure[data-chart="cases"] canvas') > 100
                            await page.screenshot(path=str(ARTIFACTS / "oversight-commune-desktop.png"),
                                                  full_page=True)
                        await context.close()
                    context = await browser.new_context(viewport={"width": 360, "height": 740})
                    page = await context.new_page()
                    await page.goto(base + reverse("frontend:public-results") + "?province=T01")
                    assert data["c1"].number in await page.content()
                    assert await serious_axe_violations(page) == []
                    await page.screenshot(path=str(ARTIFACTS / "public-results-phone.png"), full_page=True)
                    await context.close()
                finally:
                    await browser.close()

        asyncio.run(scenario())
