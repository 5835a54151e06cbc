"""The permission matrix: every role × {own, child, sibling, parent office} × {view, change}."""

import pytest

from accounts import permissions
from accounts.models import Role
from accounts.permissions import Action

# The user holds the role at province T01. Relations: own = T01, child = commune X01001 under T01,
# sibling = province T02, parent = the central office.
RELATION_TO_OFFICE = {"own": "province01", "child": "commune011", "sibling": "province02", "parent": "central"}

EXPECTED = {
    #                      view: own, child, sibling, parent   change: own, child, sibling, parent
    Role.LEADER:            ((1, 0, 0, 0), (0, 0, 0, 0)),
    Role.RECEPTION_OFFICER: ((1, 0, 0, 0), (0, 0, 0, 0)),
    Role.SECRETARY:         ((1, 0, 0, 0), (0, 0, 0, 0)),
    Role.INSPECTOR:         ((1, 1, 0, 0), (0, 0, 0, 0)),
    Role.OFFICE_ADMIN:      ((1, 1, 0, 0), (1, 1, 0, 0)),
}

CASES = [
    (role, relation, action, bool(EXPECTED[role][a][r]))
    for role in Role
    for r, relation in enumerate(RELATION_TO_OFFICE)
    for a, action in enumerate((Action.OFFICE_VIEW, Action.OFFICE_CHANGE))
]


def test_matrix_covers_every_role():
    assert set(EXPECTED) == set(Role)


@pytest.mark.parametrize("role,relation,action,expected", CASES,
                         ids=[f"{r}-{rel}-{a}" for r, rel, a, _ in CASES])
def test_permission_matrix(office_tree, make_user, role, relation, action, expected):
    user = make_user(role, office_tree["province01"])
    target = office_tree[RELATION_TO_OFFICE[relation]]
    assert permissions.can(user, action, target) is expected
    # The list used by views agrees with the single-object answer.
    assert permissions.offices_for(user, action).filter(pk=target.pk).exists() is expected


def test_central_inspector_sees_every_office(office_tree, make_user):
    inspector = make_user(Role.INSPECTOR, office_tree["central"])
    for office in office_tree.values():
        assert permissions.can(inspector, Action.OFFICE_VIEW, office)
        assert not permissions.can(inspector, Action.OFFICE_CHANGE, office)


def test_commune_inspector_does_not_see_province(office_tree, make_user):
    inspector = make_user(Role.INSPECTOR, office_tree["commune011"])
    assert permissions.can(inspector, Action.OFFICE_VIEW, office_tree["commune011"])
    assert not permissions.can(inspector, Action.OFFICE_VIEW, office_tree["province01"])
    assert not permissions.can(inspector, Action.OFFICE_VIEW, office_tree["commune012"])


def test_citizen_and_anonymous_have_no_office_rights(office_tree, make_user):
    from django.contrib.auth.models import AnonymousUser

    citizen = make_user()
    for user in (citizen, AnonymousUser()):
        for action in permissions.OFFICE_ACTIONS:
            assert not permissions.can(user, action, office_tree["commune011"])
        assert not permissions.can(user, Action.ENGAGEMENT_MANAGE, make_user(Role.LEADER, office_tree["commune011"]))


def test_rules_refuse_objects_of_the_wrong_kind(office_tree, make_user):
    admin = make_user(Role.OFFICE_ADMIN, office_tree["province01"])
    assert not permissions.can(admin, Action.SESSION_VIEW, office_tree["commune011"])
    assert not permissions.can(admin, Action.ENGAGEMENT_MANAGE, office_tree["commune011"])
    with pytest.raises(ValueError):
        permissions.offices_for(admin, Action.SESSION_VIEW)


def test_inactive_user_loses_everything(office_tree, make_user):
    admin = make_user(Role.OFFICE_ADMIN, office_tree["province01"])
    admin.is_active = False
    assert not permissions.can(admin, Action.OFFICE_VIEW, office_tree["province01"])


def test_superuser_may_do_everything(office_tree, make_user):
    from accounts.models import User

    root = User.objects.create_superuser("root", "x-pass-12345", full_name="Root")
    assert all(permissions.can(root, a, office_tree["commune022"]) for a in permissions.OFFICE_ACTIONS)


def test_notices_only_at_own_office(office_tree, make_user):
    inspector = make_user(Role.INSPECTOR, office_tree["province01"])
    assert permissions.can(inspector, Action.OFFICE_POST_NOTICE, office_tree["province01"])
    assert not permissions.can(inspector, Action.OFFICE_POST_NOTICE, office_tree["commune011"])


def test_role_grant_is_scoped(office_tree, make_user):
    from accounts.services import AccountError, grant_role

    admin = make_user(Role.OFFICE_ADMIN, office_tree["province01"])
    someone = make_user()
    grant_role(admin, someone, office_tree["commune011"], Role.SECRETARY)
    with pytest.raises(AccountError) as refused:
        grant_role(admin, someone, office_tree["province02"], Role.SECRETARY)
    assert refused.value.code == "forbidden"
