"""Every write to accounts goes through here: sign-up with a one-time code, profiles, role assignments."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.identifiers import InvalidIdentifier, parse_identifier
from accounts.models import CitizenProfile, IdDocumentType, PendingSignup, Role, RoleAssignment, User
from core.crypto import blind_index
from core.errors import DomainError
from notifications.services import send_to
from offices.models import Office


class AccountError(DomainError):
    pass


def _hash_code(token: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{token}:{code}".encode(), hashlib.sha256).hexdigest()


def _new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(settings.OTP_LENGTH))


def _identifier_taken(channel: str, value: str) -> bool:
    field = "phone" if channel == "phone" else "email"
    return User.objects.filter(**{field: value}).exists() or User.objects.filter(username=value).exists()


def _send_code(channel: str, destination: str, code: str) -> None:
    minutes = settings.OTP_TTL_SECONDS // 60
    body = _("Mã xác minh Tiếp công dân trực tuyến: %(code)s (hiệu lực %(minutes)s phút).") % {
        "code": code, "minutes": minutes,
    }
    send_to(channel, destination, _("Mã xác minh đăng ký"), body)


def start_signup(identifier: str, password: str, full_name: str) -> PendingSignup:
    """Validate everything, keep a pending sign-up and send the one-time code. No user is created yet.

    Signing up again with the same phone/e-mail replaces the pending sign-up (and sends a new code),
    but not more often than ``OTP_RESEND_INTERVAL_SECONDS``.
    """
    full_name = " ".join((full_name or "").split())
    if not full_name:
        raise AccountError(_("Nhập họ và tên."), "required", "full_name")
    if len(full_name) > 255:
        raise AccountError(_("Họ và tên quá dài."), "too_long", "full_name")
    try:
        ident = parse_identifier(identifier)
    except InvalidIdentifier as exc:
        raise AccountError(str(exc), exc.code, "identifier") from exc
    if _identifier_taken(ident.channel, ident.value):
        message = (_("Số điện thoại này đã được đăng ký.") if ident.channel == "phone"
                   else _("Thư điện tử này đã được đăng ký."))
        raise AccountError(message, "identifier_taken", "identifier")
    probe = User(username=ident.value, full_name=full_name,
                 **({"phone": ident.value} if ident.channel == "phone" else {"email": ident.value}))
    try:
        validate_password(password or "", user=probe)
    except ValidationError as exc:
        raise AccountError(" ".join(exc.messages), "weak_password", "password") from exc

    now = timezone.now()
    token = secrets.token_urlsafe(32)
    code = _new_code()
    with transaction.atomic():
        existing = PendingSignup.objects.select_for_update().filter(destination=ident.value).first()
        if existing is not None:
            wait = (existing.last_sent_at + timedelta(seconds=settings.OTP_RESEND_INTERVAL_SECONDS)) - now
            if wait.total_seconds() > 0:
                raise AccountError(
                    _("Vui lòng đợi %(seconds)s giây trước khi gửi lại mã.") % {"seconds": int(wait.total_seconds()) + 1},
                    "resend_too_soon", "identifier",
                )
            existing.delete()
        pending = PendingSignup.objects.create(
            token=token, channel=ident.channel, destination=ident.value, full_name=full_name,
            password_hash=make_password(password), code_hash=_hash_code(token, code),
            last_sent_at=now, expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
        )
        # Sent after commit: a code is never sent for a sign-up that was not saved.
        transaction.on_commit(lambda: _send_code(ident.channel, ident.value, code))
    return pending


def verify_signup(token: str, code: str) -> User:
    """Create the user if ``code`` matches. A wrong code counts an attempt and creates nothing."""
    code = (code or "").strip()
    if not re.fullmatch(rf"\d{{{settings.OTP_LENGTH}}}", code):
        raise AccountError(_("Mã xác minh gồm %(n)s chữ số.") % {"n": settings.OTP_LENGTH}, "invalid_code", "code")
    # Refusals that change state (an attempt counted, a spent sign-up deleted) are committed first and
    # raised after the transaction, so the rollback of an exception cannot undo them.
    failure: AccountError | None = None
    with transaction.atomic():
        pending = PendingSignup.objects.select_for_update().filter(token=token or "").first()
        if pending is None:
            raise AccountError(_("Yêu cầu đăng ký không tồn tại hoặc đã hết hạn."), "unknown_signup", "token")
        if pending.expires_at <= timezone.now():
            pending.delete()
            failure = AccountError(_("Mã xác minh đã hết hạn. Vui lòng đăng ký lại."), "code_expired", "code")
        elif pending.attempts >= settings.OTP_MAX_ATTEMPTS:
            pending.delete()
            failure = AccountError(_("Nhập sai quá số lần cho phép. Vui lòng đăng ký lại."),
                                   "too_many_attempts", "code")
        elif not hmac.compare_digest(pending.code_hash, _hash_code(pending.token, code)):
            pending.attempts += 1
            pending.save(update_fields=["attempts"])
            failure = AccountError(_("Mã xác minh không đúng."), "wrong_code", "code")
        else:
            return _create_verified_user(pending)
    raise failure


def _create_verified_user(pending: PendingSignup) -> User:
    now = timezone.now()
    contact = ({"phone": pending.destination, "phone_verified_at": now} if pending.channel == "phone"
               else {"email": pending.destination, "email_verified_at": now})
    try:
        with transaction.atomic():
            user = User(username=pending.destination, full_name=pending.full_name,
                        password=pending.password_hash, **contact)
            user.save()
            CitizenProfile.objects.create(user=user)
            from audit.services import record

            record(actor=user, action="accounts.signup", obj=user, details={"channel": pending.channel})
    except IntegrityError as exc:
        raise AccountError(_("Tài khoản này đã được đăng ký."), "identifier_taken", "identifier") from exc
    pending.delete()
    return user


CCCD_PATTERN = re.compile(r"^\d{12}$")


def set_identity_document(user: User, doc_type: str, number: str, address: str | None = None) -> CitizenProfile:
    """Store the citizen's ID document (encrypted) and its keyed hash for matching at reception."""
    number = "".join((number or "").split())
    if doc_type not in IdDocumentType.values:
        raise AccountError(_("Loại giấy tờ không hợp lệ."), "invalid_choice", "id_document_type")
    if doc_type == IdDocumentType.CCCD and not CCCD_PATTERN.match(number):
        raise AccountError(_("Số CCCD gồm 12 chữ số."), "invalid_cccd", "id_document_number")
    if not number or len(number) > 32:
        raise AccountError(_("Số giấy tờ không hợp lệ."), "invalid", "id_document_number")
    profile, _created = CitizenProfile.objects.get_or_create(user=user)
    profile.id_document_type = doc_type
    profile.id_document_number = number
    profile.id_document_index = blind_index(number)
    if address is not None:
        profile.address = address.strip()[:500]
    profile.save()
    return profile


