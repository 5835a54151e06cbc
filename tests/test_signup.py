"""Sign-up with a one-time code, login throttling, identity documents — and bad input of each kind."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import PendingSignup, User

PASSWORD = "Ngay-mai-troi-nang-7"


@pytest.fixture
def api():
    return APIClient()


def code_from(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


def start(api, identifier="0912 345 678", full_name="Nguyễn Thị Mai", password=PASSWORD):
    return api.post("/api/auth/signup", {"identifier": identifier, "full_name": full_name, "password": password},
                    format="json")


def assert_field_error(response, status, field, code):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert field in error["fields"], error
    assert error["fields"][field][0]["code"] == code, error
    assert error["fields"][field][0]["message"]


@pytest.mark.django_db(transaction=True)
def test_phone_signup_verifies_and_logs_in(api, sms_outbox):
    response = start(api)
    assert response.status_code == 202
    body = response.json()
    assert body["channel"] == "phone" and body["destination"].startswith("+849")
    assert "345" not in body["destination"][:-3]  # masked
    assert User.objects.count() == 0  # nothing exists before the code is verified
    assert len(sms_outbox) == 1 and sms_outbox[0].to == "+84912345678"
    response = api.post("/api/auth/signup/verify",
                        {"signup_token": body["signup_token"], "code": code_from(sms_outbox[0].body)}, format="json")
    assert response.status_code == 201, response.content
    user = User.objects.get()
    assert user.phone == "+84912345678" and user.phone_verified_at and user.full_name == "Nguyễn Thị Mai"
    assert not PendingSignup.objects.exists()
    assert api.get("/api/auth/me").json()["username"] == "+84912345678"
    # And later with any spelling of the number.
    fresh = APIClient()
    assert fresh.post("/api/auth/login", {"identifier": "+84 912 345 678", "password": PASSWORD},
                      format="json").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_email_signup(api):
    response = start(api, identifier="Mai.Nguyen@Example.VN")
    assert response.status_code == 202
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["mai.nguyen@example.vn"]
    token = response.json()["signup_token"]
    response = api.post("/api/auth/signup/verify", {"signup_token": token, "code": code_from(mail.outbox[0].body)},
                        format="json")
    assert response.status_code == 201
    assert User.objects.get().email == "mai.nguyen@example.vn"


@pytest.mark.django_db(transaction=True)  # codes are sent on commit
@pytest.mark.parametrize("identifier,code", [
    ("12345", "invalid_phone"),
    ("0912-ABC-678", "invalid_phone"),
    ("+1 202 555 01", "invalid_phone"),
    ("024 3825 3535", "not_mobile"),  # a Hà Nội landline cannot receive the code
    ("mai@", "invalid_email"),
])
def test_malformed_identifier_is_refused(api, sms_outbox, identifier, code):
    response = start(api, identifier=identifier)
    assert_field_error(response, 400, "identifier", code)
    assert not PendingSignup.objects.exists() and not User.objects.exists() and not sms_outbox


@pytest.mark.django_db(transaction=True)  # codes are sent on commit
def test_weak_password_and_missing_name(api):
    assert_field_error(start(api, password="12345678"), 400, "password", "weak_password")
    assert_field_error(start(api, full_name="   "), 400, "full_name", "blank")
    assert not PendingSignup.objects.exists()


@pytest.mark.django_db(transaction=True)  # codes are sent on commit
def test_reused_email_is_refused(api, make_user):
    make_user(email="mai@example.vn")
    response = start(api, identifier="MAI@example.vn")
    assert_field_error(response, 400, "identifier", "identifier_taken")
    assert not PendingSignup.objects.exists() and len(mail.outbox) == 0
    assert User.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # codes are sent on commit
def test_wrong_code_creates_nothing_and_locks_after_max_attempts(api, sms_outbox, settings):
    token = start(api).json()["signup_token"]
    right = code_from(sms_outbox[0].body)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(settings.OTP_MAX_ATTEMPTS):
        response = api.post("/api/auth/signup/verify", {"signup_token": token, "code": wrong}, format="json")
        assert_field_error(response, 400, "code", "wrong_code")
        assert not User.objects.exists()
    assert PendingSignup.objects.get().attempts == settings.OTP_MAX_ATTEMPTS
    # Even the right code is refused now: the pending sign-up is spent.
    response = api.post("/api/auth/signup/verify", {"signup_token": token, "code": right}, format="json")
    assert_field_error(response, 400, "code", "too_many_attempts")
    assert not User.objects.exists() and not PendingSignup.objects.exists()


@pytest.mark.django_db(transaction=True)  # codes are sent on commit
def test_malformed_and_expired_codes(api, sms_outbox):
    token = start(api).json()["signup_token"]
    assert_field_error(api.post("/api/auth/signup/verify", {"signup_token": token, "code": "12ab"}, format="json"),
                       400, "code", "invalid_code")
    assert_field_error(api.post("/api/auth/signup/verify", {"signup_token": "nope", "code": "123456"}, format="json"),
                       400, "token", "unknown_signup")
    PendingSignup.objects.update(expires_at=PendingSignup.objects.get().created_at - timedelta(seconds=1))
    response = api.post("/api/auth/signup/verify",
                        {"signup_token": token, "code": code_from(sms_outbox[0].body)}, format="json")
    assert_field_error(response, 400, "code", "code_expired")
    assert not User.objects.exists()


@pytest.mark.django_db(transaction=True)  # codes are sent on commit
def test_resend_is_rate_limited(api, sms_outbox):
    assert start(api).status_code == 202
    assert_field_error(start(api), 400, "identifier", "resend_too_soon")
    assert len(sms_outbox) == 1


@pytest.mark.django_db(transaction=True)  # codes are sent on commit
def test_non_json_and_missing_fields(api):
    response = api.post("/api/auth/signup", "not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["type"] == "parse_error"
    response = api.post("/api/auth/signup", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"identifier", "password", "full_name"}


@pytest.mark.django_db(transaction=True)  # codes are sent on commit
def test_login_throttling_locks_out_password_guessing(api, make_user, settings):
    make_user(username="+84912000111", phone="+84912000111", password=PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = api.post("/api/auth/login", {"identifier": "0912000111", "password": "guess"}, format="json")
        assert_field_error(response, 400, "password", "invalid_credentials")
    response = api.post("/api/auth/login", {"identifier": "0912000111", "password": "guess"}, format="json")
    assert response.status_code == 429 and response.json()["error"]["type"] == "locked_out"
    # Locked: even the right password is refused from this address for the cool-off period.
    response = api.post("/api/auth/login", {"identifier": "0912000111", "password": PASSWORD}, format="json")
    assert response.status_code == 429


@pytest.mark.django_db(transaction=True)  # codes are sent on commit
def test_identity_document_is_encrypted_at_rest(api, make_user):
    from core.crypto import blind_index

    user = make_user(password=PASSWORD)
    api.force_authenticate(user)
    response = api.put("/api/auth/me/identity", {"id_document_type": "cccd", "id_document_number": "0010850123"},
                       format="json")
    assert_field_error(response, 400, "id_document_number", "invalid_cccd")
    response = api.put("/api/auth/me/identity",
                       {"id_document_type": "cccd", "id_document_number": "001085012345"}, format="json")
    assert response.status_code == 200 and response.json()["has_id_document"] is True
    assert "001085012345" not in response.content.decode()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_document_number, id_document_index FROM accounts_citizenprofile")
        stored, index = cursor.fetchone()
    assert "001085012345" not in stored and stored.startswith("fernet:")
    assert index == blind_index("001085012345")
    user.citizen_profile.refresh_from_db()
    assert user.citizen_profile.id_document_number == "001085012345"


def test_key_rotation_keeps_data_readable(settings):
    from cryptography.fernet import Fernet

    from core import crypto

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    crypto.reset_keys_cache()
    token = crypto.encrypt("001085012345")
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    crypto.reset_keys_cache()
    rotated = crypto.rotate(token)
    settings.FIELD_ENCRYPTION_KEYS = [new]
    crypto.reset_keys_cache()
    try:
        assert crypto.decrypt(rotated) == "001085012345"
        with pytest.raises(ValueError):
            crypto.decrypt(token)
    finally:
        settings.FIELD_ENCRYPTION_KEYS = []
        crypto.reset_keys_cache()


@pytest.mark.django_db
def test_rotate_field_keys_command_reencrypts_rows(make_user, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from accounts.models import CitizenProfile
    from accounts.services import set_identity_document
    from core import crypto

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    crypto.reset_keys_cache()
    try:
        set_identity_document(make_user(), "cccd", "079200001111")
        settings.FIELD_ENCRYPTION_KEYS = [new, old]
        call_command("rotate_field_keys", stdout=open("/dev/null", "w"))
        settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key is retired
        crypto.reset_keys_cache()
        assert CitizenProfile.objects.get().id_document_number == "079200001111"
    finally:
        settings.FIELD_ENCRYPTION_KEYS = []
        crypto.reset_keys_cache()
