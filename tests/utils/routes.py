"""The app's route table, as the tests that must cover every route read it."""

from __future__ import annotations

import re

from fastapi import FastAPI

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI before 0.165 keeps a flat list of routes

    def iter_route_contexts(routes):  # type: ignore[no-redef]
        return routes


# {name} or {name:converter}
PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")


def routes(app: FastAPI) -> list[tuple[str, str]]:
    """Return (method, path) of every route the app serves (HEAD aside), sorted."""
    found = set()
    for route in iter_route_contexts(app.routes):
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                found.add((method, route.path))
    return sorted(found)


def query_parameters(app: FastAPI, method: str, path: str) -> list[str]:
    """Return the names of the query parameters the OpenAPI document declares for a route."""
    operation = app.openapi()["paths"].get(path, {}).get(method.lower(), {})
    return [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]


def fill(path: str, values: dict[str, str]) -> str:
    """Put values in a path template; a parameter without a value fails the test that asked."""
    return PARAMETER.sub(lambda m: values[m.group(1)], path)
