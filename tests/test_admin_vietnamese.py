"""The Django admin reads Vietnamese (issue 17): app and model names through gettext, third-party apps
(django-axes, django-vi-address) renamed by core.third_party; English under /en/ where Django serves it."""

import re

import pytest

ENGLISH_NAMES = ["Accounts", "Axes", "Vi_Address", "Citys", "Wards", "Case alerts", "Office notices",
                 "Recordings", "Reception sessions", "Scheduling", "Workdays", "Notifications", "Offices",
                 "Access attempts", "Access logs", "Access failures", "Media"]


@pytest.mark.django_db
def test_admin_index_has_no_english_app_or_model_names(client, make_user):
    superuser = make_user(is_superuser=True, is_staff=True, full_name="Quản trị hệ thống")
    client.force_login(superuser)
    response = client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    shown = re.findall(r'<(?:caption|th scope="row")[^>]*>\s*<a [^>]*>([^<]+)</a>', html)
    assert shown, "the index lists apps and models"
    english = [name for name in shown if name.strip() in ENGLISH_NAMES]
    assert not english, english
    for vietnamese in ("Chống dò mật khẩu", "Đơn vị hành chính", "Cảnh báo hạn giải quyết",
                       "Thông báo nội bộ của cơ quan", "Phiên tiếp công dân", "Lần thử đăng nhập",
                       "Tỉnh, thành phố"):
        assert vietnamese in html, vietnamese
