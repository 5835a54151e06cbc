"""Builders for the cases tests: staff of a commune and its province, and cases."""

from __future__ import annotations

from rest_framework.test import APIClient

from accounts.models import Role
from cases import services

COMPLAINT = "Khiếu nại quyết định thu hồi đất nông nghiệp của thôn 3, bồi thường chưa thỏa đáng."
SECRET = "NOI-DUNG-TO-CAO-BI-MAT: cán bộ địa chính xã nhận hối lộ khi cấp sổ đỏ"
DENOUNCER = {"full_name": "Trần Thị Bí Mật", "address": "Số 7 ngõ Kín, thôn Ẩn Danh",
             "id_number": "001190099999", "contact": "0912000111"}
CITIZEN = {"full_name": "Nguyễn Văn Công", "address": "Thôn 3", "id_number": "001085000001",
           "contact": "0987000222"}


def staff(office_tree, make_user) -> dict:
    commune, province = office_tree["commune011"], office_tree["province01"]
    return {
        "leader": make_user(Role.LEADER, commune, full_name="Chủ tịch Xã"),
        "officer": make_user(Role.RECEPTION_OFFICER, commune, full_name="Cán bộ A"),
        "officer2": make_user(Role.RECEPTION_OFFICER, commune, full_name="Cán bộ B"),
        "secretary": make_user(Role.SECRETARY, commune, full_name="Thư ký Xã"),
        "other_officer": make_user(Role.RECEPTION_OFFICER, office_tree["commune012"], full_name="Cán bộ xã khác"),
        "province_officer": make_user(Role.RECEPTION_OFFICER, province, full_name="Cán bộ Tỉnh"),
        "province_leader": make_user(Role.LEADER, province, full_name="Lãnh đạo Tỉnh"),
        "province_inspector": make_user(Role.INSPECTOR, province, full_name="Thanh tra Tỉnh"),
        "central_inspector": make_user(Role.INSPECTOR, office_tree["central"], full_name="Thanh tra TW"),
    }


def make_case(office, by=None, kind="complaint", summary=None, parties=None, **extra):
    if summary is None:
        summary = SECRET if kind == "denunciation" else COMPLAINT
    if parties is None:
        parties = [dict(DENOUNCER if kind == "denunciation" else CITIZEN)]
    return services.create_case(by=by, office=office, kind=kind, summary=summary, parties=parties, **extra)


def login(user) -> APIClient:
    client = APIClient()
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    return client
