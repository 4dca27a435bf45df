"""Hostile input: nothing anyone sends answers a 5xx, and each door refuses in its own shape.

NUL characters, 10,000-character strings and percent-escapes that are not UTF-8 go to every
query parameter of every GET route in the route table, as every role; XML bodies carry XXE and
"billion laughs"; SQL injection goes to every filter; numbers go out of range; response
documents carry broken GeoJSON.
"""

from __future__ import annotations

import json
import math
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import func, select

from app.geo.reference.boundary_models import Comune
from app.main import create_app
from tests.utils.routes import fill, query_parameters, routes
from tests.utils.world import COMUNE, EMPTY_WAVE, ROLES, WAVE, build_world

pytestmark = pytest.mark.database("own")

OWS = "{http://www.opengis.net/ows/1.1}"
HOSTILE = {"nul": "%00", "long": "x" * 10_000, "not-utf8": "%FF%FE"}
# The route table, read without a database: a new route joins the sweep by itself.
TABLE = create_app("postgresql://unused/unused")
GETS = [path for method, path in routes(TABLE) if method == "GET"]


@pytest.fixture(scope="module")
def world(engine):
    return build_world(engine)


@pytest.fixture(scope="module")
def api(app, world):
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def report(r) -> etree._Element:
    """Return the one Exception of an OWS ExceptionReport."""
    assert r.headers["content-type"].startswith("application/xml"), r.text
    root = etree.fromstring(r.content)
    assert root.tag == f"{OWS}ExceptionReport", r.text
    return root.find(f"{OWS}Exception")


def details(r) -> dict[str, str]:
    return {d["path"]: d["message"] for d in r.json()["error"]["details"]}


# --- a NUL answers a 4xx in the door's own shape (issue 15, item 1) ------------------------------

WFS_FEATURES = (
    f"/surveys/{WAVE}/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature"
    "&TYPENAMES=incas:indicators_comune"
)


@pytest.mark.parametrize(
    ("url", "locator"),
    [
        (WFS_FEATURES + "&SORTBY=%00", "SORTBY"),
        (WFS_FEATURES + "&PROPERTYNAME=code%00", "PROPERTYNAME"),
        (WFS_FEATURES + "&RESOURCEID=indicators_comune.%00", "RESOURCEID"),
        ("/wfs?SERVICE=WFS&REQUEST=GetFeature&TYPENAMES=incas:comuni_2023&SRSNAME=%00", "SRSNAME"),
        ("/wfs?SERVICE=WFS&VERSION=%00&REQUEST=GetCapabilities", "VERSION"),
        ("/surveys/%00/wfs?SERVICE=WFS&REQUEST=GetCapabilities", "code"),
    ],
)
def test_a_nul_in_wfs_is_an_exception_report(api, url, locator):
    r = api.get(url)

    assert r.status_code == 400, r.text
    found = report(r)
    assert (found.get("exceptionCode"), found.get("locator")) == ("InvalidParameterValue", locator)


def test_a_nul_in_a_wfs_form_body_is_an_exception_report(api):
    body = "SERVICE=WFS&REQUEST=GetFeature&TYPENAMES=incas:comuni_2023&SORTBY=%00"

    r = api.post(
        "/wfs", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )

    assert r.status_code == 400, r.text
    assert report(r).get("locator") == "SORTBY"


def test_a_control_character_echoed_by_wfs_still_makes_a_report(api):
    r = api.get(WFS_FEATURES + "&SORTBY=code%01")

    assert r.status_code == 400, r.text
    assert report(r).get("exceptionCode") == "InvalidParameterValue"


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/ogc/collections/comuni_2023/items?code=%00", "code"),
        (f"/surveys/{WAVE}/ogc/collections/comuni/items?name=a%00b", "name"),
        ("/ogc/collections/comuni_2023/items/%00", "feature_id"),
        (f"/surveys/{WAVE}/ogc/collections/%00", "collection_id"),
        ("/tiles/comuni_2023/tilejson.json?x=%00", "x"),
    ],
)
def test_a_nul_in_ogc_api_is_a_problem_naming_the_parameter(api, url, parameter):
    r = api.get(url)

    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "validation_failed"
    assert parameter in details(r)


