"""Issue 16, item 3: duplicate and repeat detection (cases/duplicates.py) across offices, by the blind index
of the CCCD and by similar content — never telling someone not entitled who denounced."""

from __future__ import annotations

import pytest

from cases import duplicates
from cases import services as case_services
from oversight import services as oversight_services
from tests.cases_helpers import CITIZEN, COMPLAINT, DENOUNCER, SECRET, make_case, staff

PETITION = ("Đề nghị xem xét việc thu hồi đất nông nghiệp tại thôn 3 xã Kinh Bắc, mức bồi thường thấp hơn "
            "giá thị trường và chưa được hỗ trợ chuyển đổi nghề nghiệp cho các hộ dân.")


@pytest.fixture
def people(office_tree, make_user):
    return staff(office_tree, make_user)


def _page(user, case):
    from django.test import Client

    client = Client()
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    response = client.get(f"/lam-viec/vu-viec/{case.public_id}/")
    assert response.status_code == 200
    return response.content.decode()


def test_same_person_across_two_offices_seen_by_the_inspector_above(db, office_tree, people):
    # the same citizen (same CCCD, written with spaces at one office) at two communes of the province
    a = make_case(office_tree["commune011"], by=people["officer"], summary=PETITION,
                  parties=[dict(CITIZEN)])
    b = make_case(office_tree["commune012"], by=people["other_officer"], summary="Một nội dung khác hẳn về điện.",
                  parties=[{**CITIZEN, "id_number": "001 085 000 001", "full_name": "NGUYEN VAN CONG"}])
    # the province's inspector sees both offices: b is the same person as a
    matches = duplicates.find(people["province_inspector"], a)
    assert [(m.case.pk, m.same_person) for m in matches] == [(b.pk, True)]
    html = _page(people["province_inspector"], a)
    assert 'id="duplicates"' in html and b.number in html and "Cùng công dân" in html
    # the commune officer sees only his own office: nothing from the other commune
    assert duplicates.find(people["officer"], a) == []
    assert b.number not in _page(people["officer"], a)


def test_one_petition_sent_to_several_offices_is_found_by_content(db, office_tree, people):
    copies = [make_case(office_tree[c], by=None, summary=PETITION + suffix,
                        parties=[{"full_name": f"Người {i}", "id_number": ""}])
              for i, (c, suffix) in enumerate([("commune011", ""), ("commune012", " Trân trọng."),
                                               ("province01", "")])]
    unrelated = make_case(office_tree["commune012"], by=None, summary=COMPLAINT)
    found = duplicates.find(people["province_inspector"], copies[0])
    assert {m.case.pk for m in found} == {copies[1].pk, copies[2].pk}
    assert all(m.similar and m.similarity >= 0.5 for m in found) and unrelated.pk not in {m.case.pk for m in found}
    # before registering (a letter's form): the same
    before = duplicates.find_for_new(people["province_inspector"], summary=PETITION, id_numbers=[])
    assert {m.case.pk for m in before} == {c.pk for c in copies}


def test_a_denouncer_is_never_revealed_through_a_match(db, office_tree, people):
    """The denouncer (CCCD 001190099999) denounced at commune 012 and files a complaint at commune 011."""
    denunciation = make_case(office_tree["commune012"], by=people["other_officer"], kind="denunciation",
                             parties=[dict(DENOUNCER)])
    complaint = make_case(office_tree["commune011"], by=people["officer"], summary=PETITION,
                          parties=[{**DENOUNCER, "id_number": DENOUNCER["id_number"]}])
    # the province inspector sees both offices' cases, but may not know who denounced: no match either way
    for viewer in (people["province_inspector"], people["province_leader"], people["officer"],
                   people["central_inspector"], people["other_officer"]):
        assert denunciation.pk not in {m.case.pk for m in duplicates.find(viewer, complaint)}, viewer
        assert complaint.pk not in {m.case.pk for m in duplicates.find(viewer, denunciation)}, viewer
    html = _page(people["province_inspector"], complaint)
    assert denunciation.number not in html
    # A similar-content match on the secret content is not shown to the unentitled either.
    twin = make_case(office_tree["commune012"], by=None, summary=SECRET + " (bản sao)", kind="petition",
                     parties=[{"full_name": "Ai Đó", "id_number": ""}])
    assert denunciation.pk not in {m.case.pk for m in duplicates.find(people["province_inspector"], twin)}
    assert denunciation.number not in _page(people["province_inspector"], twin)


def test_the_entitled_head_sees_the_denouncers_other_case_in_her_own_office(db, office_tree, people):
    head = people["leader"]
    denunciation = make_case(office_tree["commune011"], by=people["officer"], kind="denunciation",
                             parties=[dict(DENOUNCER)])
    complaint = make_case(office_tree["commune011"], by=people["officer"], summary=PETITION,
                          parties=[dict(DENOUNCER)])
    assert [m.case.pk for m in duplicates.find(head, complaint)] == [denunciation.pk]
    # an officer of the same office (not the handler) is not entitled: nothing
    assert duplicates.find(people["officer2"], complaint) == []
    assert denunciation.number not in _page(people["officer2"], complaint)


def test_repeated_transfers_on_the_case_and_the_dashboard(db, office_tree, people):
    from datetime import date

    from oversight.periods import Period

    first = make_case(office_tree["commune011"], by=people["officer"], summary=PETITION)
    case_services.classify(first, None)
    second = case_services.transfer(first, None, target_office=office_tree["commune012"], document_number="CV-1")
    case_services.classify(second, None)
    third = case_services.transfer(second, None, target_office=office_tree["province01"], document_number="CV-2")
    assert [duplicates.transfer_count(c) for c in (first, second, third)] == [0, 1, 2]
    html = _page(people["province_leader"], third)
    assert 'data-transfers="2"' in html and "Chuyển đơn nhiều lần" in html
    assert 'data-transfers="1"' in _page(people["province_inspector"], second)
    today = date.today()
    stats = oversight_services.office_stats(office_tree["central"], Period("", today.replace(day=1), today),
                                            today=today)
    assert stats["totals"]["cases"]["repeated_transfers"] == 1
    assert stats["totals"]["cases"]["transferred_in"] == 2
