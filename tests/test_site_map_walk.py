"""The site map walked as each demo role (issue 17): from the role's pages in tests/site_map.py, every link
a page shows is followed (same origin, GET only, bounded) with Django's test client, signed in as that
role. The walk fails on any 4xx/5xx reached by such a link, and on English words on a Vietnamese page.

**The English heuristic** (documented in docs/frontend.md): the page's visible text — without <script>,
<style>, <code>, <pre>, <kbd>, <textarea> and anything marked ``translate="no"`` or with another ``lang``
(that is: data and code) — is split into words; a page fails if it contains a word from ``ENGLISH`` (common
English interface words that are never Vietnamese syllables: "the", "and", "please", "save", "delete",
"search", "password", "error"…). Technical names used in Vietnamese too (PDF, DOCX, Excel, SHA-256, RRULE,
iCal, IP) are not in the list. The Django admin's change lists and forms are walked for their status but
checked for English only on its index: their column and field names come from model field names, several
of which are not translated yet (see the report of issue 17)."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.test import Client

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


class Page(HTMLParser):
    """The links (<a href>) and the visible interface text of an HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.words: list[str] = []
        self.lang = ""
        self._stack: list[tuple[str, bool]] = []  # (tag, ignored)

    def _ignored(self) -> bool:
        return bool(self._stack) and self._stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang", "")
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in {"br", "img", "input", "meta", "link", "hr", "source", "wbr", "col", "area", "base", "track"}:
            return
        ignored = (self._ignored() or tag in IGNORED_TAGS or attrs.get("translate") == "no"
                   or (attrs.get("lang") not in (None, "", "vi") and tag != "html") or "hidden" in attrs)
        self._stack.append((tag, ignored))

    def handle_endtag(self, tag):
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data):
        if not self._ignored():
            self.words.extend(WORD.findall(data))


def english_words(page: Page) -> list[str]:
    return sorted({w for w in page.words if w.lower() in ENGLISH})


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
        page = Page()
        page.feed(response.content.decode("utf-8", "replace"))
        in_admin = parts.path.startswith("/admin/")
        if page.lang == "vi" and (not in_admin or parts.path == "/admin/"):
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
    print("pages fetched per role:", counts)
    for line in problems:
        print(line)
    assert all(count > 5 for count in counts.values()), counts
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def test_the_english_heuristic_ignores_data_and_code_and_finds_interface_words():
    page = Page()
    page.feed('<html lang="vi"><body><h1>Lịch làm việc</h1><p>Please <b>save</b></p><code>the rule</code>'
              '<span translate="no">Office notes</span><p lang="en">English quote</p><script>var the=1</script>'
              '<a href="/x/">Tải PDF, DOCX</a></body></html>')
    assert english_words(page) == ["Please", "save"]
    assert page.lang == "vi" and page.links == ["/x/"]
