"""Who may call what: every route of the app, for every kind of caller, from one table.

The routes come from the app's route table, so a new route cannot escape: one missing from
MATRIX fails the test. Each (route, role) expects one outcome class:
- `ok`: allowed (whatever the answer then says: 200, 201, a 409 for a duplicate, a 428);
- `401`, `403`: refused for want of a credential, or of a role;
- `unknown`: a hidden layer, answered exactly as a layer that does not exist (404; WFS: the
  InvalidParameterValue of an unknown type name).
Layer routes are asked for a restricted layer (`informal_settlements` on a wave's doors, the
test layer `secret_points` on the reference doors). Whatever the outcome, no answer to an
anonymous caller carries a settlement location or the respondent's personal data, and no answer
to an analyst carries personal data.
"""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from app.main import create_app
from app.web.assets import load_build
from tests.utils.documents import document
from tests.utils.layers import SECRET, registered_test_layers
from tests.utils.routes import fill, routes
from tests.utils.world import COMUNE, RESPONDENT, ROLES, SECRETS, WAVE, build_world

pytestmark = pytest.mark.database("own")

OK, NO_TOKEN, NO_ROLE, UNKNOWN = "ok", "401", "403", "unknown"
EVERYONE = dict.fromkeys(ROLES, OK)
CALLERS = {"anonymous": NO_TOKEN, "respondent": OK, "analyst": OK, "admin": OK}
ANALYSTS = {"anonymous": NO_TOKEN, "respondent": NO_ROLE, "analyst": OK, "admin": OK}
ADMINS = {"anonymous": NO_TOKEN, "respondent": NO_ROLE, "analyst": NO_ROLE, "admin": OK}
WRITERS = {"anonymous": NO_TOKEN, "respondent": OK, "analyst": NO_ROLE, "admin": OK}
HIDDEN = {"anonymous": UNKNOWN, "respondent": UNKNOWN, "analyst": OK, "admin": OK}

