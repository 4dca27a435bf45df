"""Start-up warm-up: pay for imports and per-vintage caches before the first request does.

The first case-area selection or hot-spot map after a start would otherwise load esda,
libpysal and scipy's solvers (seconds) and build the vintage's weights, contiguity graph,
centroids and comune table. It goes through the domain's public functions only, in a
transaction that is rolled back, so it stores nothing (not even the hot spots it computes).
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.census.models import Response, Survey
from app.geo.case_areas.inputs import read_inputs
from app.geo.case_areas.params import parse_parameters

log = logging.getLogger("incas.warmup")


def _load_solvers() -> None:
    import esda  # noqa: F401
    import libpysal.weights  # noqa: F401
    import numpy as np
    from scipy.optimize import milp

    milp(np.array([1.0]), integrality=np.array([1]))  # HiGHS's own first-call set-up


def _newest_waves(session: Session) -> list[Survey]:
    """Return the newest wave with responses of each vintage: what analysts will ask about."""
    with_responses = select(Response.survey_id).distinct().scalar_subquery()
    waves = session.scalars(
        select(Survey).where(Survey.id.in_(with_responses)).order_by(Survey.opens_at.desc())
    )
    newest: dict[int, Survey] = {}
    for survey in waves:
        newest.setdefault(survey.vintage, survey)
    return list(newest.values())


def warm_up(engine: Engine) -> float:
    """Load the analysis stack and fill the caches of the waves in use; return the seconds."""
    started = time.perf_counter()
    _load_solvers()
    with Session(engine) as session:
        try:
            for survey in _newest_waves(session):
                read_inputs(session, survey, parse_parameters({}))
        except Exception:  # a warm-up must never keep the service from starting
            log.exception("warm-up stopped early")
        finally:
            session.rollback()
    seconds = time.perf_counter() - started
    log.info("warmed up in %.1f s", seconds)
    return seconds
