"""The case workflow: the pure state machine over its full table (every legal move, a reasoned refusal for
every illegal one), the same table through the services on PostgreSQL (history, audit), transfer between
tiers (the receiving office's inbox, the sender following its fate), split, links and numbering."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from cases import services, workflow
from cases.models import Case, CaseParty, CaseTransition
from cases.workflow import CaseState, WorkflowError
from core.errors import DomainError
from tests.cases_helpers import CITIZEN, login, make_case, staff

S = CaseState
ALL_STATES = list(S.values)
ACTION_FOR = {state: action for action, state in workflow.ACTIONS.items()}
# How to bring a fresh case (received) to each state.
PATHS = {
    S.RECEIVED: [],
    S.CLASSIFIED: ["classify"],
    S.ACCEPTED: ["classify", "accept"],
    S.VERIFYING: ["classify", "accept", "start_verifying"],
    S.CONCLUDED: ["classify", "accept", "conclude"],
    S.GUIDED: ["classify", "guide"],
    S.TRANSFERRED: ["classify", "transfer"],
    S.FILED: ["classify", "file"],
    S.ENDED: ["classify", "end"],
}


def test_table_is_complete():
    assert set(workflow.TRANSITIONS) == set(ALL_STATES)
    assert set(PATHS) == set(ALL_STATES)
    assert len(workflow.legal_pairs()) == 10
    assert len(workflow.legal_pairs()) + len(workflow.illegal_pairs()) == len(ALL_STATES) ** 2
    assert workflow.FINAL_STATES == {S.CONCLUDED, S.GUIDED, S.TRANSFERRED, S.FILED, S.ENDED}


# --- pure ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("from_state", "to_state"), workflow.legal_pairs())
def test_pure_legal_transition(from_state, to_state):
    workflow.check_transition(from_state, to_state)  # no error
    data = {"target_office": object(), "document_number": "12/CV", "guided_to_body": "Tòa án nhân dân tỉnh"}
    assert workflow.plan(from_state, ACTION_FOR[to_state], data) == to_state


@pytest.mark.parametrize(("from_state", "to_state"), workflow.illegal_pairs())
def test_pure_illegal_transition_is_refused_with_reason(from_state, to_state):
    with pytest.raises(WorkflowError) as caught:
        workflow.check_transition(from_state, to_state)
    error = caught.value
    assert isinstance(error, DomainError) and error.status_code == 400
    expected = ("final_state" if from_state in workflow.FINAL_STATES else "same_state" if from_state == to_state
                else "not_classified" if from_state == S.RECEIVED else "illegal_transition")
    assert error.code == expected
    # The reason names where the case stands and where it was asked to go.
    assert workflow.label(from_state) in error.message and workflow.label(to_state) in error.message
    assert error.field == "action"


@pytest.mark.parametrize(("action", "data", "field"), [
    ("transfer", {"document_number": "5/CV"}, "target_office"),
    ("transfer", {"target_office": object(), "document_number": "  "}, "document_number"),
    ("end", {}, "document_number"),
    ("guide", {"guided_to_body": ""}, "guided_to_body"),
])
def test_pure_requirements(action, data, field):
    with pytest.raises(WorkflowError) as caught:
        workflow.plan(S.CLASSIFIED, action, data)
    assert caught.value.code == "required" and caught.value.field == field


def test_pure_unknown_action_and_split_parts():
    with pytest.raises(WorkflowError) as caught:
        workflow.plan(S.RECEIVED, "destroy")
    assert caught.value.code == "invalid_action"
    kinds, fields = ["complaint", "denunciation"], ["land", "other"]
    with pytest.raises(WorkflowError):
        workflow.validate_split_parts([{"kind": "complaint", "summary": "x"}], kinds, fields)
    with pytest.raises(WorkflowError):
        workflow.validate_split_parts([{"kind": "complaint", "summary": "x"}, {"kind": "bogus", "summary": "y"}],
                                      kinds, fields)
    assert len(workflow.validate_split_parts([{"kind": "complaint", "summary": "a"},
                                              {"kind": "denunciation", "summary": "b", "field": "land"}],
                                             kinds, fields)) == 2


# --- through the services (PostgreSQL) ------------------------------------------------------------------


def _data(office_tree, action):
    return {
        "transfer": {"target_office": office_tree["province01"], "document_number": "15/CV-UBND"},
        "end": {"document_number": "3/TB-UBND"},
        "guide": {"guided_to_body": "Tòa án nhân dân tỉnh", "guidance_document_number": "7/HD"},
        "conclude": {"document_number": "9/KL"},
    }.get(action, {})


def _bring(case, by, office_tree, state):
    for action in PATHS[state]:
        case = services.transition(case, by, action, **_data(office_tree, action))
    return case


@pytest.mark.parametrize(("from_state", "to_state"), workflow.legal_pairs())
def test_service_every_legal_transition(office_tree, make_user, from_state, to_state):
    people = staff(office_tree, make_user)
    officer = people["officer"]
    case = _bring(make_case(office_tree["commune011"], by=officer), officer, office_tree, from_state)
    assert case.state == from_state
    action = ACTION_FOR[to_state]
    services.transition(case, officer, action, **_data(office_tree, action))
    case.refresh_from_db()
    assert case.state == to_state
    last = CaseTransition.objects.filter(case=case).last()
    assert (last.from_state, last.to_state, last.action, last.by_id) == (from_state, to_state, action, officer.pk)
    entry = AuditEntry.objects.filter(action="cases.transition", target_id=str(case.pk)).last()
    assert entry.details["from"] == from_state and entry.details["to"] == to_state
    if to_state == S.FILED:
        assert case.filed_until is not None
    if to_state == S.ENDED:
        assert case.end_document_number and Case.objects.watch_list().filter(pk=case.pk).exists()


ILLEGAL_BY_ACTION = [(a, b) for a, b in workflow.illegal_pairs() if b != S.RECEIVED]


@pytest.mark.parametrize(("from_state", "to_state"), ILLEGAL_BY_ACTION)
def test_service_every_illegal_transition_is_refused(office_tree, make_user, from_state, to_state):
    people = staff(office_tree, make_user)
    officer = people["officer"]
    case = _bring(make_case(office_tree["commune011"], by=officer), officer, office_tree, from_state)
    history = CaseTransition.objects.filter(case=case).count()
    action = ACTION_FOR[to_state]
    with pytest.raises(WorkflowError) as caught:
        services.transition(case, officer, action, **_data(office_tree, action))
    assert caught.value.message
    case.refresh_from_db()
    assert case.state == from_state
    assert CaseTransition.objects.filter(case=case).count() == history


def test_required_inputs_and_permissions(office_tree, make_user):
    people = staff(office_tree, make_user)
    case = services.classify(make_case(office_tree["commune011"], by=people["officer"]), people["officer"])
    with pytest.raises(WorkflowError) as caught:
        services.end_handling(case, people["officer"], document_number="")
    assert caught.value.field == "document_number"
    with pytest.raises(DomainError) as caught:
        services.transfer(case, people["officer"], target_office=office_tree["commune011"], document_number="1/CV")
    assert caught.value.code == "same_office"
    for outsider in (people["other_officer"], people["province_inspector"], people["secretary"]):
        with pytest.raises(DomainError) as caught:
            services.accept(case, outsider)
        assert caught.value.code == "forbidden"
    case.refresh_from_db()
    assert case.state == S.CLASSIFIED


def test_numbering_per_office_and_year(office_tree, make_user):
    people = staff(office_tree, make_user)
    commune = office_tree["commune011"]
    a = make_case(commune, by=people["officer"], received_on=date(2026, 3, 2))
    b = make_case(commune, by=people["officer"], received_on=date(2026, 5, 2))
    c = make_case(commune, by=people["officer"], received_on=date(2027, 1, 4))
    d = make_case(office_tree["commune012"], received_on=date(2026, 3, 2))
    assert [a.number, b.number, c.number, d.number] == [
        "X01001-2026-0001", "X01001-2026-0002", "X01001-2027-0001", "X01002-2026-0001"]


def test_transfer_from_commune_appears_in_province_inbox_and_commune_sees_its_fate(office_tree, make_user):
    people = staff(office_tree, make_user)
    commune_officer, province_officer = people["officer"], people["province_officer"]
    case = services.classify(make_case(office_tree["commune011"], by=commune_officer), commune_officer)

    response = login(commune_officer).post(f"/api/cases/{case.public_id}/transfer/",
                                           {"target_office": "T01", "document_number": "21/CV-UBND"}, format="json")
    assert response.status_code == 200, response.content
    sender = response.json()
    assert sender["state"] == "transferred" and sender["transfer_to_office"] == "T01"
    assert sender["transfer_document_number"] == "21/CV-UBND"
    [linked] = sender["transfers"]
    assert linked["office"] == "T01" and linked["state"] == "received"

    inbox = login(province_officer).get("/api/cases/").json()["results"]
    [row] = [r for r in inbox if r["public_id"] == linked["public_id"]]
    assert row["office"] == "T01" and row["source"] == "transfer" and row["state"] == "received"
    assert row["number"].startswith("T01-")
    received = Case.objects.get(public_id=linked["public_id"])
    assert received.transferred_from_id == case.pk and received.summary == case.summary
    assert [p.full_name for p in received.parties.all()] == [CITIZEN["full_name"]]
    assert CaseParty.objects.filter(case=received).count() == 1

    # The province handles it; the commune follows the fate from its own case.
    client = login(province_officer)
    for action in ("classify", "accept"):
        assert client.post(f"/api/cases/{received.public_id}/transition/", {"action": action},
                           format="json").status_code == 200
    fate = login(commune_officer).get(f"/api/cases/{case.public_id}/").json()["transfers"][0]
    assert fate["state"] == "accepted"
    # The commune cannot act on the province's case, and does not list it.
    assert login(commune_officer).post(f"/api/cases/{received.public_id}/transition/", {"action": "start_verifying"},
                                       format="json").status_code == 403
    assert linked["public_id"] not in [r["public_id"] for r in login(commune_officer).get("/api/cases/").json()["results"]]


def test_split_mixed_matter(office_tree, make_user):
    people = staff(office_tree, make_user)
    case = make_case(office_tree["commune011"], by=people["officer"], summary="Vừa khiếu nại vừa tố cáo")
    parts = services.split_case(case, [
        {"kind": "complaint", "summary": "Khiếu nại quyết định bồi thường", "field": "compensation_site_clearance"},
        {"kind": "denunciation", "summary": "Tố cáo cán bộ nhận tiền", "field": "land"},
    ], by=people["officer"])
    assert [p.kind for p in parts] == ["complaint", "denunciation"]
    assert parts[0].pk == case.pk and parts[1].split_from_id == case.pk
    assert parts[1].office_id == case.office_id and parts[1].parties.count() == 1
    assert parts[1].state == S.RECEIVED and parts[1].acceptance_due is None
    services.accept(services.classify(parts[0], people["officer"]), people["officer"])
    with pytest.raises(WorkflowError):
        services.split_case(parts[0], [{"kind": "complaint", "summary": "a"}, {"kind": "report", "summary": "b"}])


def test_link_previous_and_assign(office_tree, make_user):
    people = staff(office_tree, make_user)
    commune = office_tree["commune011"]
    first = make_case(commune, by=people["officer"], kind="denunciation")
    again = make_case(commune, by=people["officer"], kind="denunciation")
    services.link_previous(again, first, people["officer"])
    again.refresh_from_db()
    assert again.previous_case_id == first.pk
    with pytest.raises(DomainError) as caught:
        services.link_previous(first, again, people["officer"])
    assert caught.value.code == "cycle"
    with pytest.raises(DomainError) as caught:
        services.link_previous(again, make_case(commune, kind="complaint"), people["officer"])
    assert caught.value.code == "kind_mismatch"
    services.assign_handler(again, people["leader"], people["officer2"])
    again.refresh_from_db()
    assert again.handler_id == people["officer2"].pk
    with pytest.raises(DomainError) as caught:
        services.assign_handler(again, people["leader"], people["province_officer"])
    assert caught.value.code == "invalid_handler"


def test_create_case_from_registration(office_tree, make_user):
    from tests.room_helpers import open_room

    room = open_room(office_tree, make_user)
    registration = room["registrations"][0]
    case = services.create_case_from_registration(registration, room["secretary"], field="land")
    assert case.office_id == office_tree["commune011"].pk and case.source == "session"
    assert case.session_id == room["session"].pk and case.registration_id == registration.pk
    assert case.kind == "complaint" and case.field == "land" and case.summary == registration.matter_summary
    [party] = case.parties.all()
    assert party.full_name == room["citizens"][0].full_name and party.user_id == room["citizens"][0].pk
    assert party.id_number == "001085000000" and party.id_number_index
    assert case.received_on == timezone.localtime(room["session"].starts_at).date()
    # The secretary recording the minutes may register the case; a citizen may not.
    with pytest.raises(DomainError) as caught:
        services.create_case_from_registration(registration, room["citizens"][0])
    assert caught.value.code == "forbidden"


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_postgresql(office_tree, make_user):
    """Numbers stay unique under concurrent registration (locked counter row), and two concurrent moves of
    one case cannot both win (locked case row): exactly one accept succeeds."""
    import threading

    from django.db import connection

    assert connection.vendor == "postgresql"
    people = staff(office_tree, make_user)
    commune = office_tree["commune011"]
    numbers, errors = [], []
    barrier = threading.Barrier(6)

    def register():
        try:
            barrier.wait(timeout=10)
            for _ in range(3):
                numbers.append(make_case(commune, by=people["officer"], received_on=date(2026, 3, 2)).number)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=register) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(numbers) == [f"X01001-2026-{n:04d}" for n in range(1, 19)]

    case = services.classify(make_case(commune, by=people["officer"]), people["officer"])
    outcomes = []
    barrier2 = threading.Barrier(2)

    def move(action):
        try:
            barrier2.wait(timeout=10)
            services.transition(case, people["officer"], action, guided_to_body="Tòa án")
            outcomes.append(("ok", action))
        except WorkflowError as exc:
            outcomes.append((exc.code, action))
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=(a,)) for a in ("accept", "guide")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o[0] for o in outcomes) == ["final_state", "ok"] or sorted(o[0] for o in outcomes) == [
        "illegal_transition", "ok"]
    case.refresh_from_db()
    assert CaseTransition.objects.filter(case=case).count() == 3  # create, classify, the winner
