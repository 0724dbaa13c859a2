"""Property-based: random bodies sent to every create endpoint never cause a server error."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import auth
from tests.registry.conftest import facility_body

WEIRD_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=400)
SCALARS = st.one_of(
    st.none(), st.booleans(), WEIRD_TEXT, st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(
        ["01001", "01002", "99999", "exam", "doctor", "admin", "receptionist", "0" * 12,
         "primary", "city", 70, 4, 1, 2**31, -1, "", " ", "\x00", "Ｐ１０１", "🏥"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(WEIRD_TEXT, inner, max_size=3), max_leaves=6)

FIELDS = {
    "facilities": ["code", "name", "care_level", "tier", "ward_code", "address", "phone",
                   "active"],
    "departments": ["facility_code", "code", "name", "kind", "active"],
    "rooms": ["facility_code", "department_id", "code", "name", "kind", "active"],
    "services": ["facility_code", "code", "name", "kind", "unit", "price_bhyt",
                 "price_service", "room_id", "active"],
    "practitioners": ["facility_code", "full_name", "title", "specialty", "certificate_number",
                      "health_id", "cccd", "staff_user_id", "active"],
    "users": ["username", "password", "role", "facility_code", "full_name", "cccd"],
}
VALID = {
    "facilities": facility_body("01003"),
    "departments": {"facility_code": "01001", "code": "K1", "name": "Khoa", "kind": "lab"},
    "rooms": {"facility_code": "01001", "code": "P1", "name": "Phòng", "kind": "exam"},
    "services": {"facility_code": "01001", "code": "S1", "name": "Dịch vụ", "kind": "lab",
                 "price_bhyt": 1000, "price_service": 2000},
    "practitioners": {"facility_code": "01001", "full_name": "Phạm Minh", "title": "doctor",
                      "certificate_number": "000999/HNO-CCHN"},
    "users": {"username": "u1", "password": "long-enough-1", "role": "nurse",
              "facility_code": "01001"},
}


def bodies(kind: str) -> st.SearchStrategy:
    """Valid bodies with some fields replaced by random values, or wholly random JSON."""
    mutated = st.fixed_dictionaries({}, optional={f: VALUES for f in FIELDS[kind]}).map(
        lambda changes: {**VALID[kind], **changes})
    return st.one_of(mutated, VALUES)


@pytest.fixture
async def headers(client, token_for) -> dict[str, str]:
    """An admin, and facility 01001 for the bodies to refer to (shared by all examples)."""
    admin = auth(await token_for("admin"))
    await client.post("/api/registry/facilities", json=facility_body("01001"), headers=admin)
    return admin


@pytest.mark.parametrize("kind", sorted(FIELDS))
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture],
          deadline=None)
@given(data=st.data())
async def test_create_never_answers_a_server_error(client, headers, kind, data):
    body = data.draw(bodies(kind))
    response = await client.post(f"/api/registry/{kind}", json=body, headers=headers)
    assert response.status_code < 500, (body, response.text)
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["code"] and error["message_vi"] and error["message_en"]


PATCHABLE = {
    "facilities": ("/api/registry/facilities/01001", ["name", "care_level", "tier", "ward_code",
                                                      "address", "phone", "active"]),
    "rooms": ("/api/registry/rooms/{id}", ["department_id", "name", "kind", "active"]),
    "users": ("/api/registry/users/{id}", ["password", "role", "facility_code", "full_name",
                                           "cccd", "active"]),
}


@pytest.fixture
async def targets(client, headers) -> dict[str, str]:
    """One room and one staff account to update, beside facility 01001."""
    room = await client.post("/api/registry/rooms", json=VALID["rooms"], headers=headers)
    user = await client.post("/api/registry/users", json=VALID["users"], headers=headers)
    return {"rooms": str(room.json()["id"]), "users": str(user.json()["id"]), "facilities": ""}


@pytest.mark.parametrize("kind", sorted(PATCHABLE))
@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture],
          deadline=None)
@given(data=st.data())
async def test_update_never_answers_a_server_error(client, headers, targets, kind, data):
    url, fields = PATCHABLE[kind]
    body = data.draw(st.one_of(st.fixed_dictionaries({}, optional={f: VALUES for f in fields}),
                               VALUES))
    response = await client.patch(url.format(id=targets[kind]), json=body, headers=headers)
    assert response.status_code < 500, (body, response.text)


QUERY_VALUES = st.one_of(WEIRD_TEXT, st.integers(min_value=-(10**20), max_value=10**20)
                         .map(str), st.sampled_from(["", "true", "01001", "exam", "0", "201"]))


@pytest.mark.parametrize("kind", sorted(FIELDS))
@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture],
          deadline=None)
@given(data=st.data())
async def test_list_filters_never_cause_a_server_error(client, headers, kind, data):
    names = ["page", "page_size", "q", "active", "facility_code", "kind", "care_level", "tier",
             "ward_code"]
    params = data.draw(st.fixed_dictionaries({}, optional={n: QUERY_VALUES for n in names}))
    response = await client.get(f"/api/registry/{kind}", params=params, headers=headers)
    assert response.status_code < 500, (params, response.text)
