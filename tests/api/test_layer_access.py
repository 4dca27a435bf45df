"""Who sees which layer, on every door; suppression per caller; the access log.

A restricted test layer (`secret_points`, one point per comune of Puglia) stands in for the
settlement layers: anyone but an analyst must get, from every door and every request type,
exactly what a layer that does not exist gets.
"""

from __future__ import annotations

import json

import pytest
from lxml import etree
from sqlalchemy import select

from app.geo.layers.models import AccessLog
from tests.utils.auth import bearer, token
from tests.utils.layers import (
    SECRET,
    SUPPRESSED,
    THRESHOLD,
    analyst_headers,
    layer_client,
    open_wave,
    registered_test_layers,
)

WAVE = "wave-access"
UNKNOWN = "absent_points"  # never registered; as long as the secret name
assert len(UNKNOWN) == len(SECRET)

FES = 'xmlns:fes="http://www.opengis.net/fes/2.0"'
FILTER = (
    f"<fes:Filter {FES}><fes:PropertyIsEqualTo><fes:ValueReference>code</fes:ValueReference>"
    "<fes:Literal>071051</fes:Literal></fes:PropertyIsEqualTo></fes:Filter>"
)
POST_FEATURE = (
    '<wfs:GetFeature xmlns:wfs="http://www.opengis.net/wfs/2.0" service="WFS" version="2.0.0">'
    '<wfs:Query typeNames="incas:{name}"/></wfs:GetFeature>'
)
POST_DESCRIBE = (
    '<wfs:DescribeFeatureType xmlns:wfs="http://www.opengis.net/wfs/2.0" service="WFS" '
    'version="2.0.0"><wfs:TypeName>{name}</wfs:TypeName></wfs:DescribeFeatureType>'
)
WFS = "wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST="
# Every way to ask for a layer by name: (method, path after the door's base, body).
BY_NAME = [
    ("GET", WFS + "DescribeFeatureType&TYPENAMES={name}", None),
    ("GET", WFS + "GetFeature&TYPENAMES=incas:{name}", None),
    ("GET", WFS + "GetFeature&TYPENAMES={name}&RESULTTYPE=hits", None),
    ("GET", WFS + "GetFeature&TYPENAMES={name}&COUNT=10&STARTINDEX=5&SRSNAME=EPSG:3857", None),
    ("GET", WFS + "GetFeature&RESOURCEID={name}.071051", None),
    ("GET", WFS + "GetFeature&TYPENAMES=comuni_2023,{name}", None),
    ("GET", WFS + "GetFeature&TYPENAMES={name}&BBOX=41,15,42,16", None),
    ("GET", WFS + "GetFeature&TYPENAMES={name}&FILTER=" + FILTER, None),
    ("GET", WFS + "GetFeature&TYPENAMES={name}&OUTPUTFORMAT=application/json", None),
    ("GET", "wfs?SERVICE=WFS&VERSION=1.1.0&REQUEST=GetFeature&TYPENAME={name}", None),
    ("GET", "wfs?SERVICE=WFS&VERSION=1.1.0&REQUEST=GetFeature&FEATUREID={name}.071051", None),
    ("POST", "wfs", POST_FEATURE),
    ("POST", "wfs", POST_DESCRIBE),
    ("GET", "ogc/collections/{name}", None),
    ("GET", "ogc/collections/{name}/items", None),
    ("GET", "ogc/collections/{name}/items?bbox=15,41,16,42&limit=5", None),
    ("GET", "ogc/collections/{name}/items?f=html", None),
    ("GET", "ogc/collections/{name}/items/071051", None),
    ("GET", "ogc/collections/{name}/queryables", None),
    ("GET", "tiles/{name}/tilejson.json", None),
    ("GET", "tiles/{name}/8/138/95.mvt", None),
    ("GET", "tiles/{name}/0/0/0.mvt", None),
    ("GET", "exports/{name}.gpkg", None),
    ("GET", "exports/{name}.csv", None),
    ("GET", "exports/{name}.geojson", None),
]
# Documents that list layers: the secret must not appear in them at all.
LISTINGS = [
    WFS + "GetCapabilities",
    "wfs?SERVICE=WFS&VERSION=1.1.0&REQUEST=GetCapabilities",
    WFS + "DescribeFeatureType",
    "ogc/collections",
    "ogc/api",
    "tiles",
    "exports",
]
BASES = ["/", f"/surveys/{WAVE}/"]


