"""A realistic synthetic national survey: thousands of responses, settlements mostly in the South.

It mirrors the published first wave: about half the comuni answer, about 600 report foreign
agri-food workers, about 150 informal settlements sit in a few dozen comuni (most of them in
Sud and Isole, with a large cluster across the Capitanata plain around Foggia), and formal
structures house several thousand more. Everything is drawn from one seed.
"""

from __future__ import annotations

import json
import random
import uuid

from sqlalchemy import text
from sqlalchemy.orm import Session

FORMAL_TYPES = ["sai", "cas", "employer_housing", "public_dormitory", "equipped_camp",
                "private_structure", "other"]  # fmt: skip
INFORMAL_TYPES = ["occupied_farmhouse", "occupied_building", "shacks", "tents", "caravans",
                  "mixed"]  # fmt: skip
# The Capitanata plain: settlements here straddle comune and province borders.
CAPITANATA = ["071051", "071024", "071041", "071028", "071056", "071004", "071047", "071050"]
HOT_REGIONS = {"16": 4.0, "15": 2.5, "18": 3.0, "19": 3.0, "17": 2.0, "12": 1.5, "09": 1.0}


def _points(session: Session, vintage: int, codes: list[str], per: int, seed: int) -> dict:
    """Return `per` random points inside each comune, drawn by PostGIS with a fixed seed."""
    rows = session.execute(
        text(
            "select code, ST_X((d).geom), ST_Y((d).geom) from ("
            "  select code, ST_Dump(ST_GeneratePoints(geom, :per, :seed)) d from comuni"
            "  where vintage = :vintage and code = any(:codes)) x order by code"
        ),
        {"per": per, "seed": seed, "vintage": vintage, "codes": codes},
    )
    points: dict[str, list[list[float]]] = {}
    for code, x, y in rows:
        points.setdefault(code, []).append([round(x, 6), round(y, 6)])
    return points


def national_documents(
    session: Session, vintage: int = 2021, responded: int = 4000, seed: int = 7
) -> list[dict]:
    """Return `responded` valid documents for distinct comuni of a vintage."""
    rnd = random.Random(seed)
    comuni = session.execute(
        text(
            "select code, region_code, ripartizione_code from comuni where vintage = :v "
            "order by code"
        ),
        {"v": vintage},
    ).all()
    capitanata = [c for c in comuni if c[0] in CAPITANATA]
    rest = [c for c in comuni if c[0] not in CAPITANATA]
    chosen = sorted(rnd.sample(rest, responded - len(capitanata)) + capitanata)

    # About 600 report workers, weighted towards agricultural regions of the South.
    weights = [HOT_REGIONS.get(region, 0.4) for _, region, _ in chosen]
    present = set(_weighted_sample(rnd, [c[0] for c in chosen], weights, 600)) | set(CAPITANATA)
    southern = [c[0] for c in chosen if c[0] in present and c[2] in (4, 5)]
    informal_comuni = sorted(set(CAPITANATA) | set(rnd.sample(southern, 28)))
    others = [c[0] for c in chosen if c[0] in present and c[2] not in (4, 5)]
    informal_comuni += sorted(rnd.sample(others, 6))
    formal_comuni = sorted(rnd.sample(sorted(present), 220))
    points = _points(session, vintage, sorted(set(informal_comuni) | set(formal_comuni)), 8, seed)

    docs = []
    for code, _, _ in chosen:
        doc = _base(rnd, code, code in present)
        if code in formal_comuni:
            doc["formal_settlements"] = [
                _formal(rnd, points[code][i]) for i in range(rnd.choice([1, 1, 1, 2, 3]))
            ]
        if code in informal_comuni:
            n = rnd.choice([6, 7, 8]) if code in CAPITANATA else rnd.choice([1, 2, 3, 4])
            doc["informal_settlements"] = [
                _informal(rnd, points[code][-1 - i], big=code in CAPITANATA) for i in range(n)
            ]
        docs.append(doc)
    return docs


def _weighted_sample(rnd: random.Random, items: list[str], weights: list[float], k: int) -> list:
    """Draw k items without replacement, each with probability in proportion to its weight."""
    keyed = sorted(zip(items, weights, strict=True), key=lambda iw: -(rnd.random() ** (1 / iw[1])))
    return [item for item, _ in keyed[:k]]


def _base(rnd: random.Random, code: str, present: bool) -> dict:
    doc = {
        "submission_id": str(uuid.UUID(int=rnd.getrandbits(128))),
        "comune_code": code,
        "respondent": {"name": f"Ufficio {code}", "email": f"ufficio.{code}@example.it"},
        "workers_present": present,
    }
    if present:
        seasonal = rnd.choice([0, 20, 50, 120, 300, 800, 2500])
        doc["workers"] = {
            "stable": rnd.choice([0, 5, 10, 40, 150, 600]),
            "seasonal": seasonal,
            "seasonal_months": sorted(rnd.sample(range(5, 11), 3)) if seasonal else [],
            "nationalities": rnd.sample(["NG", "SN", "ML", "GH", "RO", "BG", "IN", "MA"], 3),
            "women_share": round(rnd.random() * 0.4, 2),
        }
        doc["private_housing_share"] = round(rnd.random(), 2)
    return doc


def _formal(rnd: random.Random, point: list[float]) -> dict:
    capacity = rnd.choice([10, 20, 40, 80, 120, 200])
    return {
        "type": rnd.choice(FORMAL_TYPES),
        "managed_by": rnd.choice(["public", "private", "third_sector"]),
        "capacity": capacity,
        "occupants": int(capacity * rnd.uniform(0.5, 1.1)),
        "seasonal": rnd.random() < 0.5,
        "location": {"type": "Point", "coordinates": point},
        "services": {"water": True, "electricity": True, "sanitation": rnd.random() < 0.9},
    }


def _informal(rnd: random.Random, point: list[float], big: bool) -> dict:
    low = rnd.choice([200, 400, 800, 1500]) if big else rnd.choice([3, 5, 10, 20, 40, 80])
    return {
        "type": rnd.choice(INFORMAL_TYPES),
        "persons_min": low,
        "persons_max": low * rnd.choice([1, 2, 3]),
        "since_year": rnd.randint(1995, 2021),
        "location": {"type": "Point", "coordinates": point},
        "services": {
            "water": rnd.choice([True, False, False, None]),
            "electricity": rnd.choice([True, False, None]),
            "toilets": rnd.choice([False, False, None, True]),
        },
    }


def spoil(rnd: random.Random, doc: dict) -> str:
    """Return the document as one JSON line with one realistic defect."""
    defect = rnd.randrange(5)
    bad = json.loads(json.dumps(doc))
    if defect == 0:
        return json.dumps(bad)[:-7]  # truncated line
    if defect == 1:
        bad["comune_code"] = "999999"
    elif defect == 2:
        bad["workers_present"] = "yes"
    elif defect == 3:
        bad["respondent"] = {"name": "X"}
    else:
        bad["colour"] = "red"
    return json.dumps(bad)