S = "/surveys/{code}"
R = "/api/v1/surveys/{survey_code}"
MATRIX: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/openapi.json"): EVERYONE,
    ("GET", "/docs"): EVERYONE,  # Swagger UI, served from this app
    ("GET", "/redoc"): EVERYONE,
    ("GET", "/"): EVERYONE,  # leads to the atlas
    ("GET", "/map"): EVERYONE,  # the atlas; an analyst's token stays in the browser
    ("GET", "/health"): EVERYONE,
    ("GET", "/api/v1/comuni"): EVERYONE,
    ("GET", "/api/v1/comuni/at"): EVERYONE,
    ("GET", "/api/v1/comuni/{code}"): EVERYONE,
    ("GET", "/api/v1/surveys"): EVERYONE,
    ("GET", "/api/v1/surveys/{code}"): EVERYONE,
    ("GET", "/api/v1/me"): CALLERS,  # a caller learns its own token's facts, nothing else
    ("GET", "/questionnaire/{survey_code}"): EVERYONE,  # the page; the token stays in the browser
    ("GET", "/static/{name:path}"): EVERYONE,
    ("POST", "/api/v1/surveys"): ADMINS,
    ("POST", f"{R}/responses"): WRITERS,
    ("GET", f"{R}/responses"): ANALYSTS,
    ("GET", f"{R}/responses/{{comune_code}}"): CALLERS,  # the respondent's own comune
    ("PUT", f"{R}/responses/{{comune_code}}"): WRITERS,
    ("GET", f"{R}/responses/{{comune_code}}/revisions"): CALLERS,
    ("GET", f"{R}/indicators"): EVERYONE,  # the public view has small counts withheld
    ("GET", f"{R}/indicators/classes"): EVERYONE,  # breaks of the public figures only
    ("GET", f"{R}/progress"): EVERYONE,  # counts of comuni and shares, nothing personal
    ("GET", f"{R}/follow-up"): ANALYSTS,
    ("GET", f"{R}/presence-model"): ANALYSTS,
    ("GET", f"{R}/hotspots"): ANALYSTS,
    ("GET", f"{R}/hotspots/pin"): ANALYSTS,
    ("POST", f"{R}/hotspots/pin"): ANALYSTS,
    ("DELETE", f"{R}/hotspots/pin"): ANALYSTS,
    ("GET", f"{R}/clusters"): ANALYSTS,
    ("POST", f"{R}/case-areas"): ANALYSTS,
    ("GET", f"{R}/case-areas"): ANALYSTS,
    ("GET", f"{R}/case-areas/published"): EVERYONE,
    ("GET", f"{R}/case-areas/compare"): ANALYSTS,
    ("GET", f"{R}/case-areas/{{run_id}}"): ANALYSTS,
    ("GET", f"{R}/case-areas/{{run_id}}/trace"): ANALYSTS,
    ("POST", f"{R}/case-areas/{{run_id}}/publish"): ANALYSTS,
    ("GET", "/wfs"): HIDDEN,
    ("POST", "/wfs"): HIDDEN,
    ("GET", f"{S}/wfs"): HIDDEN,
    ("POST", f"{S}/wfs"): HIDDEN,
    ("GET", "/ogc"): EVERYONE,
    ("GET", f"{S}/ogc"): EVERYONE,
    ("GET", "/ogc/api"): EVERYONE,
    ("GET", f"{S}/ogc/api"): EVERYONE,
    ("GET", "/ogc/conformance"): EVERYONE,
    ("GET", f"{S}/ogc/conformance"): EVERYONE,
    ("GET", "/ogc/collections"): EVERYONE,
    ("GET", f"{S}/ogc/collections"): EVERYONE,
    ("GET", "/ogc/collections/{collection_id}"): HIDDEN,
    ("GET", f"{S}/ogc/collections/{{collection_id}}"): HIDDEN,
    ("GET", "/ogc/collections/{collection_id}/queryables"): HIDDEN,
    ("GET", f"{S}/ogc/collections/{{collection_id}}/queryables"): HIDDEN,
    ("GET", "/ogc/collections/{collection_id}/items"): HIDDEN,
    ("GET", f"{S}/ogc/collections/{{collection_id}}/items"): HIDDEN,
    ("GET", "/ogc/collections/{collection_id}/items/{feature_id}"): HIDDEN,
    ("GET", f"{S}/ogc/collections/{{collection_id}}/items/{{feature_id}}"): HIDDEN,
    ("GET", "/tiles"): EVERYONE,
    ("GET", f"{S}/tiles"): EVERYONE,
    ("GET", "/tiles/{layer}/tilejson.json"): HIDDEN,
    ("GET", f"{S}/tiles/{{layer}}/tilejson.json"): HIDDEN,
    ("GET", "/tiles/{layer}/{z}/{x}/{y}.mvt"): HIDDEN,
    ("GET", f"{S}/tiles/{{layer}}/{{z}}/{{x}}/{{y}}.mvt"): HIDDEN,
    ("GET", "/exports"): EVERYONE,
    ("GET", f"{S}/exports"): EVERYONE,
    ("GET", "/exports/{layer}.{ext}"): HIDDEN,
    ("GET", f"{S}/exports/{{layer}}.{{ext}}"): HIDDEN,
}

# The route table, read without a database.
ROUTES = routes(create_app("postgresql://unused/unused"))
# 15.371234 41.654321 (the settlement) at zoom 14, so that a tile would hold it.
TILE = {"z": "14", "x": "8891", "y": "6061"}
QUERIES = {
    "/api/v1/comuni": "q=san severo",
    "/api/v1/comuni/at": "lon=15.38&lat=41.69",
    "/hotspots": "indicator=informal_persons_mid&permutations=9",
    "/compare": "a={run}&b={published_run}",
    "/indicators": "level=comune&f=json",
    "/indicators/classes": "level=comune&indicator=informal_persons_mid",
}


# One built asset of the web pages (make test builds them before the suite).
ASSET = next(iter(load_build().assets))


def test_every_route_is_in_the_matrix():
    assert sorted(MATRIX) == ROUTES


@pytest.fixture(scope="module")
def world(engine):
    return build_world(engine)