@pytest.fixture
def client(app, session):
    with registered_test_layers(), layer_client(app, session) as c:
        open_wave(session, WAVE)
        yield c


def ask(client, method: str, url: str, body: str | None, headers: dict):
    if method == "POST":
        return client.post(
            url, content=body.encode(), headers={**headers, "Content-Type": "text/xml"}
        )
    return client.get(url, headers=headers)


def callers(session) -> dict[str, dict]:
    return {
        "anonymous": {},
        "respondent": bearer(token(session, "respondent", ("071051",), label="a comune")),
    }


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize(("method", "path", "body"), BY_NAME)
def test_a_hidden_layer_answers_exactly_like_an_unknown_one(
    client, session, base, method, path, body
):
    for who, headers in callers(session).items():
        secret = ask(
            client,
            method,
            base + path.format(name=SECRET),
            body and body.format(name=SECRET),
            headers,
        )
        unknown = ask(
            client,
            method,
            base + path.format(name=UNKNOWN),
            body and body.format(name=UNKNOWN),
            headers,
        )

        assert secret.status_code == unknown.status_code, who
        assert secret.status_code in (400, 404), (who, secret.text)
        assert secret.headers["content-type"] == unknown.headers["content-type"], who
        assert secret.content.replace(SECRET.encode(), UNKNOWN.encode()) == unknown.content, who


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("path", LISTINGS)
def test_a_hidden_layer_is_not_listed(client, session, base, path):
    for who, headers in callers(session).items():
        r = client.get(base + path, headers=headers)

        assert r.status_code == 200, (who, r.text)
        assert SECRET not in r.text, who
        assert SUPPRESSED in r.text, who


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("path", LISTINGS)
def test_analysts_see_the_restricted_layer_listed(client, session, base, path):
    r = client.get(base + path, headers=analyst_headers(session))

    assert r.status_code == 200 and SECRET in r.text


@pytest.mark.parametrize("path", LISTINGS)
def test_answers_that_depend_on_the_caller_are_not_cached(client, path):
    r = client.get("/" + path)

    assert r.headers["cache-control"] == "no-store"
    assert r.headers["vary"] == "Authorization"


def test_an_invalid_token_is_refused_rather_than_treated_as_anonymous(client):
    r = client.get(f"/{WFS}GetCapabilities", headers=bearer("incas_not-a-token"))

    assert r.status_code == 401


@pytest.mark.parametrize("auth", ["bearer", "basic"])
def test_analysts_read_the_restricted_layer_on_every_door(client, session, tmp_path, auth):
    headers = analyst_headers(session, label="analyst rossi", auth=auth)

    gml = client.get(f"/{WFS}GetFeature&TYPENAMES={SECRET}", headers=headers)
    xsd = client.get(f"/{WFS}DescribeFeatureType&TYPENAMES={SECRET}", headers=headers)
    items = client.get(
        f"/surveys/{WAVE}/ogc/collections/{SECRET}/items?limit=1000", headers=headers
    )
    tile = client.get(f"/tiles/{SECRET}/8/138/95.mvt", headers=headers)
    gpkg = client.get(f"/exports/{SECRET}.gpkg", headers=headers)

    assert gml.status_code == 200
    assert etree.fromstring(gml.content).get("numberMatched") == "257"
    assert b"gml:PointPropertyType" in xsd.content
    features = json.loads(items.content)["features"]
    assert len(features) == 257 and features[0]["geometry"]["type"] == "Point"
    assert tile.status_code == 200 and len(tile.content) > 100
    assert gpkg.status_code == 200 and gpkg.content[:16] == b"SQLite format 3\x00"


