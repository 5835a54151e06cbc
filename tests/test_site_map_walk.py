"""The site map walked as each demo role (issue 17): from the role's pages in tests/site_map.py, every link
a page shows is followed (same origin, GET only, bounded) with Django's test client, signed in as that
role. The walk fails on any 4xx/5xx reached by such a link, and on English words on a Vietnamese page.

**The English heuristic** (documented in docs/frontend.md): the page's visible text — without <script>,
<style>, <code>, <pre>, <kbd>, <textarea> and anything marked ``translate="no"`` or with another ``lang``
(that is: data and code) — is split into words; a page fails if it contains a word from ``ENGLISH`` (common
English interface words that are never Vietnamese syllables: "the", "and", "please", "save", "delete",
"search", "password", "error"…). Technical names used in Vietnamese too (PDF, DOCX, Excel, SHA-256, RRULE,
iCal, IP) are not in the list. The words of the project's model field and class names ("created", "at",
"target", "type"…) count as English too: a field without a Vietnamese ``verbose_name`` shows its English name
as its label.

**The admin** is checked like every other page, outside its data (``Page(admin=True)``): the rows of a change
list, the cells of an inline's rows, a read-only field's value, the objects offered by a relation's select,
the object chosen in a raw-id field, the choices of a filter, the object's name in the breadcrumbs and the
subtitle, ``<bdi>`` values and the ``<title>`` (it repeats the heading and the object's name). Column
headers, field labels, help texts, filter titles, fieldset and inline headings, actions and buttons are
checked. Besides the pages the roles reach, ``walk_admin`` visits, as the superuser, every page the admin
index links (app pages, change lists, add forms) and, from each change list, its first object's change
form."""

from __future__ import annotations

import functools
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.utils import translation

from tests.site_map import LOGINS, PAGES, build_demo_site
from tests.test_room_integration import PASSWORD

MAX_PAGES_PER_ROLE = 150
MAX_VARIANTS_PER_PATH = 3  # ?page=2, ?period=…: a few query variants of one path, not all of them
ADMIN_DEPTH = 1  # from /admin/: its change lists, not every sort, filter and object
SKIP = ("/dang-xuat/", "/admin/logout/", "/static/", "/media/", "/api/schema", "/api/docs", "/api/redoc")

ENGLISH = frozenset("""
the and of please click save delete cancel search submit password username error required view edit add
change history filter select none status session sessions page next previous logout login sign account
user users show hide yes field this with for you your are not found loading back menu open close room case
cases office offices minutes schedule today tomorrow week month year from download upload file files new
create update remove send message messages enter leave join waiting wait lobby host guest help home print
report reports dashboard details detail more less all any other total date time name title description
""".split())
WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
IGNORED_TAGS = {"script", "style", "code", "pre", "kbd", "textarea", "template", "noscript", "svg"}
PROJECT_APPS = ("accounts", "audit", "cases", "core", "documents", "followup", "frontend", "media", "minutes",
                "notifications", "offices", "oversight", "reports", "scheduling", "sessions", "signaling",
                "workdays")
# Words of field names that Vietnamese pages may show: a Vietnamese syllable ("to"), technical names used in
# Vietnamese too (ID, IP, SHA-256, RRULE, UID), and short words other names of the list already cover.
FIELD_NAME_WORDS_ALLOWED = {"to", "id", "ip", "sha", "rrule", "uid", "is", "on", "up"}


def project_models():
    return [model for config in apps.get_app_configs() if config.name.split(".")[0] in PROJECT_APPS
            for model in config.get_models()]


def project_fields(model):
    """The model's own fields as the admin shows them: concrete ones and many-to-many, inherited included."""
    return [f for f in model._meta.get_fields() if (f.concrete or f.many_to_many) and not f.auto_created]


