"""WFS 2.0.0 and 1.1.0 on the reference layers: documents, paging, filters, axis order, errors."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from lxml import etree
from sqlalchemy import func, select

from app.geo.reference.boundary_models import Comune
from tests.utils.layers import layer_client, open_wave

NS = {
    "wfs": "http://www.opengis.net/wfs/2.0",
    "wfs11": "http://www.opengis.net/wfs",
    "ows": "http://www.opengis.net/ows/1.1",
    "ows10": "http://www.opengis.net/ows",
    "gml": "http://www.opengis.net/gml/3.2",
    "gml31": "http://www.opengis.net/gml",
    "xsd": "http://www.w3.org/2001/XMLSchema",
    "incas": "urn:incas-census:layers",
    "fes": "http://www.opengis.net/fes/2.0",
}
SAN_SEVERO = "071051"
COMUNI_2023 = 7899


@pytest.fixture
def client(app, session):
    with layer_client(app, session) as c:
        yield c


def wfs(client, version="2.0.0", **params):
    query = {"SERVICE": "WFS", "VERSION": version, **params}
    return client.get(f"/wfs?{urlencode(query)}")


def xml(response) -> etree._Element:
    return etree.fromstring(response.content)


def get_feature(client, version="2.0.0", **params) -> etree._Element:
    r = wfs(client, version, REQUEST="GetFeature", **params)
    assert r.status_code == 200, r.text
    return xml(r)


def codes(doc: etree._Element) -> list[str]:
    return [c.text for c in doc.iterfind(".//incas:code", NS)]


def exception(response, code: str, locator: str | None = None, status: int = 400) -> str:
    assert response.status_code == status, response.text
    doc = xml(response)
    assert etree.QName(doc).localname == "ExceptionReport"
    found = doc.find("{*}Exception")
    assert found.get("exceptionCode") == code, response.text
    if locator is not None:
        assert found.get("locator") == locator, response.text
    return found.findtext("{*}ExceptionText")


def first_position(doc: etree._Element) -> tuple[float, float]:
    pos = doc.find(".//{*}posList").text.split()
    return float(pos[0]), float(pos[1])


def db_count(session, *where) -> int:
    stmt = select(func.count()).select_from(Comune).where(Comune.vintage == 2023, *where)
    return session.scalar(stmt)


# --- GetCapabilities ------------------------------------------------------------------------


def test_capabilities_2_0_list_the_vintages_with_paging_formats_crs_and_extent(client):
    r = wfs(client, REQUEST="GetCapabilities")

    assert r.status_code == 200
    doc = xml(r)
    assert doc.get("version") == "2.0.0"
    types = doc.findall(".//wfs:FeatureType", NS)
    assert [t.findtext("wfs:Name", namespaces=NS) for t in types] == [
        "incas:comuni_2021",
        "incas:comuni_2023",
    ]
    paging = doc.find(".//ows:Constraint[@name='ImplementsResultPaging']", NS)
    assert paging.findtext("ows:DefaultValue", namespaces=NS) == "TRUE"
    formats = [
        v.text for v in doc.iterfind(".//ows:Parameter[@name='outputFormat']//ows:Value", NS)
    ]
    assert "application/gml+xml; version=3.2" in formats and "application/json" in formats
    comuni = types[1]
    crs = [comuni.findtext("wfs:DefaultCRS", namespaces=NS)]
    crs += [c.text for c in comuni.iterfind("wfs:OtherCRS", NS)]
    assert crs == [f"urn:ogc:def:crs:EPSG::{n}" for n in (4326, 3857, 32632, 32633, 3035)]
    lower = [float(v) for v in comuni.findtext(".//ows:LowerCorner", namespaces=NS).split()]
    upper = [float(v) for v in comuni.findtext(".//ows:UpperCorner", namespaces=NS).split()]
    assert 6.5 < lower[0] < 6.7 and 35.4 < lower[1] < 35.6
    assert 18.4 < upper[0] < 18.6 and 47.0 < upper[1] < 47.2
    # QGIS finds the namespace of a prefixed type name on the FeatureType element.
    assert comuni.nsmap["incas"] == NS["incas"]


def test_capabilities_1_1_speak_wfs_1_1(client):
    doc = xml(wfs(client, "1.1.0", REQUEST="GetCapabilities"))

    assert doc.tag == "{http://www.opengis.net/wfs}WFS_Capabilities"
    assert doc.get("version") == "1.1.0"
    names = [n.text for n in doc.iterfind(".//{http://www.opengis.net/wfs}Name")]
    assert names == ["incas:comuni_2021", "incas:comuni_2023"]
    default = doc.find(".//{http://www.opengis.net/wfs}DefaultSRS")
    assert default.text == "urn:ogc:def:crs:EPSG::4326"


@pytest.mark.parametrize(("accept", "version"), [("1.1.0,2.0.0", "1.1.0"), ("2.0.0", "2.0.0")])
def test_accept_versions_pick_the_first_spoken(client, accept, version):
    r = client.get(f"/wfs?SERVICE=WFS&REQUEST=GetCapabilities&ACCEPTVERSIONS={accept}")

    assert xml(r).get("version") == version


def test_no_common_version_fails_negotiation(client):
    r = client.get("/wfs?SERVICE=WFS&REQUEST=GetCapabilities&ACCEPTVERSIONS=3.0.0")

    exception(r, "VersionNegotiationFailed")


# --- DescribeFeatureType --------------------------------------------------------------------


def test_describe_feature_type_gives_gml_and_xsd_types(client):
    r = wfs(client, REQUEST="DescribeFeatureType", TYPENAMES="incas:comuni_2023")

    assert r.status_code == 200
    doc = xml(r)
    assert doc.get("targetNamespace") == NS["incas"]
    element = doc.find("xsd:element[@name='comuni_2023']", NS)
    assert element.get("substitutionGroup") == "gml:AbstractFeature"
    types = {
        e.get("name"): e.get("type")
        for e in doc.iterfind("xsd:complexType[@name='comuni_2023Type']//xsd:element", NS)
    }
    assert types == {
        "code": "xsd:string",
        "name": "xsd:string",
        "province_code": "xsd:string",
        "province_name": "xsd:string",
        "province_acronym": "xsd:string",
        "region_code": "xsd:string",
        "region_name": "xsd:string",
        "ripartizione_code": "xsd:int",
        "ripartizione": "xsd:string",
        "population_2011": "xsd:int",
        "area_km2": "xsd:double",
        "geom": "gml:MultiSurfacePropertyType",
    }
    assert doc.find("xsd:import", NS).get("namespace") == NS["gml"]


def test_describe_feature_type_1_1_uses_gml_3_1_1(client):
    doc = xml(wfs(client, "1.1.0", REQUEST="DescribeFeatureType", TYPENAME="comuni_2021"))

    assert doc.find("xsd:import", NS).get("namespace") == NS["gml31"]
    assert doc.find("xsd:element", NS).get("substitutionGroup") == "gml:_Feature"


def test_describe_without_type_names_describes_every_layer(client):
    doc = xml(wfs(client, REQUEST="DescribeFeatureType"))

    assert [e.get("name") for e in doc.findall("xsd:element", NS)] == ["comuni_2021", "comuni_2023"]


# --- GetFeature: paging, hits, ids ----------------------------------------------------------


def test_pages_are_stable_and_cover_every_feature_once(client):
    seen: list[str] = []
    start = 0
    while True:
        doc = get_feature(client, TYPENAMES="incas:comuni_2023", COUNT=1000, STARTINDEX=start)
        assert doc.get("numberMatched") == str(COMUNI_2023)
        members = doc.findall("wfs:member", NS)
        assert doc.get("numberReturned") == str(len(members))
        seen += [m[0].get(f"{{{NS['gml']}}}id") for m in members]
        if doc.get("next") is None:
            break
        assert f"STARTINDEX={start + 1000}" in doc.get("next")
        start += 1000

    assert len(seen) == COMUNI_2023 == len(set(seen))
    assert seen == sorted(seen)
    assert f"comuni_2023.{SAN_SEVERO}" in seen


def test_hits_count_without_features(client):
    doc = get_feature(client, TYPENAMES="comuni_2023", RESULTTYPE="hits")

    assert (doc.get("numberMatched"), doc.get("numberReturned")) == (str(COMUNI_2023), "0")
    assert doc.find("wfs:member", NS) is None


def test_a_feature_carries_its_attributes_and_a_multisurface(client, session):
    doc = get_feature(client, TYPENAMES="comuni_2023", RESOURCEID=f"comuni_2023.{SAN_SEVERO}")

    feature = doc.find("wfs:member/incas:comuni_2023", NS)
    assert feature.get(f"{{{NS['gml']}}}id") == f"comuni_2023.{SAN_SEVERO}"
    assert feature.findtext("incas:name", namespaces=NS) == "San Severo"
    assert feature.findtext("incas:province_acronym", namespaces=NS) == "FG"
    assert feature.findtext("incas:ripartizione", namespaces=NS) == "Sud"
    population = session.scalar(
        select(Comune.population_2011).where(Comune.vintage == 2023, Comune.code == SAN_SEVERO)
    )
    assert feature.findtext("incas:population_2011", namespaces=NS) == str(population)
    surface = feature.find("incas:geom/gml:MultiSurface", NS)
    assert surface.get("srsName") == "urn:ogc:def:crs:EPSG::4326"


def test_resource_ids_without_type_names_name_their_types(client):
    ids = f"comuni_2023.{SAN_SEVERO},comuni_2021.001001,comuni_2023.999999"

    doc = get_feature(client, RESOURCEID=ids)

    assert sorted(codes(doc)) == ["001001", SAN_SEVERO]
    assert doc.get("numberMatched") == "2"


def test_resource_id_of_an_unknown_type_is_invalid(client):
    r = wfs(client, REQUEST="GetFeature", RESOURCEID="nowhere.071051")

    exception(r, "InvalidParameterValue", "typeNames")


def test_two_type_names_page_across_both(client):
    doc = get_feature(client, TYPENAMES="comuni_2021,comuni_2023", COUNT=5, STARTINDEX=7900)

    assert doc.get("numberMatched") == str(7903 + COMUNI_2023)
    names = [etree.QName(m[0]).localname for m in doc.findall("wfs:member", NS)]
    assert names == ["comuni_2021"] * 3 + ["comuni_2023"] * 2


# --- axis order, CRS, BBOX --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("srsname", "srs_attribute", "lat_first"),
    [
        (None, "urn:ogc:def:crs:EPSG::4326", True),
        ("urn:ogc:def:crs:EPSG::4326", "urn:ogc:def:crs:EPSG::4326", True),
        ("http://www.opengis.net/def/crs/EPSG/0/4326", "urn:ogc:def:crs:EPSG::4326", True),
        ("EPSG:4326", "EPSG:4326", False),
    ],
)
def test_axis_order_follows_the_crs_name(client, srsname, srs_attribute, lat_first):
    params = {"TYPENAMES": "comuni_2023", "RESOURCEID": f"comuni_2023.{SAN_SEVERO}"}
    if srsname:
        params["SRSNAME"] = srsname

    doc = get_feature(client, **params)

    assert doc.find(".//gml:MultiSurface", NS).get("srsName") == srs_attribute
    a, b = first_position(doc)
    lat, lon = (a, b) if lat_first else (b, a)
    assert 41.4 < lat < 41.9 and 15.1 < lon < 15.6


def test_wfs_1_1_urn_is_lat_lon_and_short_name_lon_lat(client):
    rid = {"TYPENAME": "comuni_2023", "FEATUREID": f"comuni_2023.{SAN_SEVERO}"}

    urn = get_feature(client, "1.1.0", **rid)
    short = get_feature(client, "1.1.0", SRSNAME="EPSG:4326", **rid)

    assert urn.tag == f"{{{NS['wfs11']}}}FeatureCollection"
    assert urn.get("numberOfFeatures") == "1"
    assert urn.find("gml31:featureMember/incas:comuni_2023", NS) is not None
    lat, lon = first_position(urn)
    assert 41.4 < lat < 41.9 and 15.1 < lon < 15.6
    assert first_position(short) == (lon, lat)


@pytest.mark.parametrize(
    ("srsname", "expected"),
    [
        ("EPSG:32633", ((520_000, 560_000), (4_580_000, 4_640_000))),
        ("urn:ogc:def:crs:EPSG::32633", ((520_000, 560_000), (4_580_000, 4_640_000))),
        ("EPSG:3857", ((1_700_000, 1_740_000), (5_080_000, 5_140_000))),
        # ETRS89-LAEA is northing/easting by its authority, so its urn puts northing first.
        ("urn:ogc:def:crs:EPSG::3035", ((2_000_000, 2_100_000), (4_750_000, 4_820_000))),
        ("EPSG:3035", ((4_750_000, 4_820_000), (2_000_000, 2_100_000))),
    ],
)
def test_srsname_reprojects(client, srsname, expected):
    doc = get_feature(
        client, TYPENAMES="comuni_2023", SRSNAME=srsname, RESOURCEID=f"comuni_2023.{SAN_SEVERO}"
    )

    a, b = first_position(doc)
    (a_low, a_high), (b_low, b_high) = expected
    assert a_low < a < a_high and b_low < b < b_high, (a, b)
    # Metres get 2 decimals.
    assert len(doc.find(".//{*}posList").text.split()[0].split(".")[-1]) <= 2


@pytest.mark.parametrize(
    "bbox",
    [
        "41.68,15.37,41.70,15.39,urn:ogc:def:crs:EPSG::4326",
        "41.68,15.37,41.70,15.39",  # without a CRS: the default, urn EPSG:4326, lat/lon
        "15.37,41.68,15.39,41.70,EPSG:4326",
        "1711000,5113000,1713000,5115000,EPSG:3857",
        "41.68,15.37,41.70,15.39,http://www.opengis.net/def/crs/EPSG/0/4326",
    ],
)
def test_bbox_honours_its_crs_and_axis_order(client, bbox):
    doc = get_feature(client, TYPENAMES="comuni_2023", BBOX=bbox)

    assert SAN_SEVERO in codes(doc)
    assert len(codes(doc)) < 5


def test_bbox_with_the_axes_swapped_finds_nothing_there(client):
    doc = get_feature(client, TYPENAMES="comuni_2023", BBOX="15.37,41.68,15.39,41.70")

    assert codes(doc) == []


# --- PROPERTYNAME, SORTBY ----------------------------------------------------------------------


def test_propertyname_selects_properties_and_geometry(client):
    rid = f"comuni_2023.{SAN_SEVERO}"

    bare = get_feature(client, TYPENAMES="comuni_2023", RESOURCEID=rid, PROPERTYNAME="incas:name")
    with_geom = get_feature(
        client, TYPENAMES="comuni_2023", RESOURCEID=rid, PROPERTYNAME="name,geom"
    )

    children = [etree.QName(c).localname for c in bare.find("wfs:member", NS)[0]]
    assert children == ["name"]
    children = [etree.QName(c).localname for c in with_geom.find("wfs:member", NS)[0]]
    assert children == ["name", "geom"]


def test_unknown_propertyname_is_invalid(client):
    r = wfs(client, REQUEST="GetFeature", TYPENAMES="comuni_2023", PROPERTYNAME="colour")

    exception(r, "InvalidParameterValue", "propertyName")


def test_sortby_orders_with_the_id_as_tie_breaker(client):
    doc = get_feature(
        client, TYPENAMES="comuni_2023", SORTBY="population_2011 DESC", COUNT=3,
        PROPERTYNAME="name,population_2011",
    )  # fmt: skip

    assert [n.text for n in doc.iterfind(".//incas:name", NS)] == ["Roma", "Milano", "Napoli"]

    ties = get_feature(
        client, TYPENAMES="comuni_2023", SORTBY="region_name", COUNT=3, PROPERTYNAME="code"
    )
    assert codes(ties) == sorted(codes(ties))


# --- FES filters --------------------------------------------------------------------------------

FES = 'xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2"'


def fes(body: str) -> str:
    return f"<fes:Filter {FES}>{body}</fes:Filter>"


def prop(name: str, value: str, op: str = "PropertyIsEqualTo", extra: str = "") -> str:
    return (
        f"<fes:{op}{extra}><fes:ValueReference>{name}</fes:ValueReference>"
        f"<fes:Literal>{value}</fes:Literal></fes:{op}>"
    )


FILTERS = {
    "equal": (prop("region_name", "Puglia"), Comune.region_name == "Puglia"),
    "not equal": (
        prop("ripartizione", "Sud", "PropertyIsNotEqualTo"),
        Comune.ripartizione != "Sud",
    ),
    "less": (prop("population_2011", "100", "PropertyIsLessThan"), Comune.population_2011 < 100),
    "less or equal": (
        prop("population_2011", "100", "PropertyIsLessThanOrEqualTo"),
        Comune.population_2011 <= 100,
    ),
    "greater": (
        prop("population_2011", "500000", "PropertyIsGreaterThan"),
        Comune.population_2011 > 500000,
    ),
    "greater or equal": (
        prop("area_km2", "500", "PropertyIsGreaterThanOrEqualTo"),
        Comune.area_km2 >= 500,
    ),
    "case-insensitive": (
        prop("name", "san severo", extra=' matchCase="false"'),
        Comune.name == "San Severo",
    ),
    "like": (
        prop("name", "San *", "PropertyIsLike", ' wildCard="*" singleChar="." escapeChar="!"'),
        Comune.name.like("San %"),
    ),
    "like single char": (
        prop("code", "07105.", "PropertyIsLike", ' wildCard="*" singleChar="." escapeChar="!"'),
        Comune.code.like("07105_"),
    ),
    "null": (
        "<fes:PropertyIsNull><fes:ValueReference>population_2011</fes:ValueReference>"
        "</fes:PropertyIsNull>",
        Comune.population_2011.is_(None),
    ),
    "between": (
        "<fes:PropertyIsBetween><fes:ValueReference>population_2011</fes:ValueReference>"
        "<fes:LowerBoundary><fes:Literal>1000</fes:Literal></fes:LowerBoundary>"
        "<fes:UpperBoundary><fes:Literal>1100</fes:Literal></fes:UpperBoundary>"
        "</fes:PropertyIsBetween>",
        Comune.population_2011.between(1000, 1100),
    ),
    "and": (
        "<fes:And>"
        + prop("region_name", "Puglia")
        + prop("population_2011", "10000", "PropertyIsGreaterThan")
        + "</fes:And>",
        (Comune.region_name == "Puglia") & (Comune.population_2011 > 10000),
    ),
    "or": (
        "<fes:Or>" + prop("province_acronym", "FG") + prop("province_acronym", "BA") + "</fes:Or>",
        Comune.province_acronym.in_(["FG", "BA"]),
    ),
    "not": (
        "<fes:Not>" + prop("ripartizione_code", "1", "PropertyIsGreaterThan") + "</fes:Not>",
        Comune.ripartizione_code <= 1,
    ),
    "bbox": (
        "<fes:BBOX><fes:ValueReference>geom</fes:ValueReference>"
        '<gml:Envelope srsName="urn:ogc:def:crs:EPSG::4326">'
        "<gml:lowerCorner>41.5 15.2</gml:lowerCorner><gml:upperCorner>41.8 15.6</gml:upperCorner>"
        "</gml:Envelope></fes:BBOX>",
        func.ST_Intersects(Comune.geom, func.ST_MakeEnvelope(15.2, 41.5, 15.6, 41.8, 4326)),
    ),
    "intersects polygon": (
        "<fes:Intersects><fes:ValueReference>geom</fes:ValueReference>"
        '<gml:Polygon gml:id="p1" srsName="EPSG:4326"><gml:exterior><gml:LinearRing><gml:posList>'
        "15.3 41.6 15.5 41.6 15.5 41.8 15.3 41.6</gml:posList></gml:LinearRing></gml:exterior>"
        "</gml:Polygon></fes:Intersects>",
        func.ST_Intersects(
            Comune.geom,
            func.ST_GeomFromText("POLYGON((15.3 41.6,15.5 41.6,15.5 41.8,15.3 41.6))", 4326),
        ),
    ),
}


@pytest.mark.parametrize("name", FILTERS)
def test_fes_filters_select_what_the_database_says(client, session, name):
    body, truth = FILTERS[name]

    doc = get_feature(client, TYPENAMES="comuni_2023", FILTER=fes(body), RESULTTYPE="hits")

    expected = db_count(session, truth)
    assert expected > 0
    assert doc.get("numberMatched") == str(expected)


@pytest.mark.parametrize(
    ("point", "srs"),
    [
        ("41.69 15.38", "urn:ogc:def:crs:EPSG::4326"),
        ("15.38 41.69", "EPSG:4326"),
        ("531700 4615500", "EPSG:32633"),
    ],
)
def test_intersects_reads_gml_points_in_their_axis_order(client, point, srs):
    body = (
        "<fes:Intersects><fes:ValueReference>geom</fes:ValueReference>"
        f'<gml:Point srsName="{srs}"><gml:pos>{point}</gml:pos></gml:Point></fes:Intersects>'
    )

    doc = get_feature(client, TYPENAMES="comuni_2023", FILTER=fes(body))

    assert codes(doc) == [SAN_SEVERO]


def test_filter_on_resource_ids(client):
    body = (
        f'<fes:ResourceId rid="comuni_2023.{SAN_SEVERO}"/>'
        '<fes:ResourceId rid="comuni_2023.001001"/>'
    )

    assert codes(get_feature(client, TYPENAMES="comuni_2023", FILTER=fes(body))) == [
        "001001",
        SAN_SEVERO,
    ]


def test_ogc_filter_1_1_for_wfs_1_1(client):
    body = (
        '<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc"><ogc:PropertyIsEqualTo>'
        "<ogc:PropertyName>incas:code</ogc:PropertyName><ogc:Literal>071051</ogc:Literal>"
        "</ogc:PropertyIsEqualTo></ogc:Filter>"
    )

    doc = get_feature(client, "1.1.0", TYPENAME="comuni_2023", FILTER=body)

    assert codes(doc) == [SAN_SEVERO]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (prop("colour", "red"), "InvalidParameterValue"),
        (prop("population_2011", "many", "PropertyIsLessThan"), "InvalidParameterValue"),
        ("<fes:PropertyIsGreaterThan/>", "InvalidParameterValue"),
        (
            "<fes:Intersects><fes:ValueReference>geom</fes:ValueReference>"
            "<gml:Point><gml:pos>nonsense</gml:pos></gml:Point></fes:Intersects>",
            "InvalidParameterValue",
        ),
        (
            "<fes:After><fes:ValueReference>name</fes:ValueReference></fes:After>",
            "OperationProcessingFailed",
        ),
    ],
)
def test_bad_filters_are_reported(client, body, code):
    r = wfs(client, REQUEST="GetFeature", TYPENAMES="comuni_2023", FILTER=fes(body))

    exception(r, code, "filter", status=403 if code == "OperationProcessingFailed" else 400)


def test_malformed_filter_xml_fails_parsing(client):
    r = wfs(client, REQUEST="GetFeature", TYPENAMES="comuni_2023", FILTER="<fes:Filter")

    exception(r, "OperationParsingFailed", "filter")


# --- outputs -------------------------------------------------------------------------------------


def test_geojson_output_is_lon_lat_whatever_the_srsname(client):
    r = wfs(
        client, REQUEST="GetFeature", TYPENAMES="comuni_2023", OUTPUTFORMAT="application/json",
        SRSNAME="urn:ogc:def:crs:EPSG::4326", COUNT=2, STARTINDEX=0,
        RESOURCEID=f"comuni_2023.{SAN_SEVERO}",
    )  # fmt: skip

    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    doc = r.json()
    assert (doc["numberMatched"], doc["numberReturned"]) == (1, 1)
    feature = doc["features"][0]
    assert feature["id"] == SAN_SEVERO and feature["properties"]["name"] == "San Severo"
    lon, lat = feature["geometry"]["coordinates"][0][0][0]
    assert 15.1 < lon < 15.6 and 41.4 < lat < 41.9


def test_geojson_pages_link_the_next_one(client):
    r = wfs(client, REQUEST="GetFeature", TYPENAMES="comuni_2023", OUTPUTFORMAT="json", COUNT=10)

    doc = r.json()
    assert len(doc["features"]) == 10
    assert "STARTINDEX=10" in next(x["href"] for x in doc["links"] if x["rel"] == "next")


def test_gml_output_is_well_formed_for_a_whole_layer(client):
    r = wfs(client, REQUEST="GetFeature", TYPENAMES="comuni_2023")

    assert r.headers["content-type"].startswith("application/gml+xml; version=3.2")
    doc = xml(r)
    assert len(doc.findall("wfs:member", NS)) == COMUNI_2023


# --- POST XML ------------------------------------------------------------------------------------


def post(client, body: str):
    return client.post("/wfs", content=body.encode(), headers={"Content-Type": "text/xml"})


def test_post_get_feature_with_query_filter_and_sort(client):
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
    <wfs:GetFeature service="WFS" version="2.0.0" count="3" startIndex="1"
        xmlns:wfs="http://www.opengis.net/wfs/2.0" {FES} xmlns:incas="urn:incas-census:layers">
      <wfs:Query typeNames="incas:comuni_2023" srsName="EPSG:4326">
        <wfs:PropertyName>incas:name</wfs:PropertyName>
        {fes(prop("province_acronym", "FG"))}
        <fes:SortBy><fes:SortProperty><fes:ValueReference>name</fes:ValueReference>
          <fes:SortOrder>DESC</fes:SortOrder></fes:SortProperty></fes:SortBy>
      </wfs:Query>
    </wfs:GetFeature>"""

    r = post(client, body)

    assert r.status_code == 200, r.text
    doc = xml(r)
    assert doc.get("numberMatched") == "61" and doc.get("numberReturned") == "3"
    names = [n.text for n in doc.iterfind(".//incas:name", NS)]
    assert names == sorted(names, reverse=True) and len(names) == 3