@pytest.mark.parametrize(
    ("url", "parameter", "role"),
    [
        ("/api/v1/comuni?q=%00", "q", "anonymous"),
        ("/api/v1/comuni?region=%00", "region", "anonymous"),
        ("/api/v1/comuni?province=Fo%00ggia", "province", "anonymous"),
        ("/api/v1/surveys/%00", "code", "anonymous"),
        (f"/api/v1/surveys/{WAVE}/responses?region=%00", "region", "analyst"),
        (f"/api/v1/surveys/{WAVE}/responses?province=%00", "province", "analyst"),
    ],
)
def test_a_nul_in_rest_is_a_422_naming_the_parameter(api, world, url, parameter, role):
    r = api.get(url, headers=world.headers[role])

    assert r.status_code == 422, r.text
    assert details(r)[parameter] == "must not contain a NUL character (%00)"


def test_a_nul_in_a_json_body_is_a_422_at_its_path(api, world):
    from tests.utils.documents import document

    doc = document("071028", notes="a\u0000b")
    doc["informal_settlements"][0]["name"] = "\u0000"
    wave = {"code": "nul-wave", "title": "a\u0000b", "vintage": 2021,
            "opens_at": "2030-01-01T00:00:00Z", "closes_at": "2030-02-01T00:00:00Z"}  # fmt: skip
    admin = world.headers["admin"]

    response = api.post(f"/api/v1/surveys/{WAVE}/responses", json=doc, headers=admin)
    survey = api.post("/api/v1/surveys", json=wave, headers=admin)

    nul = "must not contain a NUL character (\\u0000)"
    assert details(response) == {"notes": nul, "informal_settlements[0].name": nul}
    assert details(survey) == {"title": nul}


# --- every query parameter of every GET route, as every role: no 5xx ----------------------------


def _samples(path: str, world) -> dict[str, str]:
    """Path values that name something real: the sweep reaches past the routing."""
    survey = path.startswith("/surveys/")
    layer = "comuni" if survey else "comuni_2023"
    return {
        "survey_code": WAVE, "code": WAVE, "comune_code": COMUNE, "collection_id": layer,
        "feature_id": COMUNE, "layer": layer, "ext": "csv", "run_id": str(world.run),
        "z": "22", "x": "0", "y": "0",  # an empty tile: the sweep stays fast
    }  # fmt: skip


def _base(path: str) -> dict[str, str]:
    """A valid, cheap request to put each hostile value into."""
    if path.endswith("/wfs"):
        name = "incas:comuni" if path.startswith("/surveys/") else "incas:comuni_2023"
        return {"SERVICE": "WFS", "REQUEST": "GetFeature", "TYPENAMES": name, "COUNT": "1"}
    if path.endswith("/items"):
        return {"limit": "1"}
    if path.endswith("/hotspots"):
        return {"indicator": "workers_stable", "permutations": "9"}
    return {}


def _parameters(path: str) -> list[str]:
    names = query_parameters(TABLE, "GET", path)
    if path.endswith("/items"):
        names.append("code")  # a queryable of the sampled layer: a property filter
    return names


SWEEP = [(path, name) for path in GETS for name in _parameters(path)]


@pytest.mark.parametrize(("path", "name"), SWEEP, ids=[f"{p}?{n}" for p, n in SWEEP])
def test_no_hostile_query_value_answers_5xx(api, world, path, name):
    url = fill(path, _samples(path, world))
    failures = []
    for label, value in HOSTILE.items():
        query = "&".join(f"{k}={quote(v)}" for k, v in _base(path).items() if k != name)
        for role in ROLES:
            r = api.get(f"{url}?{query}&{name}={value}", headers=world.headers[role])
            if r.status_code >= 500:
                failures.append(f"{role} {label}: {r.status_code} {r.text[:200]}")
    assert not failures, failures


def test_every_get_route_is_swept():
    swept = {path for path, _ in SWEEP}
    declared = set(TABLE.openapi()["paths"])
    # Routes with no query parameter have nothing to sweep; every other one is in SWEEP.
    unswept = {p for p in GETS if p in declared and p not in swept and _parameters(p)}
    assert not unswept
    assert {p for p in GETS if p.startswith(("/api/", "/surveys/", "/wfs", "/ogc"))} <= declared


# --- XML bodies: no DTD, no entity, no file read (issue 12, item 6) ------------------------------


