"""People: one user model for citizens and staff; staff roles are assignments scoped to an office."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, username, password, **extra):
        if not username:
            raise ValueError("username is required")
        if extra.get("email"):
            extra["email"] = self.normalize_email(extra["email"]).lower()
        user = self.model(username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, username, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(username, password, **extra)

    def create_superuser(self, username, password=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A citizen (công dân) or a staff member. Citizens sign in with their phone or e-mail; ``username``
    holds the identifier they signed up with (normalised: E.164 phone or lower-case e-mail)."""

    username = models.CharField(_("tên đăng nhập"), max_length=150, unique=True)
    full_name = models.CharField(_("họ và tên"), max_length=255)
    email = models.EmailField(_("thư điện tử"), null=True, blank=True, unique=True)
    phone = models.CharField(_("số điện thoại"), max_length=20, null=True, blank=True, unique=True)
    email_verified_at = models.DateTimeField(_("xác minh thư điện tử lúc"), null=True, blank=True)
    phone_verified_at = models.DateTimeField(_("xác minh số điện thoại lúc"), null=True, blank=True)
    # PermissionsMixin's field, named in Vietnamese (Django's own label reads "trạng thái superuser").
    is_superuser = models.BooleanField(
        _("toàn quyền quản trị"), default=False,
        help_text=_("Có mọi quyền trong hệ thống mà không cần được gán từng quyền."),
    )
    is_staff = models.BooleanField(
        _("truy cập trang quản trị"), default=False,
        help_text=_("Được vào trang quản trị Django (không phải vai trò nghiệp vụ)."),
    )
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    date_joined = models.DateTimeField(_("ngày tạo"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")
        constraints = [
            models.CheckConstraint(
                condition=Q(email__isnull=True) | ~Q(email=""), name="user_email_null_not_blank"
            ),
            models.CheckConstraint(
                condition=Q(phone__isnull=True) | ~Q(phone=""), name="user_phone_null_not_blank"
            ),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.username})"

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split()[-1] if self.full_name else self.username


class IdDocumentType(models.TextChoices):
    CCCD = "cccd", _("Căn cước / CCCD")
    PASSPORT = "passport", _("Hộ chiếu")
    OTHER = "other", _("Giấy tờ khác")


class CitizenProfile(models.Model):
    """Personal data a citizen may store to speed up identification at a reception. The ID number is
    encrypted at rest; ``id_document_index`` (keyed hash) allows matching without decrypting."""

    user = models.OneToOneField(User, verbose_name=_("tài khoản công dân"), on_delete=models.CASCADE,
                                related_name="citizen_profile")
    address = EncryptedTextField(_("địa chỉ"), blank=True, default="")
    id_document_type = models.CharField(
        _("loại giấy tờ"), max_length=16, choices=IdDocumentType.choices, blank=True, default=""
    )
    id_document_number = EncryptedTextField(_("số giấy tờ"), blank=True, default="")
    id_document_index = models.CharField(_("chỉ mục tra cứu số giấy tờ"), max_length=64, blank=True,
                                         default="", db_index=True, editable=False)
    updated_at = models.DateTimeField(_("thời điểm cập nhật"), auto_now=True)

    class Meta:
        verbose_name = _("hồ sơ công dân")
        verbose_name_plural = _("hồ sơ công dân")

    def __str__(self):
        return str(self.user)


class Channel(models.TextChoices):
    PHONE = "phone", _("SMS")
    EMAIL = "email", _("Thư điện tử")


class PendingSignup(models.Model):
    """A sign-up waiting for its one-time code. No ``User`` exists until the code is verified, so a wrong
    or expired code leaves nothing half-created."""

    token = models.CharField(_("mã phiên đăng ký"), max_length=64, unique=True)
    channel = models.CharField(_("kênh nhận mã"), max_length=8, choices=Channel.choices)
    destination = models.CharField(_("nơi nhận mã"), max_length=254, unique=True)
    full_name = models.CharField(_("họ và tên"), max_length=255)
    password_hash = models.CharField(_("mật khẩu (đã băm)"), max_length=256)
    code_hash = models.CharField(_("mã xác nhận (đã băm)"), max_length=128)
    attempts = models.PositiveSmallIntegerField(_("số lần nhập mã"), default=0)
    sent_count = models.PositiveSmallIntegerField(_("số lần đã gửi mã"), default=1)
    last_sent_at = models.DateTimeField(_("gửi mã lần cuối lúc"))
    expires_at = models.DateTimeField(_("hết hạn lúc"))
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("đăng ký tài khoản chờ xác nhận")
        verbose_name_plural = _("đăng ký tài khoản chờ xác nhận")

    def __str__(self):
        return f"{self.channel}:{self.destination}"


class Role(models.TextChoices):
    LEADER = "leader", _("Lãnh đạo tiếp công dân")
    RECEPTION_OFFICER = "reception_officer", _("Cán bộ tiếp công dân")
    SECRETARY = "secretary", _("Thư ký")
    INSPECTOR = "inspector", _("Thanh tra, giám sát")
    OFFICE_ADMIN = "office_admin", _("Quản trị cơ quan")


class RoleAssignment(models.Model):
    """A staff role held at one office. What a role lets its holder do is decided in
    ``accounts.permissions`` and nowhere else."""

    user = models.ForeignKey(User, verbose_name=_("người dùng"), on_delete=models.CASCADE,
                             related_name="role_assignments")
    office = models.ForeignKey("offices.Office", verbose_name=_("cơ quan"), on_delete=models.CASCADE,
                               related_name="role_assignments")
    role = models.CharField(_("vai trò"), max_length=32, choices=Role.choices)
    granted_by = models.ForeignKey(
        User, verbose_name=_("người phân công"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("phân công vai trò")
        verbose_name_plural = _("phân công vai trò")
        constraints = [
            models.UniqueConstraint(fields=["user", "office", "role"], name="role_assignment_unique"),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} @ {self.office}"
