"""Build response documents for tests."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from app.census.surveys import SurveyIn, create_survey

EXAMPLE = {
    "comune_code": "071051",
    "respondent": {
        "name": "Maria Rossi",
        "office": "Servizi sociali",
        "email": "m.rossi@example.it",
        "phone": "+39 0882 000000",
    },
    "workers_present": True,
    "workers": {
        "stable": 800,
        "seasonal": 2500,
        "seasonal_months": [6, 7, 8, 9, 10],
        "nationalities": ["NG", "SN", "ML", "GH", "RO", "BG"],
        "women_share": 0.15,
    },
    "private_housing_share": 0.55,
    "formal_settlements": [
        {
            "name": "Foresteria comunale",
            "type": "public_dormitory",
            "managed_by": "public",
            "capacity": 120,
            "occupants": 96,
            "seasonal": True,
            "open_months": [6, 7, 8, 9, 10],
            "location": {"type": "Point", "coordinates": [15.3806, 41.6867]},
            "services": {
                "water": True,
                "electricity": True,
                "sanitation": True,
                "heating": False,
                "transport": True,
            },
        }  # fmt: skip
    ],
    "informal_settlements": [
        {
            "name": "Borgo (area piste)",
            "type": "shacks",
            "persons_min": 500,
            "persons_max": 1500,
            "peak_months": [7, 8, 9],
            "since_year": 2005,
            "location": {"type": "Point", "coordinates": [15.40, 41.62]},
            "services": {
                "water": False,
                "electricity": False,
                "toilets": False,
                "waste_collection": False,
            },
            "distance_to_work_km": 6.5,
            "public_transport": False,
        }  # fmt: skip
    ],
    "interventions": [{"type": "housing_transition", "description": "Progetto di superamento"}],
    "notes": "Stima basata su dati della polizia locale",
}


def document(comune_code: str = "071051", **changes) -> dict:
    """Return a valid document for a comune, with a fresh submission id and any changes."""
    doc = copy.deepcopy(EXAMPLE)
    doc["submission_id"] = str(uuid.uuid4())
    doc["comune_code"] = comune_code
    if comune_code != "071051":
        # The example's locations lie in San Severo; elsewhere, leave locations out.
        for key in ("formal_settlements", "informal_settlements"):
            for s in doc[key]:
                s.pop("location")
    doc.update(changes)
    return doc


def absent(comune_code: str) -> dict:
    """A document saying no foreign agri-food workers are present."""
    return {
        "submission_id": str(uuid.uuid4()),
        "comune_code": comune_code,
        "respondent": {"name": "Ufficio", "email": "ufficio@example.it"},
        "workers_present": False,
    }


def open_survey(session: Session, code: str = "test-wave", vintage: int = 2021, **window):
    """Create a wave that is open now (or with the given window)."""
    now = datetime.now(UTC)
    data = SurveyIn(
        code=code,
        title=f"Test wave {code}",
        vintage=vintage,
        opens_at=window.get("opens_at", now - timedelta(days=1)),
        closes_at=window.get("closes_at", now + timedelta(days=30)),
    )
    survey = create_survey(session, data)
    session.flush()
    return survey