def _xxe(path: str) -> str:
    return (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{path}">]>'
        '<wfs:GetFeature service="WFS" version="2.0.0" xmlns:wfs="http://www.opengis.net/wfs/2.0">'
        '<wfs:Query typeNames="incas:comuni_2023"/>&x;</wfs:GetFeature>'
    )


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    + ']><wfs:GetCapabilities service="WFS" xmlns:wfs="http://www.opengis.net/wfs/2.0">'
    "&lol9;</wfs:GetCapabilities>"
).replace("&lol0;", "&lol;")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
@pytest.mark.parametrize("kind", ["xxe", "billion laughs"])
def test_dtds_and_entities_are_refused_and_no_file_is_read(api, tmp_path, encoding, kind):
    secret = tmp_path / "secret.txt"
    secret.write_text("the-file-was-read")
    body = _xxe(str(secret)) if kind == "xxe" else LAUGHS
    if encoding == "utf-16":
        body = body.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')

    r = api.post("/wfs", content=body.encode(encoding), headers={"Content-Type": "text/xml"})

    assert r.status_code == 400, r.text
    assert report(r).get("exceptionCode") == "OperationParsingFailed"
    assert b"the-file-was-read" not in r.content and b"lollol" not in r.content


def test_an_entity_in_a_kvp_filter_is_refused(api, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the-file-was-read")
    fes = (
        f'<!DOCTYPE f [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsEqualTo>'
        "<fes:ValueReference>code</fes:ValueReference><fes:Literal>&x;</fes:Literal>"
        "</fes:PropertyIsEqualTo></fes:Filter>"
    )

    r = api.get(
        "/wfs?SERVICE=WFS&REQUEST=GetFeature&TYPENAMES=incas:comuni_2023&FILTER=" + quote(fes)
    )

    assert r.status_code == 400
    assert b"the-file-was-read" not in r.content


# --- SQL injection: no 5xx, no extra rows ---------------------------------------------------------

INJECTIONS = [
    "' OR '1'='1",
    "071051' OR 1=1 --",
    "x'); DROP TABLE comuni; --",
    "\\' OR 1=1 /*",
    "1 UNION SELECT token_hash FROM tokens",
]


def _matched(r) -> int:
    return int(etree.fromstring(r.content).get("numberMatched"))


@pytest.mark.parametrize("attack", INJECTIONS)
def test_sql_injection_finds_nothing_and_breaks_nothing(api, world, session, attack):
    value = quote(attack)
    fes = (
        '<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsEqualTo>'
        f"<fes:ValueReference>code</fes:ValueReference><fes:Literal>{attack}</fes:Literal>"
        "</fes:PropertyIsEqualTo></fes:Filter>"
    ).replace("&", "&amp;")
    wfs = "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=incas:comuni_2023"
    analyst = world.headers["analyst"]

    for field in ("q", "region", "province"):
        r = api.get(f"/api/v1/comuni?{field}={value[:100]}")
        assert r.status_code in (200, 422) and r.json().get("total", 0) == 0, r.text
    for field in ("region", "province"):
        r = api.get(f"/api/v1/surveys/{WAVE}/responses?{field}={value}", headers=analyst)
        assert r.status_code == 200 and r.json()["total"] == 0, r.text
    r = api.get(f"/ogc/collections/comuni_2023/items?code={value}")
    assert r.status_code == 200 and r.json()["numberMatched"] == 0, r.text
    r = api.get(f"{wfs}&RESULTTYPE=hits&FILTER={quote(fes)}")
    assert r.status_code == 200 and _matched(r) == 0, r.text
    r = api.get(f"{wfs}&RESULTTYPE=hits&RESOURCEID=comuni_2023.{value}")
    assert r.status_code in (200, 400) and (r.status_code == 400 or _matched(r) == 0), r.text
    for parameter in ("SORTBY", "PROPERTYNAME"):
        # A name is read as an XPath's last step ("a/*" is "*"): never as SQL.
        r = api.get(f"{wfs}&COUNT=1&{parameter}={value}")
        assert r.status_code in (200, 400), r.text
        assert r.status_code == 400 or etree.fromstring(r.content).get("numberReturned") == "1"
    assert session.scalar(select(func.count()).select_from(Comune)) == 7903 + 7899


# --- out-of-range numbers answer 4xx ------------------------------------------------------------

BIG = "341230658732570902528"


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/surveys?offset={BIG}",
        f"/api/v1/surveys?limit={BIG}",
        f"/api/v1/comuni?offset={BIG}",
        "/api/v1/comuni?offset=-1",
        f"/api/v1/surveys/{WAVE}/responses?offset={BIG}",
        f"/api/v1/surveys/{WAVE}/responses/{COMUNE}/revisions?offset={BIG}",
        f"/api/v1/surveys/{WAVE}/indicators?offset={BIG}",
        f"/api/v1/surveys/{WAVE}/hotspots?indicator=workers_stable&offset={BIG}",
        f"/api/v1/surveys/{WAVE}/case-areas?offset={BIG}",
        f"/api/v1/surveys/{WAVE}/case-areas/{BIG}",
        f"/api/v1/surveys/{WAVE}/case-areas/{BIG}/trace",
        f"/api/v1/surveys/{WAVE}/case-areas/compare?a=1&b={BIG}",
        f"/ogc/collections/comuni_2023/items?offset={BIG}",
        f"/ogc/collections/comuni_2023/items?limit={BIG}",
        f"/surveys/{WAVE}/ogc/collections/case_areas/items?run={BIG}",
        f"/wfs?SERVICE=WFS&REQUEST=GetFeature&TYPENAMES=incas:comuni_2023&STARTINDEX={BIG}",
        f"/wfs?SERVICE=WFS&REQUEST=GetFeature&TYPENAMES=incas:comuni_2023&COUNT={BIG}",
        f"/surveys/{WAVE}/wfs?SERVICE=WFS&REQUEST=GetFeature&TYPENAMES=incas:case_areas&RUN={BIG}",
        f"/tiles/comuni_2023/{BIG}/0/0.mvt",
        f"/tiles/comuni_2023/3/{BIG}/0.mvt",
        "/tiles/comuni_2023/3/8/0.mvt",
        "/tiles/comuni_2023/-1/0/0.mvt",
        f"/surveys/{WAVE}/tiles/case_areas/0/0/0.mvt?run={BIG}",
        f"/surveys/{WAVE}/exports/case_areas.csv?run={BIG}",
    ],
)
def test_out_of_range_numbers_answer_4xx(api, world, url):
    r = api.get(url, headers=world.headers["analyst"])

    assert 400 <= r.status_code < 500, r.text


