"""A national wave for the atlas: 4,000 synthetic responses and a published run of case areas
(bench/web_pages.py commits it)."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from app.census.imports import import_lines
from app.census.models import Survey
from app.geo.case_areas import runs
from app.geo.case_areas.params import Parameters
from tests.utils.auth import ADMIN
from tests.utils.documents import open_survey
from tests.utils.synthetic import national_documents

ATLAS_WAVE = "atlas-wave"


def open_atlas_wave(session: Session, code: str = ATLAS_WAVE) -> Survey:
    """Open a national wave on the 2021 comuni, with a published run of ten case areas."""
    survey = open_survey(session, code=code, vintage=2021)
    docs = national_documents(session, responded=4000, seed=7)
    result = import_lines(session, survey, ADMIN, [(i, json.dumps(d)) for i, d in enumerate(docs)])
    assert not result.rejected, result.rejected[:3]
    # Few permutations: the run only has to exist and be published, quickly.
    run = runs.run_selection(session, survey, Parameters(permutations=99), ADMIN)
    runs.publish(session, survey, run.id, ADMIN)
    return survey
