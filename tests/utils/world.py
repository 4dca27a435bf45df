"""A committed wave to call every route on, as every kind of caller.

The modules that sweep the whole route table (hostile input, the authorisation matrix,
schemathesis) run the real app on a database of their own: a wave with a response whose
respondent and settlement carry distinctive strings (none may reach an anonymous caller), a
wave without responses, another wave with one, case-area runs of one area (one of them
published), and a token for every role.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.census.models import Survey
from app.census.responses import submit
from app.geo.case_areas import runs
from app.geo.case_areas.params import Parameters
from tests.utils.auth import ADMIN, bearer, token
from tests.utils.documents import absent, document, open_survey

ROLES = ("anonymous", "respondent", "analyst", "admin")
WAVE = "hostile-wave"
EMPTY_WAVE = "empty-wave"
OTHER_WAVE = "other-wave"
COMUNE = "071051"  # San Severo: the respondent's comune
# A point inside San Severo whose digits appear nowhere else, and the respondent's details.
LON, LAT = 15.371234, 41.654321
RESPONDENT = {
    "name": "Canarino Riservato",
    "email": "canarino.riservato@example.it",
    "office": "Ufficio canarino",
    "phone": "+39 0882 123987",
}
SETTLEMENT = "Ghetto canarino"
# What must never reach an anonymous caller, through any door.
SECRETS = (
    RESPONDENT["name"], RESPONDENT["email"], RESPONDENT["phone"], SETTLEMENT,
    f"{LON}", f"{LAT}",
)  # fmt: skip


@dataclass(frozen=True)
class World:
    headers: dict[str, dict[str, str]]  # by role; anonymous sends none
    run: int  # an unpublished run of WAVE
    published_run: int  # WAVE's published run
    other_run: int  # a run of OTHER_WAVE


def _run(session: Session, survey: Survey, published: bool = False) -> int:
    """Select and store a run of one area, cheaply (no permutations, greedy)."""
    params = Parameters(n=1, permutations=0, solver="greedy")
    run = runs.run_selection(session, survey, params, ADMIN)
    if published:
        runs.publish(session, survey, run.id, ADMIN)
    return run.id


def build_world(engine: Engine) -> World:
    """Commit the wave, its response, runs and tokens; return how to call as each role."""
    with Session(engine) as session, session.begin():
        wave = open_survey(session, code=WAVE)
        open_survey(session, code=EMPTY_WAVE)
        other = open_survey(session, code=OTHER_WAVE)
        doc = document(COMUNE, respondent=RESPONDENT)
        settlement = doc["informal_settlements"][0]
        settlement["name"] = SETTLEMENT
        settlement["location"] = {"type": "Point", "coordinates": [LON, LAT]}
        doc["formal_settlements"][0]["location"] = {"type": "Point", "coordinates": [LON, LAT]}
        submit(session, wave, ADMIN, json.dumps(doc).encode())
        submit(session, wave, ADMIN, json.dumps(absent("071024")).encode())
        submit(session, other, ADMIN, json.dumps(document("071041")).encode())
        runs = (_run(session, wave), _run(session, wave, published=True), _run(session, other))
        secrets = {
            "respondent": token(session, "respondent", (COMUNE,)),
            "analyst": token(session, "analyst"),
            "admin": token(session, "admin"),
        }
    headers = {"anonymous": {}} | {role: bearer(s) for role, s in secrets.items()}
    return World(headers, *runs)
