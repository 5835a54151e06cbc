"""The JavaScript budget of the citizen pages (docs/frontend.md): every script a citizen page loads, summed
as gzip-compressed bytes (level 6, computed here from the decoded bodies, whatever the server sent), stays
under JS_BUDGET_BYTES per page. Measured in Debian's Chromium against a real Daphne; the per-page numbers
are printed (run with ``-s``) and recorded in docs/frontend.md."""

from __future__ import annotations

import gzip

import pytest

from tests.test_accessibility import WIDTHS, portal_pages, portal_server  # noqa: F401 (fixture)
from tests.test_room_browser import CHROMIUM, CHROMIUM_ARGS

JS_BUDGET_BYTES = 150 * 1024  # per page, gzip-compressed, all scripts together


def gzip_size(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6, mtime=0))


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_every_citizen_page_stays_under_the_javascript_budget(portal_server):  # noqa: F811
    from playwright.sync_api import sync_playwright

    base, portal, cookie = portal_server
    pages = portal_pages(portal)
    totals: dict[str, int] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            anonymous = browser.new_context(viewport=WIDTHS["360"])
            citizen = browser.new_context(viewport=WIDTHS["360"])
            citizen.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
            for name, path, signed_in in pages:
                page = (citizen if signed_in else anonymous).new_page()
                scripts: list = []
                page.on("response", lambda r, into=scripts: into.append(r) if r.request.resource_type == "script" else None)
                response = page.goto(base + path, wait_until="networkidle")
                assert response is not None and response.status == 200, f"{name}: {response and response.status}"
                sizes = {s.url.removeprefix(base): gzip_size(s.body()) for s in scripts}
                totals[name] = sum(sizes.values())
                print(f"{name:18} {totals[name] / 1024:7.1f} KiB gz  {sizes}")
                page.close()
        finally:
            browser.close()
    over = {name: size for name, size in totals.items() if size > JS_BUDGET_BYTES}
    assert not over, f"pages over the {JS_BUDGET_BYTES // 1024} KiB JavaScript budget: {over}"
    assert totals["room-prejoin"] > 0, "the room page's script was measured"