def grant_role(granted_by: User | None, user: User, office: Office, role: str) -> RoleAssignment:
    """Give ``user`` a staff role at ``office``. ``granted_by`` None means the system (seeding, commands)."""
    if role not in Role.values:
        raise AccountError(_("Vai trò không hợp lệ."), "invalid_choice", "role")
    if granted_by is not None and not permissions.can(granted_by, permissions.Action.ROLE_GRANT, office):
        raise AccountError(_("Bạn không có quyền phân công vai trò tại cơ quan này."), "forbidden", "office")
    from audit.services import record

    with transaction.atomic():
        assignment, created = RoleAssignment.objects.get_or_create(
            user=user, office=office, role=role, defaults={"granted_by": granted_by}
        )
        if created:
            record(actor=granted_by, action="accounts.grant_role", obj=assignment,
                   details={"user": user.pk, "office": office.code, "role": role})
    permissions.clear_cache(user)
    return assignment


def revoke_role(revoked_by: User | None, assignment: RoleAssignment) -> None:
    if revoked_by is not None and not permissions.can(revoked_by, permissions.Action.ROLE_GRANT, assignment.office):
        raise AccountError(_("Bạn không có quyền thu hồi vai trò tại cơ quan này."), "forbidden", "office")
    from audit.services import record

    with transaction.atomic():
        target_id = assignment.pk
        assignment.delete()
        record(actor=revoked_by, action="accounts.revoke_role", target_type="accounts.roleassignment",
               target_id=target_id, details={"user": assignment.user_id, "office": assignment.office.code,
                                             "role": assignment.role})
    permissions.clear_cache(assignment.user)


def create_staff_user(username: str, full_name: str, password: str, email: str | None = None) -> User:
    return User.objects.create_user(username=username, password=password, full_name=full_name, email=email or None)


def purge_expired_signups(now=None) -> int:
    """Delete pending sign-ups whose code expired. Idempotent."""
    deleted, _ = PendingSignup.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
