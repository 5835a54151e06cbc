"""Internationalisation: Vietnamese (the source language) by default, English under ``/en/``, API errors in
the requested language, and an English catalogue that is complete for the current source.

The source strings (gettext msgids) are Vietnamese; ``locale/en/LC_MESSAGES/django.po`` holds English.
When the completeness test fails, extract the strings again with
``DEBUG=true .venv/bin/python manage.py makemessages -l en --ignore=.venv --ignore=var --ignore=tests
--no-obsolete``, translate the new entries (no ``fuzzy`` flag, no empty ``msgstr``) and compile with
``.venv/bin/python manage.py compilemessages -l en --ignore=.venv``.
"""

from __future__ import annotations

import ast
import contextlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

CI = os.environ.get("CI", "").lower() == "true"
BASE_DIR = Path(settings.BASE_DIR)
PO_RELATIVE = Path("locale/en/LC_MESSAGES/django.po")
PO_FILE = BASE_DIR / PO_RELATIVE
MO_FILE = PO_FILE.with_suffix(".mo")
MAKEMESSAGES_ARGS = ["makemessages", "-l", "en", "--ignore=.venv", "--ignore=var", "--ignore=tests",
                     "--no-obsolete", "--verbosity=0"]
# What is not source: never copied into the scratch tree where the strings are extracted again.
NOT_SOURCE = shutil.ignore_patterns(".venv", "var", ".git", "__pycache__", "*.pyc", "*.mo", "*.egg-info",
                                    ".pytest_cache", ".ruff_cache", "test-artifacts", "node_modules", "tests")


def _missing_tool(tool: str) -> None:
    message = f"gettext's {tool} is missing (apt-get install gettext)"
    if CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue():
    """Pages need the compiled catalogue; ``scripts/bootstrap.sh`` builds it, but this module does not rely
    on that: a missing or stale ``django.mo`` is compiled here, and the loaded catalogues are dropped."""
    if not MO_FILE.exists() or MO_FILE.stat().st_mtime < PO_FILE.stat().st_mtime:
        if shutil.which("msgfmt") is None:
            _missing_tool("msgfmt")
        with contextlib.chdir(BASE_DIR):
            call_command("compilemessages", locale=["en"], ignore_patterns=[".venv", "var"], verbosity=0)
        from django.utils.translation.reloader import translation_file_changed

        translation_file_changed(sender=None, file_path=MO_FILE)
    yield


# --- A small .po reader (no polib/babel in the environment) ---------------------------------------------

def _unquote(line: str) -> str:
    return ast.literal_eval(line)  # a PO string literal uses the same escapes as a Python one


def parse_po(text: str) -> list[dict]:
    """Entries of a PO file as dicts: ``msgctxt``, ``msgid``, ``msgid_plural``, ``msgstr`` (a list, one per
    plural form), ``flags`` (a set) and ``obsolete``. The header entry (empty msgid) is included."""
    entries: list[dict] = []
    entry: dict | None = None
    field: tuple[str, int | None] | None = None

    def new_entry() -> dict:
        return {"msgctxt": None, "msgid_plural": None, "msgstr": [], "flags": set(), "obsolete": False}

    for raw in text.splitlines():
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if entry is not None and "msgid" in entry and (
            not line or (line.startswith("#") and not obsolete) or line.startswith(("msgctxt ", "msgid "))
        ):
            entries.append(entry)  # an entry ends at a blank line, or where the next one begins
            entry, field = None, None
        if not line:
            continue
        if entry is None:
            entry = new_entry()
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        entry["obsolete"] = entry["obsolete"] or obsolete
        keyword, _, rest = line.partition(" ")
        if keyword == "msgstr" or re.fullmatch(r"msgstr\[\d+\]", keyword):
            if "msgid" not in entry:
                raise ValueError(f"msgstr without msgid in PO file: {raw!r}")
            entry["msgstr"].append(_unquote(rest))
            field = ("msgstr", len(entry["msgstr"]) - 1)
        elif keyword in {"msgctxt", "msgid", "msgid_plural"}:
            entry[keyword] = _unquote(rest)
            field = (keyword, None)
        elif line.startswith('"') and field is not None:
            name, index = field
            if index is None:
                entry[name] += _unquote(line)
            else:
                entry[name][index] += _unquote(line)
        else:
            raise ValueError(f"malformed line in PO file: {raw!r}")
    if entry is not None and "msgid" in entry:
        entries.append(entry)
    return entries


