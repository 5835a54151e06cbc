from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm

from accounts.models import User


class _BlankIsNullMixin:
    """E-mail and phone are unique when present: an empty input is stored as NULL, not ''."""

    def clean_email(self):
        return (self.cleaned_data.get("email") or "").lower() or None

    def clean_phone(self):
        return self.cleaned_data.get("phone") or None


class StaffCreationForm(_BlankIsNullMixin, BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("username", "full_name", "email")


class StaffChangeForm(_BlankIsNullMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
