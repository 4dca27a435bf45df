"""A committed national wave for the atlas: 4,000 synthetic responses, a published run of case
areas, and an analyst's token (the web tests and bench/web_pages.py use it)."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from app.census.imports import import_lines
from app.census.models import Survey
from app.geo.case_areas import runs
from app.geo.case_areas.params import Parameters
from tests.utils.auth import ADMIN, token
from tests.utils.documents import open_survey
from tests.utils.synthetic import national_documents

ATLAS_WAVE = "atlas-wave"


def open_atlas_wave(session: Session, code: str = ATLAS_WAVE) -> Survey:
    """Commit-ready: a national wave on the 2021 comuni with a published run of ten areas."""
    survey = open_survey(session, code=code, vintage=2021)
    docs = national_documents(session, responded=4000, seed=7)
    result = import_lines(session, survey, ADMIN, [(i, json.dumps(d)) for i, d in enumerate(docs)])
    assert not result.rejected, result.rejected[:3]
    # Few permutations: the run only has to exist and be published, quickly.
    run = runs.run_selection(session, survey, Parameters(permutations=99), ADMIN)
    runs.publish(session, survey, run.id, ADMIN)
    return survey


def analyst_token(session: Session) -> str:
    """Issue an analyst's token; return its secret."""
    return token(session, "analyst")
