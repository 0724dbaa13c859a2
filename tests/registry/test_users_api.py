"""Staff accounts through the API: passwords never returned, who may grant which role."""

from tests.conftest import auth
from tests.registry.conftest import facility_body

URL = "/api/registry/users"


async def _facilities(client, admin) -> None:
    await client.post("/api/registry/facilities", json=facility_body("01001"), headers=admin)
    await client.post("/api/registry/facilities", json=facility_body("01002"), headers=admin)


def _user(username: str = "le.thu", role: str = "receptionist", facility: str | None = "01001"
          ) -> dict:
    return {"username": username, "password": "mật-khẩu-đủ-dài", "role": role,
            "facility_code": facility, "full_name": "Lê Thu"}


async def test_admin_creates_an_account_that_can_sign_in(client, admin):
    await _facilities(client, admin)
    response = await client.post(URL, json=_user(), headers=admin)
    assert response.status_code == 201
    body = response.json()
    assert body["facility_code"] == "01001" and "password" not in body
    assert not any("hash" in key for key in body)
    token = await client.post("/api/auth/token",
                              data={"username": "le.thu", "password": "mật-khẩu-đủ-dài"})
    assert token.status_code == 200


async def test_duplicate_username_is_409(client, admin):
    await _facilities(client, admin)
    await client.post(URL, json=_user(), headers=admin)
    response = await client.post(URL, json=_user(), headers=admin)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_username"


async def test_short_password_and_unknown_role_are_refused(client, admin):
    await _facilities(client, admin)
    short = await client.post(URL, json={**_user(), "password": "short"}, headers=admin)
    role = await client.post(URL, json=_user(role="superuser"), headers=admin)
    assert short.status_code == role.status_code == 422


async def test_facility_admin_cannot_create_city_wide_accounts(client, admin, token_for):
    await _facilities(client, admin)
    boss = auth(await token_for("facility_admin", "01001"))
    for role in ("admin", "department_analyst"):
        response = await client.post(URL, json=_user(role=role, facility=None), headers=boss)
        assert response.status_code == 403, role


async def test_facility_admin_cannot_create_accounts_of_another_facility(client, admin,
                                                                        token_for):
    await _facilities(client, admin)
    boss = auth(await token_for("facility_admin", "01001"))
    response = await client.post(URL, json=_user(facility="01002"), headers=boss)
    assert response.status_code == 403


async def test_facility_admin_accounts_default_to_their_facility(client, admin, token_for):
    await _facilities(client, admin)
    boss = auth(await token_for("facility_admin", "01001"))
    response = await client.post(URL, json=_user(facility=None), headers=boss)
    assert response.status_code == 201 and response.json()["facility_code"] == "01001"


async def test_facility_admin_lists_only_own_accounts(client, admin, token_for):
    await _facilities(client, admin)
    await client.post(URL, json=_user("a", facility="01001"), headers=admin)
    await client.post(URL, json=_user("b", facility="01002"), headers=admin)
    boss = auth(await token_for("facility_admin", "01001"))
    page = (await client.get(URL, headers=boss)).json()
    assert {u["facility_code"] for u in page["items"]} == {"01001"}
    assert "b" not in {u["username"] for u in page["items"]}


async def test_disabled_account_can_no_longer_sign_in(client, admin):
    await _facilities(client, admin)
    user = (await client.post(URL, json=_user(), headers=admin)).json()
    response = await client.patch(f"{URL}/{user['id']}", json={"active": False}, headers=admin)
    assert response.status_code == 200 and response.json()["active"] is False
    token = await client.post("/api/auth/token",
                              data={"username": "le.thu", "password": "mật-khẩu-đủ-dài"})
    assert token.status_code == 401


async def test_password_change_takes_effect(client, admin):
    await _facilities(client, admin)
    user = (await client.post(URL, json=_user(), headers=admin)).json()
    await client.patch(f"{URL}/{user['id']}", json={"password": "another-long-one"},
                       headers=admin)
    token = await client.post("/api/auth/token",
                              data={"username": "le.thu", "password": "another-long-one"})
    assert token.status_code == 200


async def test_nobody_disables_their_own_account(client, admin):
    me = (await client.get(URL, headers=admin)).json()["items"][0]
    response = await client.patch(f"{URL}/{me['id']}", json={"active": False}, headers=admin)
    assert response.status_code == 422


async def test_facility_admin_cannot_promote_to_admin(client, admin, token_for):
    await _facilities(client, admin)
    user = (await client.post(URL, json=_user(), headers=admin)).json()
    boss = auth(await token_for("facility_admin", "01001"))
    response = await client.patch(f"{URL}/{user['id']}", json={"role": "admin"}, headers=boss)
    assert response.status_code == 403


async def test_front_line_staff_cannot_read_accounts(client, admin, token_for):
    await _facilities(client, admin)
    cashier = auth(await token_for("cashier", "01001"))
    assert (await client.get(URL, headers=cashier)).status_code == 403