# --- broken GeoJSON in a response document: a clear 422 -------------------------------------------


def _with_location(location) -> bytes:
    from tests.utils.documents import document

    doc = document(COMUNE)
    doc["informal_settlements"][0]["location"] = location
    return json.dumps(doc).encode()  # NaN is written as NaN, as a careless client would


def _ring(n: int) -> list[list[float]]:
    ring = [
        [round(15.38 + 0.005 * math.cos(2 * math.pi * i / n), 6),
         round(41.68 + 0.005 * math.sin(2 * math.pi * i / n), 6)]
        for i in range(n)
    ]  # fmt: skip
    return ring + ring[:1]


@pytest.mark.parametrize(
    ("location", "path", "message"),
    [
        (
            {
                "type": "Polygon",
                "coordinates": [[[15.38, 41.68], [15.39, 41.68], [15.39, 41.69], [15.38, 41.7]]],
            },  # fmt: skip
            "informal_settlements[0].location",
            "a polygon ring must end where it starts",
        ),
        (
            {"type": "Point", "coordinates": [float("nan"), 41.68]},
            "informal_settlements[0].location.coordinates[0]",
            "Input should be a finite number",
        ),
        (
            {"type": "Polygon", "coordinates": [_ring(20_000)]},
            "informal_settlements[0].location.coordinates[0]",
            "List should have at most 10000 items after validation, not 20001",
        ),
    ],
    ids=["unclosed ring", "NaN", "20,000 vertices"],
)
def test_broken_geojson_is_a_422_at_its_path(api, world, location, path, message):
    r = api.post(
        f"/api/v1/surveys/{WAVE}/responses",
        content=_with_location(location),
        headers={**world.headers["admin"], "Content-Type": "application/json"},
    )

    assert r.status_code == 422, r.text
    assert details(r)[path] == message


def test_a_million_vertices_is_refused_by_the_body_limit(api, world):
    ring = "[" + "[15.38,41.68]," * 999_999 + "[15.38,41.68]]"  # written as text: it is fast
    body = _with_location("RING").replace(
        b'"RING"', b'{"type":"Polygon","coordinates":[%s]}' % ring.encode()
    )

    r = api.post(
        f"/api/v1/surveys/{WAVE}/responses",
        content=body,
        headers={**world.headers["admin"], "Content-Type": "application/json"},
    )

    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"


# --- case areas of a wave without responses -------------------------------------------------------


def test_case_areas_of_a_wave_without_responses_are_an_empty_run(api, world):
    r = api.post(
        f"/api/v1/surveys/{EMPTY_WAVE}/case-areas",
        json={"permutations": 0},
        headers=world.headers["analyst"],
    )

    assert r.status_code == 201, r.text
    run = r.json()
    assert run["areas"] == [] and run["responses"] == 0 and not run["constraints_met"]
    count = next(c for c in run["constraints"]["items"] if c["id"] == "count")
    assert count["message"] == "0 areas selected, not 10: no comune is a candidate"
