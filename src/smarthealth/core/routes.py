"""The application's route table, flattened (FastAPI keeps included routers as nested nodes)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute


@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: frozenset[str]
    route: APIRoute


def _walk(routes: Iterable[BaseRoute]) -> Iterator[RouteInfo]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield RouteInfo(route.path, frozenset(route.methods), route)
        elif hasattr(route, "effective_route_contexts"):
            for context in route.effective_route_contexts():
                original = context.original_route
                if isinstance(original, APIRoute):
                    yield RouteInfo(context.path, frozenset(original.methods), original)


def api_routes(app: FastAPI) -> list[RouteInfo]:
    """Every endpoint with its full path, methods and route object."""
    return list(_walk(app.routes))
