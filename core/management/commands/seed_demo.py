"""Demo accounts for every role, for the embedded development platform (``make run``).

Passwords are random, printed on the first run and kept in ``var/demo-accounts.txt`` (mode 600); later
runs change nothing and point at that file. Never run this against a production database.
"""

import secrets

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import services as account_services
from accounts.models import Role, User
from offices.models import Office

DEMO = [
    # username, full name, office code (None: citizen), role
    ("admin", "Quản trị hệ thống", None, "superuser"),
    ("tw.lanhdao", "Nguyễn Văn Trung", "TW", Role.LEADER),
    ("tw.thanhtra", "Trần Thị Thanh", "TW", Role.INSPECTOR),
    ("hn.lanhdao", "Lê Văn Hà", "T01", Role.LEADER),
    ("hn.thanhtra", "Phạm Thị Tra", "T01", Role.INSPECTOR),
    ("hn.quantri", "Hoàng Văn Trị", "T01", Role.OFFICE_ADMIN),
    ("badinh.chutich", "Đỗ Văn Chủ", "X00004", Role.LEADER),
    ("badinh.canbo", "Vũ Thị Cán", "X00004", Role.RECEPTION_OFFICER),
    ("badinh.thuky", "Bùi Thị Ký", "X00004", Role.SECRETARY),
    ("0912345678", "Ngô Thị Dân", None, "citizen"),
]


class Command(BaseCommand):
    help = "Create demo accounts for every role (development only)."

    def handle(self, *args, **options):
        accounts_file = settings.VAR_DIR / "demo-accounts.txt"
        if User.objects.filter(username="admin").exists():
            self.stdout.write(f"Demo accounts exist; their passwords are in {accounts_file}")
            return
        if not Office.objects.filter(code="X00004").exists():
            raise CommandError("Run `manage.py seed_offices` first.")
        lines = []
        with transaction.atomic():
            for username, full_name, office_code, role in DEMO:
                password = secrets.token_urlsafe(9)
                if role == "superuser":
                    User.objects.create_superuser(username, password, full_name=full_name)
                elif role == "citizen":
                    user = User.objects.create_user(username="+84912345678", password=password,
                                                    full_name=full_name, phone="+84912345678")
                    account_services.set_identity_document(user, "cccd", "001085012345", "Phường Ba Đình, Hà Nội")
                    username = "0912345678"
                else:
                    user = User.objects.create_user(username, password, full_name=full_name)
                    account_services.grant_role(None, user, Office.objects.get(code=office_code), role)
                lines.append(f"{role:<18} {username:<16} {password:<14} {office_code or ''}")
            self._demo_contacts()
            self._demo_schedule()
        text = "role               login            password       office\n" + "\n".join(lines) + "\n"
        accounts_file.write_text(text)
        accounts_file.chmod(0o600)
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (also saved in {accounts_file}):"))
        self.stdout.write(text)

    def _demo_contacts(self):
        """Address, phone and reception hours of the three demo offices (shown on their public pages)."""
        from offices import services as office_services

        contacts = {
            "TW": {"address": "Số 1 Ngô Thì Nhậm, phường Hà Đông, Hà Nội", "phone": "024 3000 0001",
                   "reception_hours": "Thứ Hai đến thứ Sáu: sáng 7 giờ 30 – 11 giờ 30, chiều 13 giờ 30 – 16 giờ 30"},
            "T01": {"address": "Số 10 Lê Lai, phường Hoàn Kiếm, Hà Nội", "phone": "024 3000 0002",
                    "reception_hours": "Thứ Hai đến thứ Sáu: sáng 8 giờ – 11 giờ 30, chiều 13 giờ 30 – 17 giờ\n"
                                       "Lãnh đạo thành phố tiếp định kỳ ngày 20 hằng tháng"},
            "X00004": {"address": "Số 25 Liễu Giai, phường Ba Đình, Hà Nội", "phone": "024 3000 0003",
                       "reception_place": "Phòng tiếp công dân, tầng 1, trụ sở Ủy ban nhân dân phường",
                       "reception_hours": "Thứ Hai đến thứ Sáu: sáng 7 giờ 30 – 11 giờ 30\n"
                                          "Chủ tịch tiếp định kỳ sáng thứ Năm hằng tuần"},
        }
        for code, values in contacts.items():
            office_services.update_contact(None, Office.objects.get(code=code), **values)

    def _demo_schedule(self):
        """Periodic plans for the Ba Đình commune and Hà Nội, materialised and published where on time,
        and an ad-hoc session connecting the three tiers."""
        from datetime import datetime, time, timedelta

        from django.utils import timezone

        from scheduling.services import plans
        from sessions import services as session_services

        commune, province, central = (Office.objects.get(code=c) for c in ("X00004", "T01", "TW"))
        today = timezone.localdate()
        plans.create_plan(by=None, office=commune, leader=User.objects.get(username="badinh.chutich"),
                          title="Tiếp công dân định kỳ của Chủ tịch UBND phường Ba Đình",
                          rrule="FREQ=MONTHLY;BYMONTHDAY=10,25", starts_on=today, start_time=time(8),
                          end_time=time(11, 30), sites=[(province, None)], slot_capacity=2,
                          tentative_content="Tiếp nhận khiếu nại, kiến nghị về đất đai, trật tự xây dựng.")
        plans.create_plan(by=None, office=province, leader=User.objects.get(username="hn.lanhdao"),
                          title="Tiếp công dân định kỳ của Chủ tịch UBND Thành phố Hà Nội",
                          rrule="FREQ=MONTHLY;BYMONTHDAY=15", starts_on=today, start_time=time(8),
                          end_time=time(11))
        plans.materialize()
        plans.publish_due()
        day = today + timedelta(days=14)
        starts = timezone.make_aware(datetime.combine(day, time(14)))
        adhoc = session_services.create_session(
            by=None, kind="adhoc", adhoc_reason="many_people", host_office=commune,
            host=User.objects.get(username="badinh.chutich"), title="Tiếp đột xuất: vụ việc đông người",
            starts_at=starts, ends_at=starts + timedelta(hours=2), slot_minutes=30, slot_capacity=3,
            sites=[(province, None), (central, None)],
            tentative_content="Đối thoại với các hộ dân về bồi thường, giải phóng mặt bằng.")
        session_services.publish(adhoc, None, reason="Vụ việc đông người, cần tiếp ngay")
