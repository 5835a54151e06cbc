"""Issue 13: login lockout counts one normalised identifier; login refuses a foreign Origin (login CSRF);
the newly encrypted fields are ciphertext at rest and re-encrypted by rotate_field_keys."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

PASSWORD = "S3cure-pass-word"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("spellings, right", [
    (["0955-000-222", "+84 955 000 222", "0955000222", "(0955) 000.222", "84955000222"], "0955000222"),
    (["LOCK3@example.com", "lock3@EXAMPLE.com", " Lock3@Example.Com "], "lock3@example.com"),
])
def test_every_spelling_counts_against_one_lockout(make_user, settings, spellings, right):
    make_user(username="u-lock", phone="+84955000222", email="lock3@example.com", password=PASSWORD)
    api = APIClient()
    statuses = []
    for i in range(settings.AXES_FAILURE_LIMIT):
        response = api.post("/api/auth/login", {"identifier": spellings[i % len(spellings)], "password": "guess"},
                            format="json")
        statuses.append(response.status_code)
    assert statuses[-1] == 429, statuses
    for spelling in spellings + [right]:
        response = api.post("/api/auth/login", {"identifier": spelling, "password": PASSWORD}, format="json")
        assert response.status_code == 429, spelling


@pytest.mark.django_db
def test_login_refuses_a_foreign_origin(make_user):
    make_user(username="u-origin", phone="+84955000333", password=PASSWORD)
    body = {"identifier": "0955000333", "password": PASSWORD}
    api = APIClient()
    for headers in ({"HTTP_ORIGIN": "https://evil.example"}, {"HTTP_ORIGIN": "null"},
                    {"HTTP_SEC_FETCH_SITE": "cross-site"}):
        response = api.post("/api/auth/login", body, format="json", **headers)
        assert response.status_code == 403 and response.json()["error"]["type"] == "forbidden_origin"
        assert "sessionid" not in response.cookies
    form = APIClient().post("/api/auth/login", "identifier=0955000333&password=" + PASSWORD,
                            content_type="application/x-www-form-urlencoded", HTTP_ORIGIN="https://evil.example")
    assert form.status_code == 403
    same = api.post("/api/auth/login", body, format="json", HTTP_ORIGIN="http://testserver")
    assert same.status_code == 200
    assert APIClient().post("/api/auth/login", body, format="json").status_code == 200  # not a browser


@pytest.mark.django_db
def test_personal_free_text_is_encrypted_at_rest_and_rotated(make_user, settings, office_tree):
    from accounts.models import CitizenProfile
    from accounts.services import set_identity_document
    from cases.models import CaseTransition
    from core import crypto
    from tests.cases_helpers import make_case

    citizen = make_user(full_name="Dân")
    set_identity_document(citizen, "cccd", "079777888999", "Số 1 đường ADDRMARKER")
    case = make_case(office_tree["commune011"])
    CaseTransition.objects.create(case=case, to_state="received", note="NOTEMARKER")
    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM accounts_citizenprofile")
        assert all(v.startswith("fernet:") for (v,) in cursor.fetchall())
        cursor.execute("SELECT note FROM cases_casetransition WHERE note <> ''")
        stored = [v for (v,) in cursor.fetchall()]
        assert stored and all(v.startswith("fernet:") for v in stored)
    new_key = Fernet.generate_key().decode()
    old = list(settings.FIELD_ENCRYPTION_KEYS) or [crypto._dev_key_file("field_encryption_key").decode()]
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *old]
    crypto.reset_keys_cache()
    try:
        call_command("rotate_field_keys")
        settings.FIELD_ENCRYPTION_KEYS = [new_key]
        crypto.reset_keys_cache()
        assert CitizenProfile.objects.get(user=citizen).address == "Số 1 đường ADDRMARKER"
        assert CaseTransition.objects.filter(case=case).order_by("pk").last().note == "NOTEMARKER"
    finally:
        settings.FIELD_ENCRYPTION_KEYS = old
        crypto.reset_keys_cache()


def test_encrypt_plaintext_migration_step():
    """The data step of the migrations turns existing plaintext into ciphertext (and back)."""
    from core.migration_ops import encrypt_plaintext

    step = encrypt_plaintext("accounts", "citizenprofile", "address")
    assert step.code is not None and step.reverse_code is not None