def messages(entries: list[dict]) -> list[dict]:
    """The translatable entries: no header, no obsolete ones."""
    return [e for e in entries if e["msgid"] != "" and not e["obsolete"]]


def key(entry: dict) -> str:
    return entry["msgid"] if entry["msgctxt"] is None else f"{entry['msgctxt']}\x04{entry['msgid']}"


PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]")


# --- Pages ----------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_home_page_is_vietnamese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="vi"' in html
    assert "Tiếp công dân trực tuyến" in html
    assert "Online citizen reception" not in html


@pytest.mark.django_db
def test_english_pages_under_en_prefix(client):
    response = client.get("/en/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en"' in html
    assert "Online citizen reception" in html
    assert "Citizen reception offices" in html  # the navigation too, not only the title
    assert "Tiếp công dân trực tuyến" not in html


@pytest.mark.django_db
def test_language_switcher_moves_to_the_english_url(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/en/"
    assert "Online citizen reception" in client.get(response["Location"]).content.decode()


# --- API ------------------------------------------------------------------------------------------------

BAD_SIGNUP = {"identifier": "12345", "password": "Abcdef-12345", "full_name": "A"}


def _identifier_error(client, **headers) -> str:
    response = client.post("/api/auth/signup", BAD_SIGNUP, content_type="application/json", **headers)
    assert response.status_code == 400, response.content
    return response.json()["error"]["fields"]["identifier"][0]["message"]


@pytest.mark.django_db
def test_api_errors_are_vietnamese_by_default(client):
    assert _identifier_error(client) == "Số điện thoại không hợp lệ."


@pytest.mark.django_db
def test_api_errors_follow_accept_language(client):
    assert _identifier_error(client, HTTP_ACCEPT_LANGUAGE="en") == "Invalid phone number."


# --- Catalogue ------------------------------------------------------------------------------------------

def test_english_catalogue_is_fully_translated():
    entries = parse_po(PO_FILE.read_text(encoding="utf-8"))
    header = next((e for e in entries if e["msgid"] == "" and not e["obsolete"]), None)
    assert header is not None and "fuzzy" not in header["flags"], "the .po header is missing or fuzzy"
    items = messages(entries)
    assert items, "the English catalogue has no messages"
    untranslated = [e["msgid"] for e in items if not e["msgstr"] or not all(e["msgstr"])]
    fuzzy = [e["msgid"] for e in items if "fuzzy" in e["flags"]]
    assert not untranslated, f"{len(untranslated)} untranslated entries in {PO_RELATIVE}: {untranslated}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy entries in {PO_RELATIVE} (review them, drop the flag): {fuzzy}"
    wrong_placeholders = [
        e["msgid"] for e in items
        for msgstr in e["msgstr"]
        if set(PLACEHOLDER.findall(msgstr)) != set(PLACEHOLDER.findall(e["msgid"] + (e["msgid_plural"] or "")))
    ]
    assert not wrong_placeholders, f"placeholders differ between msgid and msgstr: {wrong_placeholders}"
    assert not [e for e in items if e["msgid"] == "Tiếng Việt" and e["msgstr"] != ["Tiếng Việt"]], \
        "a language's name is written in that language"


def test_english_catalogue_covers_every_source_string(tmp_path):
    """Extract the strings again from a scratch copy of the source and compare with the committed catalogue."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        _missing_tool("xgettext/msgmerge")
    copy = tmp_path / "src"
    shutil.copytree(BASE_DIR, copy, ignore=NOT_SOURCE, symlinks=True)
    committed = {key(e) for e in messages(parse_po((copy / PO_RELATIVE).read_text(encoding="utf-8")))}
    env = {**os.environ, "DEBUG": "true", "VAR_DIR": str(tmp_path / "var"), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "manage.py", *MAKEMESSAGES_ARGS], cwd=copy, env=env,
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"
    extracted = {key(e) for e in messages(parse_po((copy / PO_RELATIVE).read_text(encoding="utf-8")))}
    missing = sorted(extracted - committed)
    assert not missing, (
        f"{len(missing)} source string(s) are not in {PO_RELATIVE}; run makemessages and translate: {missing}"
    )
