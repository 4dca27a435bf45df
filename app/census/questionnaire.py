"""The response document (contract v1): its fields, types and the rules a single document obeys.

Types and ranges are the model's; the rules that relate values (distinct months, nothing
reported where no workers are) are `rule_problems`, checked on the document as sent, so that
they are reported even where a value beside them is itself wrong.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

import pycountry
import shapely
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from shapely.geometry import shape
from shapely.validation import explain_validity

from app.census.text import nul_problems
from app.errors import Problem

MAX_SETTLEMENTS = 500
# A settlement's outline needs hundreds of positions, not hundreds of thousands: the cap keeps
# a 2 MB body of coordinates from holding the validator for seconds.
MAX_RING_POSITIONS = 10_000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Strict(BaseModel):
    # JSON types are taken as they are: "5" is not a number and 1 is not true; NaN is no number.
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def _iso_country(code: str) -> str:
    if len(code) != 2 or not code.isupper() or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def _not_future_year(year: int) -> int:
    if year > datetime.now(UTC).year:
        raise ValueError(f"must not be after the current year ({datetime.now(UTC).year})")
    return year


Month = Annotated[int, Field(ge=1, le=12)]
# Distinct: `rule_problems` checks it, and the JSON schema says so to clients.
Months = Annotated[list[Month], Field(max_length=12, json_schema_extra={"uniqueItems": True})]
Count = Annotated[int, Field(ge=0, le=10_000_000)]
Share = Annotated[float, Field(ge=0, le=1)]
# The schema names the codes, so that clients (the web questionnaire) check them too.
COUNTRY_CODES = sorted(c.alpha_2 for c in pycountry.countries)
Country = Annotated[
    str, AfterValidator(_iso_country), Field(json_schema_extra={"enum": COUNTRY_CODES})
]
Lon = Annotated[float, Field(ge=-180, le=180)]
Lat = Annotated[float, Field(ge=-90, le=90)]
Position = tuple[Lon, Lat]
Ring = Annotated[list[Position], Field(min_length=4, max_length=MAX_RING_POSITIONS)]


def _valid_geometry(geom: Location) -> Location:
    polygons: list = []
    if isinstance(geom, Polygon):
        polygons = [geom.coordinates]
    elif isinstance(geom, MultiPolygon):
        polygons = geom.coordinates
    for polygon in polygons:
        for ring in polygon:
            if ring[0] != ring[-1]:
                raise ValueError("a polygon ring must end where it starts")
    g = shape(geom.model_dump())
    if not g.is_valid:
        raise ValueError(f"invalid geometry: {explain_validity(g)}")
    return geom


class Point(Strict):
    type: Literal["Point"]
    coordinates: Position


class Polygon(Strict):
    type: Literal["Polygon"]
    coordinates: Annotated[list[Ring], Field(min_length=1)]


class MultiPolygon(Strict):
    type: Literal["MultiPolygon"]
    coordinates: Annotated[list[Annotated[list[Ring], Field(min_length=1)]], Field(min_length=1)]


Location = Annotated[
    Point | Polygon | MultiPolygon, Field(discriminator="type"), AfterValidator(_valid_geometry)
]


class Respondent(Strict):
    """Who answered for the comune: personal data, never shown on maps or to analysts."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Annotated[str, Field(max_length=320, json_schema_extra={"pattern": EMAIL.pattern})]
    office: Annotated[str, Field(max_length=200)] | None = None
    phone: Annotated[str, Field(max_length=50)] | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError("is not an e-mail address")
        return value


class Workers(Strict):
    """Estimates of the foreign agri-food workers on the comune's territory."""

    stable: Count | None = Field(default=None, description="Resident all year (persons).")
    seasonal: Count | None = Field(default=None, description="Present for the season (persons).")
    seasonal_months: Months = Field(default_factory=list, description="Months 1-12.")
    nationalities: list[Country] = Field(default_factory=list, max_length=250)
    women_share: Share | None = Field(default=None, description="Share of women, 0-1.")


class FormalType(StrEnum):
    sai = "sai"
    cas = "cas"
    employer_housing = "employer_housing"
    public_dormitory = "public_dormitory"
    equipped_camp = "equipped_camp"
    private_structure = "private_structure"
    other = "other"


class ManagedBy(StrEnum):
    public = "public"
    private = "private"
    third_sector = "third_sector"


class InformalType(StrEnum):
    occupied_farmhouse = "occupied_farmhouse"
    occupied_building = "occupied_building"
    shacks = "shacks"
    tents = "tents"
    caravans = "caravans"
    mixed = "mixed"
    other = "other"


