"""Health, metrics, sign-in and the error model."""

from tests.conftest import auth


async def test_health_reports_database_kind_and_migration(client, settings):
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] in ("sqlite", "postgresql")
    assert body["migration"] == body["migration_head"]


async def test_token_sign_in_and_wrong_password(client, token_for):
    await token_for("admin")  # creates user admin1 / password123
    form = {"username": "admin1", "password": "password123"}
    ok = await client.post("/api/auth/token", data=form)
    assert ok.status_code == 200
    assert ok.json()["token_type"] == "bearer"
    bad = await client.post("/api/auth/token", data={"username": "admin1", "password": "nope"})
    assert bad.status_code == 401
    error = bad.json()["error"]
    assert error["code"] == "not_authenticated"
    assert error["message_vi"] and error["message_en"]


async def test_validation_errors_use_the_error_model(client):
    response = await client.post("/api/auth/token", data={})
    assert response.status_code == 422
    assert set(response.json()["error"]) == {"code", "message_vi", "message_en", "details"}


async def test_metrics_are_prometheus_text(client):
    await client.get("/health")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert "smarthealth_http_requests_total" in response.text


async def test_home_page_is_vietnamese_by_default_and_switches_to_english(client):
    vi = await client.get("/")
    assert vi.status_code == 200 and 'lang="vi"' in vi.text
    en = await client.get("/?lang=en")
    assert 'lang="en"' in en.text and "Administration" in en.text


async def test_bad_token_is_refused(client):
    response = await client.get("/api/registry/facilities", headers=auth("garbage"))
    assert response.status_code in (401, 404)


async def test_home_links_facility_areas_to_the_signed_in_users_facility(client, make_facility,
                                                                         token_for):
    await make_facility(code="01001")
    token = await token_for("receptionist", "01001")
    page = await client.get("/", headers=auth(token))
    assert 'href="/kiosk/01001"' in page.text and 'href="/reception/01001"' in page.text
    anonymous = await client.get("/")
    assert 'href="/login?next=/kiosk/{facility}"' in anonymous.text


async def test_sign_in_from_a_facility_area_lands_on_the_users_facility(client, make_facility,
                                                                        token_for):
    await make_facility(code="01001")
    await token_for("kiosk", "01001")  # creates user kiosk1 / password123
    response = await client.post("/login", data={"username": "kiosk1", "password": "password123",
                                                  "next": "/kiosk/{facility}"})
    assert response.status_code == 303 and response.headers["location"] == "/kiosk/01001"