def test_post_get_capabilities_and_describe(client):
    caps = post(
        client,
        '<GetCapabilities xmlns="http://www.opengis.net/wfs/2.0" service="WFS">'
        '<AcceptVersions xmlns="http://www.opengis.net/ows/1.1"><Version>1.1.0</Version>'
        "</AcceptVersions></GetCapabilities>",
    )
    describe = post(
        client,
        '<DescribeFeatureType xmlns="http://www.opengis.net/wfs/2.0" service="WFS" version="2.0.0">'
        "<TypeName>incas:comuni_2023</TypeName></DescribeFeatureType>",
    )

    assert xml(caps).get("version") == "1.1.0"
    assert xml(describe).find("xsd:element", NS).get("name") == "comuni_2023"


def test_post_hits(client):
    r = post(
        client,
        '<wfs:GetFeature xmlns:wfs="http://www.opengis.net/wfs/2.0" service="WFS" version="2.0.0"'
        ' resultType="hits"><wfs:Query typeNames="comuni_2021"/></wfs:GetFeature>',
    )

    assert xml(r).get("numberMatched") == "7903"


XXE = """<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<wfs:GetFeature xmlns:wfs="http://www.opengis.net/wfs/2.0" service="WFS" version="2.0.0">
  <wfs:Query typeNames="&xxe;"/></wfs:GetFeature>"""
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<wfs:GetCapabilities xmlns:wfs="http://www.opengis.net/wfs/2.0" service="WFS">&lol3;
</wfs:GetCapabilities>"""


@pytest.mark.parametrize("body", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_dtds_and_entities_are_refused(client, body):
    r = post(client, body)

    text = exception(r, "OperationParsingFailed")
    assert "root:" not in r.text and "lollol" not in r.text
    assert "DTD" in text


def test_xxe_in_a_kvp_filter_is_refused(client):
    r = wfs(client, REQUEST="GetFeature", TYPENAMES="comuni_2023", FILTER=XXE)

    exception(r, "OperationParsingFailed", "filter")


# --- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "code", "locator", "status"),
    [
        ("SERVICE=WFS&VERSION=2.0.0", "MissingParameterValue", "request", 400),
        ("REQUEST=GetCapabilities", "MissingParameterValue", "service", 400),
        ("SERVICE=WMS&REQUEST=GetCapabilities", "InvalidParameterValue", "service", 400),
        ("SERVICE=WFS&VERSION=2.0.0&REQUEST=Transaction", "OperationNotSupported", "request", 501),
        ("SERVICE=WFS&VERSION=9.9.9&REQUEST=GetFeature&TYPENAMES=comuni_2023",
         "InvalidParameterValue", "version", 400),
        ("SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature", "MissingParameterValue", "typeNames", 400),
        ("SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=nowhere",
         "InvalidParameterValue", "typeNames", 400),
        ("SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=comuni_2023&COUNT=-1",
         "InvalidParameterValue", "count", 400),
        ("SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=comuni_2023&STARTINDEX=x",
         "InvalidParameterValue", "startIndex", 400),
        ("SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=comuni_2023&SRSNAME=EPSG:2000",
         "InvalidParameterValue", "srsName", 400),
        ("SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=comuni_2023&OUTPUTFORMAT=shp",
         "InvalidParameterValue", "outputFormat", 400),
        ("SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=comuni_2023&RESULTTYPE=all",
         "InvalidParameterValue", "resultType", 400),
        ("SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=comuni_2023&BBOX=1,2,3",
         "InvalidParameterValue", "bbox", 400),
        ("SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=comuni_2023&SORTBY=name%20UP",
         "InvalidParameterValue", "sortBy", 400),
        ("SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=comuni_2023&BBOX=1,2,3,4"
         "&RESOURCEID=comuni_2023.1", "InvalidParameterValue", "bbox", 400),
        ("SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeFeatureType&TYPENAMES=nowhere",
         "InvalidParameterValue", "typeNames", 400),
    ],
)  # fmt: skip
def test_errors_are_exception_reports_with_code_and_locator(client, query, code, locator, status):
    r = client.get(f"/wfs?{query}")

    exception(r, code, locator, status)
    assert r.headers["content-type"].startswith("application/xml")


def test_wfs_1_1_errors_use_ows_1_0(client):
    r = client.get("/wfs?SERVICE=WFS&VERSION=1.1.0&REQUEST=GetFeature&TYPENAME=nowhere")

    exception(r, "InvalidParameterValue")
    assert xml(r).tag == "{http://www.opengis.net/ows}ExceptionReport"


# --- survey doors ---------------------------------------------------------------------------------


def test_a_wave_serves_its_comuni_in_its_vintage(client, session):
    open_wave(session, "wave-2021", vintage=2021)

    caps = xml(client.get("/surveys/wave-2021/wfs?SERVICE=WFS&REQUEST=GetCapabilities"))
    hits = xml(
        client.get(
            "/surveys/wave-2021/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature"
            "&TYPENAMES=incas:comuni&RESULTTYPE=hits"
        )
    )

    # Other survey layers join as they land; the wave's comuni are always there.
    assert "incas:comuni" in [n.text for n in caps.iterfind(".//wfs:FeatureType/wfs:Name", NS)]
    assert "/surveys/wave-2021/wfs" in caps.find(".//ows:Get", NS).get(
        "{http://www.w3.org/1999/xlink}href"
    )
    assert hits.get("numberMatched") == "7903"


def test_an_unknown_wave_is_404(client):
    r = client.get("/surveys/nope/wfs?SERVICE=WFS&REQUEST=GetCapabilities")

    assert r.status_code == 404


def test_an_oversized_body_is_refused(client):
    body = "<wfs:GetCapabilities>" + " " * 1_100_000 + "</wfs:GetCapabilities>"

    exception(post(client, body), "OperationParsingFailed")


def test_openapi_has_one_operation_per_method(client):
    paths = client.get("/openapi.json").json()["paths"]

    assert paths["/wfs"]["get"]["operationId"] == "wfs_get"
    assert paths["/wfs"]["post"]["operationId"] == "wfs_post"
