"""Indicators and roll-ups, checked against values the test computes from its own documents."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict

import pyogrio
import pytest
from sqlalchemy import text

from app.census.responses import submit
from tests.utils.auth import ADMIN, bearer, token
from tests.utils.databases import DATA
from tests.utils.documents import absent, open_survey

URL = "/api/v1/surveys/test-wave/indicators"
REFERENCE_YEAR = None  # set from the survey


def settlement(persons_min, persons_max, since, water, electricity=True, toilets=None):
    return {
        "type": "shacks", "persons_min": persons_min, "persons_max": persons_max,
        "since_year": since,
        "services": {"water": water, "electricity": electricity, "toilets": toilets},
    }  # fmt: skip


def formal(capacity, occupants):
    return {"type": "cas", "managed_by": "public", "capacity": capacity, "occupants": occupants}


def doc(code, stable, seasonal, informal=(), formal_=()):
    return {
        "submission_id": f"00000000-0000-4000-8000-{int(code):012d}",
        "comune_code": code,
        "respondent": {"name": "R", "email": "r@example.it"},
        "workers_present": True,
        "workers": {"stable": stable, "seasonal": seasonal},
        "informal_settlements": list(informal),
        "formal_settlements": list(formal_),
    }


# San Severo and Foggia (FG, Puglia, Sud), Acquaviva delle Fonti (BA, Puglia, Sud),
# Agliè (TO, Piemonte, Nord-ovest) answering "no workers", Lavello (PZ, Basilicata, Sud).
DOCS = [
    doc("071051", 800, 2500,
        [settlement(500, 1500, 2005, False), settlement(20, 40, 2019, None, False, False)],
        [formal(120, 96)]),
    doc("071024", 300, 900, [settlement(3, 3, 2010, True)], [formal(40, 50), formal(10, 2)]),
    doc("072001", 12, 0),
    absent("001001"),
    doc("076043", 50, 400, [settlement(200, 300, 2015, False, None, None)]),
]  # fmt: skip


@pytest.fixture
def wave(session):
    survey = open_survey(session)
    for d in DOCS:
        submit(session, survey, ADMIN, d)
    session.flush()
    return survey


@pytest.fixture(scope="module")
def geography():
    """Hierarchy and 2011 population straight from the shipped files, not from the database."""
    df = pyogrio.read_dataframe(DATA / "comuni_2021.gpkg", read_geometry=False)
    attributes = {
        r["codice"]: r for r in json.loads((DATA / "comuni_2020_attributes.json").read_text())
    }
    return df.set_index("com_istat_code"), attributes


def expected_counts(reference_year: int) -> dict[str, dict[str, float]]:
    """Per comune, from the documents alone."""
    out = {}
    for d in DOCS:
        inf, frm = d.get("informal_settlements", []), d.get("formal_settlements", [])
        w = d.get("workers", {})
        out[d["comune_code"]] = {
            "responded": 1,
            "workers_present": int(d["workers_present"]),
            "workers_stable": w.get("stable", 0),
            "workers_seasonal": w.get("seasonal", 0),
            "formal_settlements": len(frm),
            "formal_capacity": sum(f["capacity"] for f in frm),
            "formal_occupants": sum(f["occupants"] for f in frm),
            "informal_settlements": len(inf),
            "informal_persons_min": sum(s["persons_min"] for s in inf),
            "informal_persons_max": sum(s["persons_max"] for s in inf),
            "informal_persons_mid": sum((s["persons_min"] + s["persons_max"]) / 2 for s in inf),
            "informal_without_water": sum(s["services"]["water"] is False for s in inf),
            "informal_water_unknown": sum(s["services"]["water"] is None for s in inf),
            "informal_without_electricity": sum(s["services"]["electricity"] is False for s in inf),
            "informal_electricity_unknown": sum(s["services"]["electricity"] is None for s in inf),
            "informal_without_toilets": sum(s["services"]["toilets"] is False for s in inf),
            "informal_toilets_unknown": sum(s["services"]["toilets"] is None for s in inf),
            "informal_active_7y": sum(reference_year - s["since_year"] >= 7 for s in inf),
        }
    return out


def analyst_rows(client, session, level):
    r = client.get(URL, params={"level": level, "limit": 10000},
                   headers=bearer(token(session, "analyst")))  # fmt: skip
    assert r.status_code == 200, r.text
    return {row["code"]: row for row in r.json()["items"]}


def test_comune_indicators_match_the_documents(client, session, wave, geography):
    df, attributes = geography
    expected = expected_counts(wave.opens_at.year)
    rows = analyst_rows(client, session, "comune")

    assert len(rows) == 7903
    for code, counts in expected.items():
        row = rows[code]
        assert row["invited"] == 1 and row["response_rate"] == 1.0
        for name, value in counts.items():
            assert row[name] == pytest.approx(value), (code, name)
        population = attributes[code]["popolazione"]
        assert row["workers_stable_per_1000_residents"] == pytest.approx(
            counts["workers_stable"] / population * 1000, rel=1e-6
        )
        assert row["informal_persons_mid_per_km2"] == pytest.approx(
            counts["informal_persons_mid"] / row_area(session, code), rel=1e-6
        )
    silent = rows["001002"]
    assert (silent["responded"], silent["workers_stable"], silent["response_rate"]) == (0, None, 0)


def row_area(session, code):
    return session.scalar(
        text("select area_km2 from comuni where vintage = 2021 and code = :c"), {"c": code}
    )


@pytest.mark.parametrize(
    ("level", "key"),
    [("province", "prov_istat_code"), ("region", "reg_istat_code"), ("ripartizione", None),
     ("italy", None)],
)  # fmt: skip
def test_rollups_match_sums_over_the_hierarchy(client, session, wave, geography, level, key):
    df, attributes = geography
    expected = expected_counts(wave.opens_at.year)
    zona = {code: int(r["zona"]["codice"]) for code, r in attributes.items()}
    # ISTAT's fixed mapping, written out here independently of the application's table.
    region_ripartizione = dict.fromkeys((1, 2, 3, 7), 1) | dict.fromkeys((4, 5, 6, 8), 2)
    region_ripartizione |= dict.fromkeys((9, 10, 11, 12), 3) | dict.fromkeys(range(13, 19), 4)
    region_ripartizione |= {19: 5, 20: 5}

    def unit(code):
        if level == "italy":
            return "IT"
        if level == "ripartizione":
            return str(region_ripartizione[int(df.loc[code, "reg_istat_code"])])
        return df.loc[code, key]

    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    population: dict[str, float] = defaultdict(float)
    for code, counts in expected.items():
        for name, value in counts.items():
            sums[unit(code)][name] += value
        population[unit(code)] += attributes[code]["popolazione"]
    invited = defaultdict(int)
    for code in df.index:
        invited[unit(code)] += 1

    rows = analyst_rows(client, session, level)

    for u, counts in sums.items():
        row = rows[u]
        assert row["invited"] == invited[u]
        assert row["response_rate"] == pytest.approx(counts["responded"] / invited[u])
        for name, value in counts.items():
            assert row[name] == pytest.approx(value), (u, name)
        assert row["informal_persons_mid_per_1000_residents"] == pytest.approx(
            counts["informal_persons_mid"] / population[u] * 1000, rel=1e-6
        )
    assert zona["071051"] == 4  # the attribute list agrees on San Severo's ripartizione


def test_public_output_withholds_small_counts(client, session, wave):
    rows = {r["code"]: r for r in client.get(URL, params={"level": "comune", "limit": 10000})
            .json()["items"]}  # fmt: skip

    foggia = rows["071024"]  # 1 informal settlement of 3 people, 3 formal ones with 52 people
    assert foggia["informal_settlements"] is None
    assert {
        "informal_settlements",
        "informal_persons_min",
        "informal_persons_max",
        "informal_persons_mid",
        "informal_settlements_per_km2",
        "informal_persons_mid_per_1000_residents",
    } <= set(foggia["suppressed_fields"])
    assert foggia["suppressed"] is True
    assert foggia["workers_stable"] == 300  # large counts stay
    assert (foggia["invited"], foggia["responded"], foggia["workers_present"]) == (1, 1, 1)
    acquaviva = rows["072001"]
    assert acquaviva["informal_settlements"] == 0  # zeros are published
    assert "informal_settlements" not in acquaviva["suppressed_fields"]


def test_analysts_get_full_figures(client, session, wave):
    rows = analyst_rows(client, session, "comune")

    assert rows["071024"]["informal_settlements"] == 1
    assert rows["071024"]["suppressed"] is False


def test_csv_carries_the_same_public_figures(client, session, wave):
    as_json = client.get(URL, params={"level": "province", "limit": 10000}).json()["items"]
    as_csv = list(csv.DictReader(io.StringIO(
        client.get(URL, params={"level": "province", "f": "csv"}).text
    )))  # fmt: skip

    assert len(as_csv) == len(as_json) == 107
    for j, c in zip(as_json, as_csv, strict=True):
        assert c["code"] == j["code"]
        for name in ("informal_settlements", "informal_persons_mid", "workers_stable"):
            assert c[name] == ("" if j[name] is None else str(j[name]))


def test_indicators_follow_a_write_at_once(client, session, wave):
    analyst = bearer(token(session, "analyst"))
    before = client.get(URL, params={"level": "italy"}, headers=analyst).json()["items"][0]
    d = doc("071028", 5, 7, [settlement(10, 30, 2000, False)])

    client.post("/api/v1/surveys/test-wave/responses", json=d,
                headers=bearer(token(session, "admin")))  # fmt: skip

    after = client.get(URL, params={"level": "italy"}, headers=analyst).json()["items"][0]
    assert after["responded"] == before["responded"] + 1
    assert after["informal_persons_mid"] == before["informal_persons_mid"] + 20


def test_every_field_has_a_unit_in_openapi(client):
    schema = client.get("/openapi.json").json()["components"]["schemas"]["IndicatorRow"]

    for name, prop in schema["properties"].items():
        if name not in ("level", "code", "name", "suppressed", "suppressed_fields"):
            assert "Unit:" in prop["description"], name


def test_unknown_level_is_422(client, session, wave):
    r = client.get(URL, params={"level": "planet"})

    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["path"] == "level"