def test_every_read_of_a_restricted_layer_is_logged(client, session):
    headers = analyst_headers(session, label="analyst bianchi")

    boxed = client.get(
        f"/{WFS}GetFeature&TYPENAMES={SECRET}&BBOX=15.3,41.6,15.5,41.8,EPSG:4326", headers=headers
    )
    client.get(f"/{WFS}GetFeature&TYPENAMES={SECRET}&RESULTTYPE=hits", headers=headers)
    client.get(f"/surveys/{WAVE}/ogc/collections/{SECRET}/items?limit=5", headers=headers)
    client.get(f"/ogc/collections/{SECRET}/items/071051", headers=headers)
    client.get(f"/tiles/{SECRET}/8/138/95.mvt", headers=headers)
    client.get(f"/exports/{SECRET}.csv", headers=headers)
    client.get("/ogc/collections/comuni_2023/items?limit=5", headers=headers)  # public: not logged

    rows = session.execute(
        select(
            AccessLog.token_label, AccessLog.role, AccessLog.door, AccessLog.survey_code,
            AccessLog.layer, AccessLog.count, AccessLog.bbox, AccessLog.client,
        ).where(AccessLog.token_label == "analyst bianchi").order_by(AccessLog.id)
    ).all()  # fmt: skip
    assert [(r.door, r.survey_code, r.count) for r in rows] == [
        ("wfs", None, int(etree.fromstring(boxed.content).get("numberReturned"))),
        ("wfs", None, 257),
        ("ogc", WAVE, 5),
        ("ogc", None, 1),
        ("tiles", None, rows[4].count),
        ("export", None, 257),
    ]
    assert rows[4].count > 0
    assert {(r.token_label, r.role, r.layer, r.client) for r in rows} == {
        ("analyst bianchi", "analyst", SECRET, "testclient")
    }
    assert rows[0].bbox == "15.300000,41.600000,15.500000,41.800000"
    minx, miny, maxx, maxy = (float(v) for v in rows[4].bbox.split(","))
    assert minx < 15.38 < maxx and miny < 41.69 < maxy


def test_public_values_are_suppressed_and_analyst_fields_hidden(client, session):
    url = f"/ogc/collections/{SUPPRESSED}/items?limit=100"

    public = json.loads(client.get(url).content)["features"]
    full = json.loads(client.get(url, headers=analyst_headers(session)).content)["features"]

    assert len(public) == len(full) == 61
    small = [f["properties"] for f in full if f["properties"]["population"] < THRESHOLD]
    assert small, "the fixture needs comuni under the threshold"
    public_by_code = {f["id"]: f["properties"] for f in public}
    for props in small:
        assert public_by_code[props["code"]]["population"] is None
    assert all("area_km2" not in p for p in public_by_code.values())
    assert all("area_km2" in f["properties"] for f in full)


def test_an_analysts_only_field_is_an_unknown_property_for_the_public(client, session):
    for door in ("wfs", "ogc"):
        if door == "wfs":
            hidden = client.get(f"/{WFS}GetFeature&TYPENAMES={SUPPRESSED}&PROPERTYNAME=area_km2")
            unknown = client.get(f"/{WFS}GetFeature&TYPENAMES={SUPPRESSED}&PROPERTYNAME=colour_km")
        else:
            hidden = client.get(f"/ogc/collections/{SUPPRESSED}/items?area_km2=1")
            unknown = client.get(f"/ogc/collections/{SUPPRESSED}/items?colour_km=1")
        assert hidden.status_code == unknown.status_code == 400
        assert hidden.content.replace(b"area_km2", b"colour_km") == unknown.content

    describe = client.get(f"/{WFS}DescribeFeatureType&TYPENAMES={SUPPRESSED}")
    queryables = client.get(f"/ogc/collections/{SUPPRESSED}/queryables").json()
    assert b"area_km2" not in describe.content and "area_km2" not in queryables["properties"]
    analyst = client.get(
        f"/ogc/collections/{SUPPRESSED}/items?area_km2=1", headers=analyst_headers(session)
    )
    assert analyst.status_code == 200
