"""No anonymous caller reaches a settlement location through any door; analysts do, logged.

The wave holds one informal settlement at a distinctive point in San Severo. Every request an
anonymous (or respondent) caller can make — WFS 2.0 and 1.1 of every kind, by name, by
RESOURCEID, by filter, GET and POST; OGC API collections, items, one item, queryables; tiles and
TileJSON; every export format — must answer exactly as for a layer that does not exist, and
never carry the coordinates.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.census.responses import submit
from app.geo.layers.models import AccessLog
from tests.utils.auth import ADMIN, basic, bearer, token
from tests.utils.documents import document, open_survey
from tests.utils.layers import layer_client

# A point inside San Severo whose digits appear nowhere else.
LON, LAT = 15.371234, 41.654321
BASE = "/surveys/test-wave"
RESTRICTED = [
    "formal_settlements", "informal_settlements", "informal_settlement_areas",
    "settlement_clusters", "hotspots", "follow_up",
]  # fmt: skip
# 15.371234 41.654321 at zoom 14.
TILE = (14, 8891, 6061)


@pytest.fixture
def client(app, session):
    with layer_client(app, session) as c:
        yield c


@pytest.fixture
def wave(session):
    survey = open_survey(session)
    doc = document()
    doc["informal_settlements"][0]["location"] = {"type": "Point", "coordinates": [LON, LAT]}
    doc["informal_settlements"][0]["name"] = "Ghetto segreto"
    area = [[LON, LAT], [LON + 0.002, LAT], [LON + 0.002, LAT + 0.002], [LON, LAT + 0.002],
            [LON, LAT]]  # fmt: skip
    doc["informal_settlements"].append(
        {**doc["informal_settlements"][0], "location": {"type": "Polygon", "coordinates": [area]}}
    )
    doc["formal_settlements"][0]["location"] = {"type": "Point", "coordinates": [LON, LAT]}
    submit(session, survey, ADMIN, doc)
    session.flush()
    return survey


def _wfs_requests(layer: str) -> list[tuple[str, str, dict | bytes]]:
    get = [
        {"SERVICE": "WFS", "VERSION": v, "REQUEST": "GetFeature", names: f"incas:{layer}"}
        for v, names in (("2.0.0", "TYPENAMES"), ("1.1.0", "TYPENAME"))
    ]
    get += [
        {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "TYPENAMES": layer,
         "RESULTTYPE": "hits"},
        {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "RESOURCEID": f"{layer}.1"},
        {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "TYPENAMES": layer,
         "BBOX": f"{LAT - 0.01},{LON - 0.01},{LAT + 0.01},{LON + 0.01},urn:ogc:def:crs:EPSG::4326"},
        {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "TYPENAMES": layer,
         "OUTPUTFORMAT": "application/json"},
        {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "TYPENAMES": layer,
         "FILTER": '<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsEqualTo>'
                   "<fes:ValueReference>comune_code</fes:ValueReference><fes:Literal>071051"
                   "</fes:Literal></fes:PropertyIsEqualTo></fes:Filter>"},
        {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "DescribeFeatureType",
         "TYPENAMES": layer},
        {"SERVICE": "WFS", "VERSION": "1.1.0", "REQUEST": "DescribeFeatureType",
         "TYPENAME": layer},
    ]  # fmt: skip
    post = (
        '<wfs:GetFeature service="WFS" version="2.0.0" xmlns:wfs="http://www.opengis.net/wfs/2.0"'
        ' xmlns:fes="http://www.opengis.net/fes/2.0"><wfs:Query typeNames="' + layer + '">'
        '<fes:Filter><fes:ResourceId rid="' + layer + '.1"/></fes:Filter></wfs:Query>'
        "</wfs:GetFeature>"
    ).encode()
    return [("GET", f"{BASE}/wfs", p) for p in get] + [("POST", f"{BASE}/wfs", post)]


def _other_requests(layer: str) -> list[tuple[str, str, dict]]:
    z, x, y = TILE
    return [
        ("GET", f"{BASE}/ogc/collections/{layer}", {}),
        ("GET", f"{BASE}/ogc/collections/{layer}/items", {}),
        ("GET", f"{BASE}/ogc/collections/{layer}/items", {"bbox": "15,41,16,42"}),
        ("GET", f"{BASE}/ogc/collections/{layer}/items/1", {}),
        ("GET", f"{BASE}/ogc/collections/{layer}/queryables", {}),
        ("GET", f"{BASE}/tiles/{layer}/tilejson.json", {}),
        ("GET", f"{BASE}/tiles/{layer}/{z}/{x}/{y}.mvt", {}),
        ("GET", f"{BASE}/exports/{layer}.gpkg", {}),
        ("GET", f"{BASE}/exports/{layer}.csv", {}),
        ("GET", f"{BASE}/exports/{layer}.geojson", {}),
    ]  # fmt: skip


def _send(client, method, url, params, headers):
    if method == "POST":
        return client.post(url, content=params, headers={**headers, "Content-Type": "text/xml"})
    return client.get(url, params=params, headers=headers)


def _leaks(r) -> bool:
    body = r.content
    return any(s in body for s in (b"15.371234", b"41.654321", b"15.37123", b"Ghetto segreto"))


def _unknown_twin(method, url, params, layer):
    """The same request naming a layer that does not exist."""
    twin = url.replace(layer, "no_such_layer")
    if isinstance(params, bytes):
        return method, twin, params.replace(layer.encode(), b"no_such_layer")
    return method, twin, {k: v.replace(layer, "no_such_layer") for k, v in params.items()}


@pytest.mark.parametrize("who", ["anonymous", "respondent"])
@pytest.mark.parametrize("layer", RESTRICTED)
def test_no_door_gives_a_settlement_to_non_analysts(client, session, wave, layer, who):
    headers = {} if who == "anonymous" else bearer(token(session, "respondent", ("071051",)))
    for method, url, params in _wfs_requests(layer) + _other_requests(layer):
        r = _send(client, method, url, params, headers)
        twin = _send(client, *_unknown_twin(method, url, params, layer), headers)

        assert not _leaks(r), (url, params)
        assert r.status_code == twin.status_code and r.status_code >= 400, (url, params, r.text)
        assert r.content.replace(layer.encode(), b"no_such_layer") == twin.content, (url, params)


@pytest.mark.parametrize("who", ["anonymous", "respondent"])
def test_capabilities_and_collections_do_not_list_them(client, session, wave, who):
    headers = {} if who == "anonymous" else bearer(token(session, "respondent", ("071051",)))
    bodies = [
        client.get(f"{BASE}/wfs", params={"SERVICE": "WFS", "REQUEST": "GetCapabilities",
                                          "VERSION": v}, headers=headers).text
        for v in ("2.0.0", "1.1.0")
    ] + [client.get(f"{BASE}/ogc/collections", headers=headers).text]  # fmt: skip

    for body in bodies:
        assert "comuni" in body
        for layer in RESTRICTED:
            assert layer not in body


def test_analysts_get_the_locations_and_every_read_is_logged(client, session, wave):
    analyst = basic(token(session, "analyst", label="Analista Uno"))
    before = session.scalar(select(func.count()).select_from(AccessLog))

    wfs = client.get(f"{BASE}/wfs", params={"SERVICE": "WFS", "VERSION": "2.0.0",
                     "REQUEST": "GetFeature", "TYPENAMES": "informal_settlements"},
                     headers=analyst)  # fmt: skip
    items = client.get(f"{BASE}/ogc/collections/informal_settlements/items", headers=analyst)
    areas = client.get(f"{BASE}/exports/informal_settlement_areas.geojson", headers=analyst)

    assert wfs.status_code == items.status_code == areas.status_code == 200
    assert b"41.654321 15.371234" in wfs.content  # lat/lon in WFS 2.0 with EPSG::4326
    feature = items.json()["features"][0]
    assert feature["geometry"]["coordinates"] == [LON, LAT]
    assert "respondent" not in items.text and "m.rossi" not in items.text
    assert areas.json()["features"][0]["geometry"]["type"] == "MultiPolygon"
    logged = session.execute(
        select(AccessLog.token_label, AccessLog.layer, AccessLog.door, AccessLog.count)
        .order_by(AccessLog.id)
        .offset(before)
    ).all()
    assert [(row.layer, row.door) for row in logged] == [
        ("informal_settlements", "wfs"), ("informal_settlements", "ogc"),
        ("informal_settlement_areas", "export"),
    ]  # fmt: skip
    assert {row.token_label for row in logged} == {"Analista Uno"}
    assert logged[1].count == 2