@functools.cache
def field_name_words() -> frozenset[str]:
    """The words of the project's model field names and class names ("created_at", "CaseTransition"): the
    English label Django derives for a field or model without a ``verbose_name``."""
    words: set[str] = set()
    for model in project_models():
        words.update(WORD.findall(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", model.__name__)))
        for field in project_fields(model):
            words.update(WORD.findall(field.name))
    return frozenset(w.lower() for w in words if len(w) > 1) - FIELD_NAME_WORDS_ALLOWED


def is_english(word: str) -> bool:
    return word.lower() in ENGLISH or word.lower() in field_name_words()


class Page(HTMLParser):
    """The links (<a href>) and the visible interface text of an HTML page. With ``admin``, the Django admin's
    data are left out too (see the module's docstring)."""

    def __init__(self, admin: bool = False):
        super().__init__(convert_charrefs=True)
        self.admin = admin
        self.links: list[str] = []
        self.words: list[str] = []
        self.lang = ""
        self._stack: list[tuple[str, bool, dict]] = []  # (tag, ignored, attributes)

    def _ignored(self) -> bool:
        return bool(self._stack) and self._stack[-1][1]

    def _inside(self, tag: str, css_class: str | None = None, attribute: str | None = None) -> bool:
        return any(t == tag and (css_class is None or css_class in (a.get("class") or "").split())
                   and (attribute is None or attribute in a) for t, _ignored, a in self._stack)

    def _admin_data(self, tag: str, attrs: dict) -> bool:
        """Data, not interface, on a page of the Django admin."""
        classes = (attrs.get("class") or "").split()
        parent = self._stack[-1] if self._stack else ("", False, {})
        return (
            tag in {"title", "bdi"}  # the heading and the object's name again; a value (the password's hash)
            or (tag in {"td", "th"} and any(c.startswith("field-") for c in classes))  # a row's cell
            or (tag == "td" and "original" in classes)  # an inline row's object
            or (tag == "div" and "readonly" in classes)  # a read-only field's value
            or (tag == "select" and self._inside("div", css_class="related-widget-wrapper"))  # objects
            or (tag == "strong" and parent[2].get("raw-id"))  # the object chosen in a raw-id field
            or (tag == "li" and self._inside("details", attribute="data-filter-title"))  # a filter's choices
            or (tag == "h2" and parent[0] == "div" and parent[2].get("id") == "content")  # the object's name
        )

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang", "")
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "input" and attrs.get("type") in {"submit", "button", "reset"} and not self._ignored():
            self.words.extend(WORD.findall(attrs.get("value") or ""))  # a button's text
        if tag == "input" and self._stack and "RawIdAdminField" in (attrs.get("class") or ""):
            self._stack[-1][2]["raw-id"] = True  # its <strong> sibling names the chosen object
        if tag in {"br", "img", "input", "meta", "link", "hr", "source", "wbr", "col", "area", "base", "track"}:
            return
        ignored = (self._ignored() or tag in IGNORED_TAGS or attrs.get("translate") == "no"
                   or (attrs.get("lang") not in (None, "", "vi") and tag != "html") or "hidden" in attrs
                   or (self.admin and self._admin_data(tag, attrs)))
        self._stack.append((tag, ignored, attrs))

    def handle_endtag(self, tag):
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data):
        if self._ignored():
            return
        if self.admin and self._stack and "breadcrumbs" in (self._stack[-1][2].get("class") or "").split():
            return  # the breadcrumbs' last step, not a link: the object's name on a change form
        self.words.extend(WORD.findall(data))


def english_words(page: Page) -> list[str]:
    return sorted({w for w in page.words if is_english(w)})


def walk(client: Client, starts: list[str]) -> tuple[list[str], int]:
    """Breadth-first over the links pages show; returns (problems, pages fetched)."""
    problems: list[str] = []
    queue = deque((start, "(start)", 0) for start in starts)
    seen: set[str] = set()
    variants: dict[str, int] = {}
    fetched = 0
    while queue and fetched < MAX_PAGES_PER_ROLE:
        url, source, depth = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        parts = urlsplit(url)
        variants[parts.path] = variants.get(parts.path, 0) + 1
        if variants[parts.path] > MAX_VARIANTS_PER_PATH:
            continue
        response = client.get(url)
        fetched += 1
        if response.status_code in (301, 302):
            target = urljoin(url, response["Location"])
            if urlsplit(target).netloc in ("", "testserver"):
                queue.appendleft((urlsplit(target)._replace(scheme="", netloc="").geturl(), url, depth))
            continue
        if response.status_code >= 400:
            problems.append(f"{url} (linked from {source}): HTTP {response.status_code}")
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue  # a PDF, an XLSX, an iCal feed: its status is what counts
        in_admin = parts.path.startswith("/admin/")
        page = Page(admin=in_admin)
        page.feed(response.content.decode("utf-8", "replace"))
        if page.lang == "vi":
            words = english_words(page)
            if words:
                problems.append(f"{url}: English on a Vietnamese page: {', '.join(words)}")
        if in_admin and depth >= ADMIN_DEPTH:
            continue
        for href in page.links:
            target, _fragment = urldefrag(urljoin(url, href))
            split = urlsplit(target)
            if split.scheme not in ("", "http") or split.netloc not in ("", "testserver"):
                continue
            local = split._replace(scheme="", netloc="").geturl()
            if not local or any(local.startswith(prefix) for prefix in SKIP) or local.startswith("/en/"):
                continue
            if split.path.startswith("/admin/") and split.query:
                continue
            queue.append((local, url, depth + 1))
    return problems, fetched


ADMIN_SKIP = ("/admin/logout/", "/admin/r/")  # signing out; "view on site" redirects to the public pages
CHANGE_LIST = re.compile(r"^/admin/[a-z_]+/[a-z_]+/$")


def walk_admin(client: Client) -> tuple[list[str], list[str], list[str]]:
    """The admin as the superuser: the index, every admin page it links (app pages, change lists, add forms,
    the password change) and, from each change list, its first object's change form. Returns (problems,
    change lists, change forms fetched)."""
    problems: list[str] = []
    change_lists: list[str] = []
    change_forms: list[str] = []
    queue = deque([("/admin/", "(start)")])
    seen: set[str] = set()
    while queue:
        url, source = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code >= 400:
            problems.append(f"{url} (linked from {source}): HTTP {response.status_code}")
            continue
        page = Page(admin=True)
        page.feed(response.content.decode("utf-8", "replace"))
        words = english_words(page)
        if words:
            problems.append(f"{url}: English in the admin: {', '.join(words)}")
        links = []
        for href in page.links:
            split = urlsplit(urljoin(url, href))
            if split.netloc in ("", "testserver") and split.path.startswith("/admin/") \
                    and not split.path.startswith(ADMIN_SKIP):
                links.append(split.path)
        if url == "/admin/":
            queue.extend((link, url) for link in links)
        elif CHANGE_LIST.match(url):
            change_lists.append(url)
            change_form = re.compile(re.escape(url) + r"[^/]+/change/")
            first = next((link for link in links if change_form.fullmatch(link)), None)
            if first:
                queue.append((first, url))
        elif url.endswith("/change/"):
            change_forms.append(url)
    return problems, change_lists, change_forms


def add_a_row_where_the_admin_has_none(site) -> None:
    """One object for each model of the admin that the demo data leave empty, so that ``walk_admin`` opens a
    change form of every model. Called after the roles' walks: their pages stay those of the demo data."""
    from datetime import date, timedelta

    from axes.models import AccessAttempt, AccessFailureLog
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from cases.models import Case, CaseAlert
    from media.models import Recording
    from notifications.models import Delivery, Notification
    from offices.models import Office, OfficeNotice
    from reports.models import Report, ReportVersion
    from scheduling.models import LeaderEngagement
    from sessions.models import ReceptionSession
    from workdays.models import CalendarOverride

    now, today = timezone.now(), timezone.localdate()
    officer, leader = site.users["officer"], site.users["leader"]
    commune = Office.objects.get(code="X00004")
    session = ReceptionSession.objects.get(public_id=site.session)
    OfficeNotice.objects.create(office=commune, author=officer, text="Điểm cầu tỉnh đã kết nối.")
    report = Report.objects.create(office=commune, kind="periodic", period_key="2026-Q1",
                                   period_start=date(2025, 12, 15), period_end=date(2026, 3, 14),
                                   deadline=date(2026, 3, 20))
    ReportVersion.objects.create(report=report, ordinal=1, snapshot={}, sha256="0" * 64, submitted_by=leader,
                                 submitted_at=now)
    Recording.objects.create(session=session, participant="u1", user=leader, role="host",
                             file="recordings/u1.webm", started_at=now, stopped_at=now, duration_seconds=0,
                             size_bytes=0, sha256="0" * 64)
    LeaderEngagement.objects.create(leader=leader, title="Họp giao ban", starts_at=now + timedelta(days=60),
                                    ends_at=now + timedelta(days=60, hours=1))
    CalendarOverride.objects.create(date=date(today.year + 3, 1, 2), kind="day_off", reason="Nghỉ bù")
    notification = Notification.objects.create(recipient=officer, kind="case.deadline", title="Sắp đến hạn",
                                               dedupe_key="walk-admin")
    Delivery.objects.create(key="walk-admin", user=officer, notification=notification, channel="sms")
    case = Case.objects.get(public_id=site.case)
    CaseAlert.objects.create(case=case, kind="resolution_due", due_date=today)
    Group.objects.create(name="Cán bộ tiếp công dân")
    attempt = {"user_agent": "Mozilla/5.0", "ip_address": "127.0.0.1", "username": "khach",
               "http_accept": "text/html", "path_info": "/dang-nhap/"}
    AccessAttempt.objects.create(**attempt, get_data="", post_data="", failures_since_start=1)
    AccessFailureLog.objects.create(**attempt)


@pytest.mark.timeout(900)  # nine roles × up to 150 pages on a shared machine
@pytest.mark.django_db(transaction=True)
def test_every_link_of_every_role_leads_somewhere_and_speaks_vietnamese():
    site = build_demo_site(PASSWORD)
    problems: list[str] = []
    counts = {}
    for role, pages in PAGES.items():
        client = Client()
        if LOGINS[role]:
            client.force_login(site.users[role])
        role_problems, counts[role] = walk(client, ["/"] + [site.path(template) for _name, template in pages])
        problems += [f"{role}: {line}" for line in role_problems]
    add_a_row_where_the_admin_has_none(site)
    client = Client()
    client.force_login(site.users["superuser"])
    admin_problems, change_lists, change_forms = walk_admin(client)
    problems += [f"superuser (admin): {line}" for line in admin_problems]
    print("pages fetched per role:", counts)
    print(f"admin: {len(change_lists)} change lists, {len(change_forms)} change forms")
    for line in problems:
        print(line)
    assert all(count > 5 for count in counts.values()), counts
    registered = {f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
                  for model in admin.site._registry}
    assert set(change_lists) == registered, registered ^ set(change_lists)
    without_form = [url for url in change_lists if not any(form.startswith(url) for form in change_forms)]
    assert not without_form, f"no row to open (add one in add_a_row_where_the_admin_has_none): {without_form}"
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def test_the_english_heuristic_ignores_data_and_code_and_finds_interface_words():
    page = Page()
    page.feed('<html lang="vi"><body><h1>Lịch làm việc</h1><p>Please <b>save</b></p><code>the rule</code>'
              '<span translate="no">Office notes</span><p lang="en">English quote</p><script>var the=1</script>'
              '<a href="/x/">Tải PDF, DOCX</a></body></html>')
    assert english_words(page) == ["Please", "save"]
    assert page.lang == "vi" and page.links == ["/x/"]


def test_the_admin_heuristic_checks_labels_and_headers_not_data():
    page = Page(admin=True)
    page.feed('<html lang="vi"><head><title>Case 12 | Thay đổi vụ việc</title></head><body>'
              '<div class="breadcrumbs"><a href="/admin/">Trang chủ</a> › Case 12</div>'
              '<div id="content"><h1>Thay đổi vụ việc</h1><h2>Case 12</h2>'
              '<details data-filter-title="kind"><summary>Theo loại</summary><ul><li><a>case</a></li></ul>'
              '</details>'
              '<table id="result_list"><thead><tr><th scope="col">Created at</th></tr></thead>'
              '<tbody><tr><th class="field-number"><a>Office 1</a></th><td class="field-kind">report</td>'
              '</tr></tbody></table>'
              '<div class="form-row"><label>Target type:</label><div class="readonly">the case</div></div>'
              '<div class="related-widget-wrapper"><select><option>Add user</option></select></div>'
              '<div><input class="vForeignKeyRawIdAdminField"><a class="related-lookup"></a>'
              '<strong><a>Head office</a></strong></div>'
              '<select name="action"><option>Delete selected</option></select>'
              '<input type="submit" value="Save"></div></body></html>')
    assert english_words(page) == ["Created", "Delete", "Save", "Target", "at", "type"]


def test_every_field_of_every_project_model_has_a_vietnamese_name():
    """What the admin walk finds on the pages it reaches, for every model: a field without ``verbose_name``
    shows its English name ("created at") as a label, a column header and a filter title."""
    missing: list[str] = []
    with translation.override("vi"):
        for model in project_models():
            opts = model._meta
            names = [("", str(opts.verbose_name), "verbose_name" in opts.original_attrs),
                     ("", str(opts.verbose_name_plural), "verbose_name_plural" in opts.original_attrs)]
            names += [(f.name, str(f.verbose_name), f.verbose_name != f.name.replace("_", " "))
                      for f in project_fields(model)]
            for field, name, given in names:
                if not given or any(is_english(w) for w in WORD.findall(name)):
                    missing.append(f"{opts.label}{'.' + field if field else ''}: {name!r}")
    assert not missing, f"{len(missing)} English names:\n" + "\n".join(missing)