class FormalServices(Strict):
    water: bool | None = None
    electricity: bool | None = None
    sanitation: bool | None = None
    heating: bool | None = None
    transport: bool | None = None


class InformalServices(Strict):
    water: bool | None = None
    electricity: bool | None = None
    toilets: bool | None = None
    waste_collection: bool | None = None


class FormalSettlement(Strict):
    """A structure opened by a public or private body."""

    name: Annotated[str, Field(max_length=300)] | None = None
    type: FormalType
    managed_by: ManagedBy | None = None
    capacity: Count | None = Field(default=None, description="Places (persons).")
    occupants: Count | None = Field(default=None, description="People housed (persons).")
    seasonal: bool | None = None
    open_months: Months = Field(default_factory=list)
    location: Location | None = None
    services: FormalServices = Field(default_factory=FormalServices)


class InformalSettlement(Strict):
    """An occupied farmhouse or building, shacks, tents, caravans."""

    name: Annotated[str, Field(max_length=300)] | None = None
    type: InformalType
    persons_min: Count = Field(description="Fewest people present (persons).")
    persons_max: Count = Field(description="Most people present (persons).")
    peak_months: Months = Field(default_factory=list)
    since_year: Annotated[int, Field(ge=1950), AfterValidator(_not_future_year)] | None = None
    location: Location | None = None
    services: InformalServices = Field(default_factory=InformalServices)
    distance_to_work_km: Annotated[float, Field(ge=0, le=1000)] | None = None
    public_transport: bool | None = None

    @field_validator("persons_max")
    @classmethod
    def _max_not_below_min(cls, value: int, info: ValidationInfo) -> int:
        low = info.data.get("persons_min")
        if low is not None and value < low:
            raise ValueError(f"must be ≥ persons_min ({low})")
        return value


class Intervention(Strict):
    type: Annotated[str, Field(min_length=1, max_length=100)]
    description: Annotated[str, Field(max_length=5000)] | None = None


class Document(Strict):
    """One comune's response to one survey wave."""

    submission_id: UUID = Field(description="Generated once per submission; the idempotency key.")
    comune_code: Annotated[str, Field(pattern=r"^\d{6}$")]
    respondent: Respondent
    workers_present: bool
    workers: Workers | None = None
    private_housing_share: Share | None = None
    formal_settlements: list[FormalSettlement] = Field(
        default_factory=list, max_length=MAX_SETTLEMENTS
    )
    informal_settlements: list[InformalSettlement] = Field(
        default_factory=list, max_length=MAX_SETTLEMENTS
    )
    interventions: list[Intervention] = Field(default_factory=list, max_length=100)
    notes: Annotated[str, Field(max_length=10_000)] | None = None


MONTH_LISTS = (
    ("workers", "seasonal_months"),
    ("formal_settlements", "open_months"),
    ("informal_settlements", "peak_months"),
)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _month_lists(data: dict) -> list[tuple[str, list]]:
    """Return (path, list) of every months list in a document as sent."""
    found = []
    for key, field in MONTH_LISTS:
        value = data.get(key)
        holders = [(key, value)] if isinstance(value, dict) else []
        if isinstance(value, list):
            holders = [(f"{key}[{i}]", item) for i, item in enumerate(value)]
        for path, holder in holders:
            if isinstance(holder, dict) and isinstance(holder.get(field), list):
                found.append((f"{path}.{field}", holder[field]))
    return found


def rule_problems(data: dict) -> list[Problem]:
    """Check the rules that relate values, on a document as sent (whatever else is wrong)."""
    problems = nul_problems(data)
    for path, months in _month_lists(data):
        counted = [m for m in months if _is_int(m)]
        for month in dict.fromkeys(m for m in counted if counted.count(m) > 1):
            problems.append(Problem(path, f"month {month} appears twice"))
    if data.get("workers_present") is False:
        workers = data.get("workers")
        if isinstance(workers, dict) and any(
            _is_int(workers.get(k)) and workers.get(k) for k in ("stable", "seasonal")
        ):
            problems.append(
                Problem("workers", "must be absent or all zero when workers_present is false")
            )
        for key in ("formal_settlements", "informal_settlements"):
            if isinstance(data.get(key), list) and data[key]:
                problems.append(Problem(key, "must be empty when workers_present is false"))
    return problems


def location_geometry(location: Point | Polygon | MultiPolygon) -> shapely.Geometry:
    """Return the location as a shapely geometry."""
    return shape(location.model_dump())
