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
from app.geo.layers.catalogue import REFERENCE, SURVEY
from app.geo.layers.registry import Field, Layer, LayerContext
from app.geo.reference.boundary_models import Comune
from tests.utils.auth import basic, bearer, token
from tests.utils.inprocess import inprocess_client

SECRET = "secret_points"
SUPPRESSED = "suppressed_comuni"
THRESHOLD = 1000
WAVE = "incas-test-wave"


def _vintage(ctx: LayerContext) -> int:
    return ctx.survey.vintage if ctx.survey else 2023


def _puglia(ctx: LayerContext) -> Select:
    return (
        select()
        .select_from(Comune)
        .where(Comune.vintage == _vintage(ctx), Comune.region_code == "16")
    )


def _foggia(ctx: LayerContext) -> Select:
    return (
        select()
        .select_from(Comune)
        .where(Comune.vintage == _vintage(ctx), Comune.province_code == "071")
    )


def _population(ctx: LayerContext):
    if ctx.is_analyst:
        return Comune.population_2011
    return case((Comune.population_2011 < THRESHOLD, None), else_=Comune.population_2011)


SECRET_LAYER = Layer(
    name=SECRET,
    title="Secret points",
    description="A restricted test layer: one point per comune of Puglia.",
    geometry_type="Point",
    fields=(
        Field("code", "string", "ISTAT code.", Comune.code),
        Field("name", "string", "Name.", Comune.name),
        Field("people", "integer", "People.", Comune.population_2011),
    ),
    rows=_puglia,
    geometry=func.ST_PointOnSurface(Comune.geom),
    id_field="code",
    restricted=True,
)
SUPPRESSED_LAYER = Layer(
    name=SUPPRESSED,
    title="Suppressed comuni",
    description="A public test layer with suppressed small values and an analysts-only field.",
    geometry_type="MultiPolygon",
    fields=(
        Field("code", "string", "ISTAT code.", Comune.code),
        Field(
            "population",
            "integer",
            f"Residents; blank below {THRESHOLD} for the public.",
            _population,
        ),
        Field("area_km2", "number", "Area.", Comune.area_km2, analysts_only=True),
    ),  # fmt: skip
    rows=_foggia,
    geometry=Comune.geom,
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
