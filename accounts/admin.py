from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.forms import StaffChangeForm, StaffCreationForm
from accounts.models import CitizenProfile, RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    raw_id_fields = ("office", "granted_by")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = StaffChangeForm
    add_form = StaffCreationForm
    ordering = ("username",)
    list_display = ("username", "full_name", "email", "phone", "is_active", "is_staff")
    search_fields = ("username", "full_name", "email", "phone")
    list_filter = ("is_active", "is_staff", "is_superuser", "role_assignments__role")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Thông tin"), {"fields": ("full_name", "email", "phone", "email_verified_at", "phone_verified_at")}),
        (_("Quyền"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Thời gian"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "full_name", "email", "password1", "password2")}),
    )
    inlines = [RoleAssignmentInline]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "office", "created_at")
    list_filter = ("role", "office__tier")
    search_fields = ("user__username", "user__full_name", "office__name", "office__code")
    raw_id_fields = ("user", "office", "granted_by")


@admin.register(CitizenProfile)
class CitizenProfileAdmin(admin.ModelAdmin):
    """The ID number is never shown here: it is personal data, encrypted at rest."""

    list_display = ("user", "id_document_type", "updated_at")
    fields = ("user", "address", "id_document_type")
    readonly_fields = ("user",)
    search_fields = ("user__username", "user__full_name")
