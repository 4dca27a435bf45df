"""REST: the comuni reference geography."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from app.api.deps import Page, PagingDep, SessionDep
from app.geo.reference import comuni
from app.geo.reference.vintages import resolve_vintage

router = APIRouter(prefix="/api/v1/comuni", tags=["comuni"])

CodePath = Annotated[str, Path(pattern=r"^\d{6}$", description="6-digit ISTAT code.")]
VintageQuery = Annotated[
    int | None, Query(ge=1990, le=2100, description="Boundary year; the newest loaded if absent.")
]


class ComuneOut(BaseModel):
    """A comune in one boundary vintage."""

    code: str = Field(description="6-digit ISTAT code.", examples=["071051"])
    name: str
    vintage: int
    province_code: str
    province_name: str
    province_acronym: str | None = Field(description="Car-plate acronym, e.g. FG.")
    region_code: str
    region_name: str
    ripartizione_code: int
    ripartizione: str = Field(description="Nord-ovest, Nord-est, Centro, Sud or Isole.")
    population_2011: int | None = Field(description="Residents at the 2011 census (persons).")
    area_km2: float = Field(description="Area on an equal-area projection (km²).")


class ComuneFeature(BaseModel):
    """A comune as a GeoJSON Feature."""

    type: str = "Feature"
    id: str
    geometry: dict
    properties: ComuneOut


@router.get("", response_model=Page[ComuneOut], summary="List and search comuni")
def list_comuni(
    session: SessionDep,
    page: PagingDep,
    vintage: VintageQuery = None,
    region: Annotated[str | None, Query(description="Region code or name.")] = None,
    province: Annotated[str | None, Query(description="Province code, acronym or name.")] = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="Name search, ignoring case and accents."),
    ] = None,
):
    flt = comuni.ComuniFilter(resolve_vintage(session, vintage), region, province, q)
    items, total = comuni.list_comuni(session, flt, page.limit, page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/at", response_model=ComuneOut, summary="Find the comune that contains a point")
def comune_at(
    session: SessionDep,
    lon: Annotated[float, Query(ge=-180, le=180, description="Longitude, WGS 84.")],
    lat: Annotated[float, Query(ge=-90, le=90, description="Latitude, WGS 84.")],
    vintage: VintageQuery = None,
):
    return comuni.comune_at(session, resolve_vintage(session, vintage), lon, lat)


@router.get(
    "/{code}",
    response_model=ComuneOut | ComuneFeature,
    summary="One comune; a GeoJSON Feature with geometry=true",
)
def get_comune(
    session: SessionDep,
    code: CodePath,
    vintage: VintageQuery = None,
    geometry: Annotated[bool, Query(description="Answer a GeoJSON Feature.")] = False,
):
    year = resolve_vintage(session, vintage)
    if geometry:
        return comuni.get_comune_feature(session, year, code)
    return comuni.get_comune(session, year, code)