@pytest.fixture(scope="module")
def api(app, world):
    with registered_test_layers(), TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _wfs(path: str, layer: str) -> tuple[str, str]:
    """A GetFeature of the layer, as KVP and as XML."""
    kvp = f"SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=incas:{layer}"
    xml = (
        '<wfs:GetFeature service="WFS" version="2.0.0" xmlns:wfs="http://www.opengis.net/wfs/2.0">'
        f'<wfs:Query typeNames="incas:{layer}"/></wfs:GetFeature>'
    )
    return kvp, xml


def _request(method: str, path: str, role: str, world) -> tuple[str, dict]:
    """The URL and request arguments that put this route to the test for this role."""
    layer = "informal_settlements" if path.startswith("/surveys/") else SECRET
    survey = path.startswith(("/surveys/", "/api/v1/surveys/{code}"))
    values = {
        "code": WAVE if survey else COMUNE, "survey_code": WAVE, "comune_code": COMUNE,
        "collection_id": layer, "layer": layer, "feature_id": "1" if survey else COMUNE,
        "run_id": str(world.run), "ext": "geojson", "name": ASSET, **TILE,
    }  # fmt: skip
    url = fill(path, values)
    query = next((q for end, q in QUERIES.items() if path.endswith(end)), "")
    query = query.format(run=world.run, published_run=world.published_run)
    kwargs: dict = {}
    if path.endswith("/wfs"):
        kvp, xml = _wfs(path, layer)
        if method == "GET":
            query = kvp
        else:
            kwargs = {"content": xml, "headers": {"Content-Type": "text/xml"}}
    elif method == "POST" and path == "/api/v1/surveys":
        code = f"wave-{uuid.uuid4().hex[:8]}"
        window = {"opens_at": "2030-01-01T00:00:00Z", "closes_at": "2030-03-01T00:00:00Z"}
        kwargs = {"json": {"code": code, "title": "t", "vintage": 2021, **window}}
    elif path.endswith("/responses") and method == "POST":
        kwargs = {"json": document(COMUNE)}
    elif method == "PUT":
        kwargs = {"json": document(COMUNE)}  # no If-Match: 428 once allowed
    elif path.endswith("/hotspots/pin") and method == "POST":
        kwargs = {"json": {"indicator": "informal_persons_mid", "permutations": 9, "seed": 1}}
    elif path.endswith("/case-areas") and method == "POST":
        kwargs = {"json": {"n": 1, "permutations": 0, "solver": "greedy"}}
    return (f"{url}?{query}" if query else url), kwargs


def _outcome(r, wfs: bool) -> str:
    if r.status_code in (401, 403):
        return str(r.status_code)
    if wfs and r.status_code == 400:
        found = etree.fromstring(r.content).find("{http://www.opengis.net/ows/1.1}Exception")
        if found.get("locator") == "typeNames" and "unknown feature type" in found.findtext(
            "{*}ExceptionText"
        ):
            return UNKNOWN
    if r.status_code == 404 and r.json()["error"]["code"] == "unknown_layer":
        return UNKNOWN
    return OK if r.status_code < 500 and r.status_code != 404 else f"{r.status_code}: {r.text}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_each_route_answers_each_role_as_the_matrix_says(api, world, method, path, role):
    url, kwargs = _request(method, path, role, world)
    headers = {**kwargs.pop("headers", {}), **world.headers[role]}

    r = api.request(method, url, headers=headers, **kwargs)

    assert _outcome(r, path.endswith("/wfs")) == MATRIX[(method, path)][role], r.text[:500]
    body = r.content.decode("utf-8", "replace")
    if role == "anonymous":
        assert not [s for s in SECRETS if s in body]
    if role in ("anonymous", "analyst"):
        assert not [s for s in RESPONDENT.values() if s in body]


def test_the_respondents_own_answer_does_carry_the_secrets_the_others_must_not(api, world):
    """The scan above looks for strings that really are there for those allowed to see them."""
    own = api.get(f"/api/v1/surveys/{WAVE}/responses/{COMUNE}", headers=world.headers["admin"])
    items = api.get(
        f"/surveys/{WAVE}/ogc/collections/informal_settlements/items",
        headers=world.headers["analyst"],
    )

    assert own.status_code == 200 and RESPONDENT["email"] in own.text
    assert all(s in items.text for s in SECRETS[-2:]), items.text[:300]
    assert json.loads(items.content)["numberMatched"] == 1
