"""Test-only layers that prove the access machinery, and helpers for the map-layer tests.

`secret_points` is restricted (analysts only), like the settlement layers will be;
`suppressed_comuni` is public with suppression: small populations are blanked for everyone but
analysts, and `area_km2` is an analysts-only field. Both exist on the reference and the survey
doors while `registered_test_layers()` is active.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from app.census.models import Survey
from app.geo.layers import REFERENCE, SURVEY, Field, Layer, LayerContext
from app.geo.models import Comune
from tests.utils.auth import basic, bearer, token
from tests.utils.inprocess import inprocess_client

SECRET = "secret_points"
SUPPRESSED = "suppressed_comuni"
THRESHOLD = 1000
WAVE = "incas-test-wave"


def _vintage(ctx: LayerContext) -> int:
    return ctx.survey.vintage if ctx.survey else 2023


def _secret_points(ctx: LayerContext) -> Select:
    return select(
        Comune.code,
        Comune.name,
        Comune.population_2011.label("people"),
        func.ST_PointOnSurface(Comune.geom).label("geom"),
    ).where(Comune.vintage == _vintage(ctx), Comune.region_code == "16")


def _suppressed(ctx: LayerContext) -> Select:
    population = Comune.population_2011
    if not ctx.is_analyst:
        population = case((Comune.population_2011 < THRESHOLD, None), else_=population)
    return select(Comune.code, population.label("population"), Comune.area_km2, Comune.geom).where(
        Comune.vintage == _vintage(ctx), Comune.province_code == "071"
    )


SECRET_LAYER = Layer(
    name=SECRET,
    title="Secret points",
    description="A restricted test layer: one point per comune of Puglia.",
    geometry_type="Point",
    fields=(
        Field("code", "string", "ISTAT code."),
        Field("name", "string", "Name."),
        Field("people", "integer", "People."),
    ),
    source=_secret_points,
    id_field="code",
    restricted=True,
)
SUPPRESSED_LAYER = Layer(
    name=SUPPRESSED,
    title="Suppressed comuni",
    description="A public test layer with suppressed small values and an analysts-only field.",
    geometry_type="MultiPolygon",
    fields=(
        Field("code", "string", "ISTAT code."),
        Field("population", "integer", f"Residents; blank below {THRESHOLD} for the public."),
        Field("area_km2", "number", "Area.", analysts_only=True),
    ),
    source=_suppressed,
    id_field="code",
)


@contextmanager
def registered_test_layers() -> Iterator[None]:
    """Register the test layers on both registries while the block runs."""
    for registry in (REFERENCE, SURVEY):
        registry.add(SECRET_LAYER)
        registry.add(SUPPRESSED_LAYER)
    try:
        yield
    finally:
        for registry in (REFERENCE, SURVEY):
            registry.remove(SECRET)
            registry.remove(SUPPRESSED)


def open_wave(session: Session, code: str = WAVE, vintage: int = 2023) -> Survey:
    """Open a survey wave in the test's transaction."""
    survey = Survey(
        code=code,
        title=f"Test wave {code}",
        vintage=vintage,
        opens_at=datetime(2023, 10, 1, tzinfo=UTC),
        closes_at=datetime(2024, 1, 31, tzinfo=UTC),
    )
    session.add(survey)
    session.flush()
    return survey


def analyst_headers(session: Session, label: str = "dpo test analyst", auth: str = "bearer"):
    """Return Authorization headers of a new analyst token."""
    secret = token(session, "analyst", label=label)
    return basic(secret) if auth == "basic" else bearer(secret)


# The map-layer tests' client: the suite's in-process client, without the request savepoint.
layer_client = partial(inprocess_client, savepoint=False)
