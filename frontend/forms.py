from django import forms
from django.utils.translation import gettext_lazy as _


class SignupForm(forms.Form):
    full_name = forms.CharField(label=_("Họ và tên"), max_length=255)
    identifier = forms.CharField(label=_("Số điện thoại hoặc thư điện tử"), max_length=254)
    password = forms.CharField(label=_("Mật khẩu"), widget=forms.PasswordInput, max_length=128, strip=False)


class VerifyForm(forms.Form):
    code = forms.CharField(label=_("Mã xác minh"), max_length=12,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))


class LoginForm(forms.Form):
    identifier = forms.CharField(label=_("Số điện thoại hoặc thư điện tử"), max_length=254)
    password = forms.CharField(label=_("Mật khẩu"), widget=forms.PasswordInput, max_length=128, strip=False)
