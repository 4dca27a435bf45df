"""schemathesis against the app's own /openapi.json, as every role: no 5xx, no schema error, no
answer that breaks its declared schema, status or content type.

Each operation gets POSITIVE examples that fit the schema and NEGATIVE ones that break it; half
the cases have their path parameters replaced by names that exist (the wave, its comune, real
layers, stored runs), so that requests reach past the 404 of a random wave code. The role of
each case is drawn too. The figures are printed (`pytest -s`) and asserted.
"""

from __future__ import annotations

import warnings
from collections import Counter, defaultdict

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.utils.routes import PARAMETER, routes
from tests.utils.world import COMUNE, EMPTY_WAVE, ROLES, WAVE, build_world

pytestmark = pytest.mark.database("own")

# Examples per operation and mode: about 1,700 cases, a minute or so on two busy cores.
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 10}
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
LAYERS = ["comuni", "comuni_2023", "indicators_comune", "indicators_italy",
          "informal_settlements", "case_areas", "hotspots", "follow_up"]  # fmt: skip


@pytest.fixture(scope="module")
def world(engine):
    return build_world(engine)


@pytest.fixture(scope="module")
def served(app, world):
    # The lifespan runs once: schemathesis's own client then reaches the live app state.
    with TestClient(app):
        yield app


def _real(world) -> st.SearchStrategy[dict[str, str]]:
    names = {
        "survey_code": [WAVE, EMPTY_WAVE], "code": [WAVE, EMPTY_WAVE],
        "comune_code": [COMUNE, "071024"], "collection_id": LAYERS, "layer": LAYERS,
        "feature_id": [COMUNE, "1"], "run_id": [str(world.run), str(world.published_run)],
    }  # fmt: skip
    return st.fixed_dictionaries({k: st.sampled_from(v) for k, v in names.items()})


def _failure(exc: BaseException) -> str:
    return " | ".join(str(exc).splitlines())[:300]


def _explore(operation, mode, examples: int, world, stats: Counter, found: dict) -> None:
    """Call one operation with `examples` generated cases, counting and collecting failures."""

    @given(
        case=operation.as_strategy(generation_mode=mode),
        role=st.sampled_from(ROLES),
        real=_real(world),
        use_real=st.booleans(),
    )
    @settings(
        max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    def call(case, role, real, use_real):
        if use_real:
            for name in case.path_parameters or {}:
                case.path_parameters[name] = real.get(name, case.path_parameters[name])
        stats["cases"] += 1
        try:
            response = case.call(headers=world.headers[role])
        except Exception as exc:  # an unhandled error inside the app: a 500 to a client
            stats["5xx"] += 1
            found[f"{operation.label} as {role}"].add(_failure(exc))
            return
        stats["5xx"] += response.status_code >= 500
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:
            found[f"{operation.label} as {role}"].add(_failure(exc))

    try:
        call()
    except Unsatisfiable:
        stats["operations with nothing to break"] += 1  # negative mode, nothing to negate


def test_every_path_parameter_is_declared(served):
    """A path template's parameters are declared by each of its operations (OpenAPI 3.1)."""
    undeclared = [
        f"{method.upper()} {path}"
        for path, operations in served.openapi()["paths"].items()
        for method, operation in operations.items()
        if {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        != set(PARAMETER.findall(path))
    ]

    assert not undeclared


def test_schemathesis_finds_nothing(served, world):
    warnings.simplefilter("ignore")
    schema = schemathesis.openapi.from_asgi("/openapi.json", served)
    stats: Counter[str] = Counter()
    found: dict[str, set[str]] = defaultdict(set)
    labels = set()
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            stats["schema errors"] += 1
            found["schema"].add(_failure(result.err()))
            continue
        operation = result.ok()
        labels.add((operation.method.upper(), operation.path))
        for mode, examples in EXAMPLES.items():
            _explore(operation, mode, examples, world, stats, found)

    served_routes = {r for r in routes(served) if r[1] in served.openapi()["paths"]}
    print(f"\nschemathesis: {len(labels)} operations, {dict(stats)}")
    assert labels == served_routes
    assert stats["cases"] >= 10 * len(labels)
    assert stats["5xx"] == 0 and stats["schema errors"] == 0
    assert not found, dict(found)
