"""Builds an open room in the database of the current settings, for a server started without pytest (the
embedded-default test: a Daphne on SQLite without Redis, ``make run``'s configuration). Run it with
``manage.py shell -c "from tests.embedded_room import build; build()"``; it prints the room as JSON."""

from __future__ import annotations

import json


def build() -> None:
    from accounts.models import User
    from offices.models import Office, OfficeKind, Tier
    from tests.conftest import _password_hash
    from tests.room_helpers import join_token, open_room

    def make(code, tier, kind, parent=None):
        path = (parent.path if parent else "") + code + "/"
        return Office.objects.create(code=code, name=f"Office {code}", tier=tier, kind=kind, parent=parent, path=path)

    central = make("TW", Tier.CENTRAL, OfficeKind.CENTRAL_RECEPTION_OFFICE)
    tree = {"central": central}
    for p in ("01", "02"):
        province = tree[f"province{p}"] = make(f"T{p}", Tier.PROVINCIAL, OfficeKind.RECEPTION_BOARD, central)
        for c in ("1", "2"):
            tree[f"commune{p}{c}"] = make(f"X{p}00{c}", Tier.COMMUNE, OfficeKind.RECEPTION_POINT, province)
    counter = iter(range(1, 1000))

    def make_user(role=None, office=None, **extra):
        from accounts.services import grant_role

        n = next(counter)
        user = User.objects.create(username=f"embedded{n}", password=_password_hash("S3cure-pass-word"),
                                   full_name=extra.pop("full_name", f"Người Dùng {n}"), **extra)
        if role:
            grant_role(None, user, office, role)
        return user

    room = open_room(tree, make_user)
    print(json.dumps({"session": str(room["session"].public_id), "host": room["host"].username,
                      "token": join_token(room["registrations"][0])}))
