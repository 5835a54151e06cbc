from django import forms
from django.utils.translation import gettext_lazy as _


class SignupForm(forms.Form):
    full_name = forms.CharField(label=_("Họ và tên"), max_length=255,
                                help_text=_("Ghi đúng như trên giấy tờ tùy thân."),
                                widget=forms.TextInput(attrs={"autocomplete": "name"}))
    identifier = forms.CharField(
        label=_("Số điện thoại hoặc thư điện tử"), max_length=254,
        help_text=_("Mã xác minh sẽ được gửi đến đây. Ví dụ: 0912345678 hoặc ten@example.com"),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}))
    password = forms.CharField(label=_("Mật khẩu"), max_length=128, strip=False,
                               help_text=_("Ít nhất 8 ký tự, không chỉ gồm chữ số, không quá dễ đoán."),
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class VerifyForm(forms.Form):
    code = forms.CharField(label=_("Mã xác minh"), max_length=12,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))


class LoginForm(forms.Form):
    identifier = forms.CharField(
        label=_("Số điện thoại, thư điện tử hoặc tên đăng nhập"), max_length=254,
        help_text=_("Công dân: số điện thoại hoặc thư điện tử đã đăng ký. Cán bộ: tên đăng nhập được cấp."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}))
    password = forms.CharField(label=_("Mật khẩu"), max_length=128, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
