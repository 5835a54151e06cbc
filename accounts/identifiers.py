"""Normalising what people type as their login: a Vietnamese phone number or an e-mail address."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Identifier:
    channel: str  # "phone" or "email"
    value: str  # E.164 phone or lower-case e-mail


class InvalidIdentifier(ValueError):
    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


PHONE_CHARACTERS = re.compile(r"^\+?[\d\s().-]{6,24}$")


def normalise_phone(raw: str) -> str:
    # phonenumbers would read letters as a keypad ("ABC" → 222): only digits and separators are a phone.
    if not PHONE_CHARACTERS.match(raw):
        raise InvalidIdentifier(_("Số điện thoại không hợp lệ."), "invalid_phone")
    try:
        number = phonenumbers.parse(raw, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentifier(_("Số điện thoại không hợp lệ."), "invalid_phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentifier(_("Số điện thoại không hợp lệ."), "invalid_phone")
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
    ):
        raise InvalidIdentifier(_("Cần số điện thoại di động để nhận mã xác minh."), "not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    value = raw.strip().lower()
    try:
        validate_email(value)
    except ValidationError as exc:
        raise InvalidIdentifier(_("Địa chỉ thư điện tử không hợp lệ."), "invalid_email") from exc
    return value


def parse_identifier(raw: str) -> Identifier:
    """``raw`` containing ``@`` is an e-mail; otherwise it must be a phone number."""
    raw = (raw or "").strip()
    if not raw:
        raise InvalidIdentifier(_("Nhập số điện thoại hoặc thư điện tử."), "required")
    if len(raw) > 254:
        raise InvalidIdentifier(_("Quá dài."), "too_long")
    if "@" in raw:
        return Identifier("email", normalise_email(raw))
    return Identifier("phone", normalise_phone(raw))


def lockout_username(request, credentials) -> str:
    """django-axes ``AXES_USERNAME_CALLABLE``: the login name counted for lockout, normalised the way the login
    reads it, so "0955-000-222", "+84 955 000 222" and "0955000222" (or "LOCK3@Example.com" and
    "lock3@example.com") share one counter."""
    raw = ""
    if credentials:
        raw = credentials.get("username") or credentials.get("identifier") or ""
    if not raw and request is not None:
        data = getattr(request, "POST", None) or {}
        raw = data.get("username") or data.get("identifier") or ""
    raw = str(raw)
    try:
        return parse_identifier(raw).value
    except InvalidIdentifier:
        return " ".join(raw.split()).lower()
