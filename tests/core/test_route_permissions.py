"""No route is open by accident: every route names its roles, and every other role is refused."""

import re

import pytest

from smarthealth.core.auth import PUBLIC_PATHS, Role
from smarthealth.core.routes import RouteInfo, api_routes
from tests.conftest import auth


def _allowed_roles(info: RouteInfo) -> frozenset | None:
    """The roles of the route's `allow(...)` dependency, found anywhere in its dependency tree."""
    stack = [info.route.dependant]
    while stack:
        dependant = stack.pop()
        roles = getattr(dependant.call, "allowed_roles", None)
        if roles is not None:
            return roles
        stack.extend(dependant.dependencies)
    return None


def _protected_routes(app) -> list[RouteInfo]:
    return [r for r in api_routes(app) if r.path not in PUBLIC_PATHS]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "01001", path)


def test_every_route_is_public_on_purpose_or_names_its_roles(app):
    unguarded = [f"{sorted(r.methods)} {r.path}" for r in _protected_routes(app)
                 if _allowed_roles(r) is None]
    assert unguarded == [], f"routes without a role dependency: {unguarded}"


def test_public_list_holds_only_routes_that_exist(app):
    paths = {r.path for r in api_routes(app)}
    assert {"/", "/health", "/login", "/api/auth/token"} <= paths


async def test_every_protected_route_refuses_anonymous_requests(app, client):
    for route in _protected_routes(app):
        for method in route.methods - {"HEAD", "OPTIONS"}:
            response = await client.request(method, _concrete(route.path),
                                            headers={"accept": "application/json"})
            assert response.status_code == 401, f"{method} {route.path} -> {response.status_code}"
            assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("role", [r.value for r in Role])
async def test_every_protected_route_refuses_roles_it_does_not_name(app, client, make_facility,
                                                                    token_for, role):
    await make_facility(code="01001")
    headers = auth(await token_for(role, "01001"))
    for route in _protected_routes(app):
        if Role(role) in _allowed_roles(route):
            continue
        for method in route.methods - {"HEAD", "OPTIONS"}:
            response = await client.request(method, _concrete(route.path), headers=headers)
            assert response.status_code == 403, f"{role}: {method} {route.path}"


def test_every_database_session_commits_before_the_response_is_sent(app):
    from smarthealth.core.deps import db_session

    late = []
    for info in api_routes(app):
        stack = [info.route.dependant]
        while stack:
            dependant = stack.pop()
            if dependant.call is db_session and dependant.scope != "function":
                late.append(info.path)
            stack.extend(dependant.dependencies)
    assert late == [], f"use Depends(db_session, scope='function') in: {sorted(set(late))}"
