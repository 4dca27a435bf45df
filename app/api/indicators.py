"""REST: indicators per level, hot spots and settlement clusters of a survey wave."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, create_model

from app.api.auth import AnalystDep, MaybePrincipal
from app.api.deps import MAX_INT, Page, SessionDep, SurveyDep
from app.api.nonresponse import FitSummary
from app.geo.analysis import classes as class_service
from app.geo.analysis import clusters as cluster_service
from app.geo.analysis import hotspots as hotspot_service
from app.geo.analysis.hotspots import DEFAULTS, MAX_PERMUTATIONS, MAX_SEED, GiParameters
from app.geo.analysis.indicators import INDICATORS, LEVELS
from app.geo.analysis.nonresponse.expected import DESCRIPTIONS as EXPECTED
from app.geo.analysis.nonresponse.followup import fit_summary
from app.geo.analysis.nonresponse.presence import presence_fit
from app.geo.analysis.publication import (
    COVERAGE_DESCRIPTIONS,
    FIELDS,
    INTEGERS,
    indicator_rows,
)

router = APIRouter(prefix="/api/v1/surveys/{survey_code}", tags=["indicators"])

LevelQuery = Annotated[
    Literal["comune", "province", "region", "ripartizione", "italy"],
    Query(description="Level of the rows: " + ", ".join(LEVELS) + "."),
]


def _field(name: str):
    i = INDICATORS[name]
    kind = int if name in INTEGERS else float
    note = (
        " Withheld (null) for the public when small; see `suppressed_fields`."
        if (i.sensitive or i.kind == "rate")
        else ""
    )
    return kind | None, Field(description=f"{i.description} Unit: {i.unit}.{note}")


IndicatorRow = create_model(
    "IndicatorRow",
    __doc__="One unit's indicators. Anonymous callers get small counts withheld.",
    level=(str, Field(description="comune, province, region, ripartizione or italy.")),
    code=(str, Field(description="ISTAT code of the unit (IT for Italy).")),
    name=(str, Field(description="Name of the unit.")),
    **{name: _field(name) for name in FIELDS},
    coverage_population=(
        float | None,
        Field(description=COVERAGE_DESCRIPTIONS["coverage_population"]),
    ),
    coverage_area=(float, Field(description=COVERAGE_DESCRIPTIONS["coverage_area"])),
    low_coverage=(bool, Field(description=COVERAGE_DESCRIPTIONS["low_coverage"])),
    workers_present_expected=(
        float | None,
        Field(
            None, description=EXPECTED["workers_present_expected"] + " Absent from the public view."
        ),
    ),
    workers_present_expected_low=(
        int | None,
        Field(None, description=EXPECTED["workers_present_expected_low"]),
    ),
    workers_present_expected_high=(
        int | None,
        Field(None, description=EXPECTED["workers_present_expected_high"]),
    ),
    suppressed=(bool, Field(description="Some values of this row are withheld.")),
    suppressed_fields=(list[str], Field(description="The withheld fields.")),
)


def _csv(rows: list[dict]) -> Iterator[str]:
    # The rows' own keys: analysts' rows carry the model's estimates, the public's do not.
    columns = list(rows[0]) if rows else ["level", "code", "name", *FIELDS]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    for start in range(0, len(rows), 1000):
        for row in rows[start : start + 1000]:
            writer.writerow(
                [";".join(row[c]) if c == "suppressed_fields" else row[c] for c in columns]
            )
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()


class IndicatorsOut(Page[IndicatorRow]):  # type: ignore[valid-type]
    model: FitSummary | None = Field(
        None,
        description="Analysts only: the presence-model fit behind workers_present_expected "
        "(a model estimate, not an answer). Absent from the public view.",
    )


MapLevelQuery = Annotated[
    Literal["comune", "province", "region"], Query(description="Level of the map's units.")
]
# The names are the rows' fields, listed once: a 422 then names every choice.
IndicatorName = Literal[tuple(FIELDS)]  # type: ignore[valid-type]
IndicatorQuery = Annotated[
    IndicatorName,  # type: ignore[valid-type]
    Query(description="An indicator field of the rows (e.g. informal_persons_mid)."),
]


class ClassesOut(BaseModel):
    """Class breaks of one level's indicator, from the public figures only."""

    indicator: str
    level: str
    method: str = Field(description="quantiles, or natural_breaks (Jenks-Caspall).")
    k: int = Field(description="Classes asked for.")
    breaks: list[float] = Field(
        description="Upper bounds of the classes of the positive values, ascending (fewer than "
        "k when the values are few or tied); the first class starts at `minimum`."
    )
    counts: list[int] = Field(description="Units in each class.")
    minimum: float | None = Field(description="The smallest positive published value.")
    zero: int = Field(description="Units whose published value is 0: a class of their own.")
    withheld: int = Field(description="Units whose value is withheld from the public.")
    no_value: int = Field(description="Units with no value: none of their comuni answered.")
    units: int


@router.get(
    "/indicators/classes",
    response_model=ClassesOut,
    summary="Choropleth class breaks of an indicator, from the public figures (everyone)",
)
def get_classes(
    session: SessionDep,
    survey: SurveyDep,
    indicator: IndicatorQuery,  # type: ignore[valid-type]
    level: MapLevelQuery = "region",
    method: Annotated[
        Literal["quantiles", "natural_breaks"], Query(description="How to break the values.")
    ] = "quantiles",
    k: Annotated[
        int, Query(ge=class_service.MIN_K, le=class_service.MAX_K, description="Classes.")
    ] = 5,
):
    # Analysts get the same breaks: a legend drawn for everyone never rests on withheld cells.
    return class_service.public_classes(session, survey, level, indicator, method, k)


@router.get(
    "/indicators",
    response_model=IndicatorsOut,
    # Fields a row does not carry stay out: the public's rows never name the model estimates.
    response_model_exclude_unset=True,
    summary="Indicators of one level, in JSON or CSV (public: small counts withheld)",
    responses={200: {"content": {"text/csv": {}}}},
)
def get_indicators(
    session: SessionDep,
    caller: MaybePrincipal,
    survey: SurveyDep,
    level: LevelQuery = "region",
    f: Annotated[Literal["json", "csv"], Query(description="Output format.")] = "json",
    limit: Annotated[int | None, Query(ge=1, le=10000, description="JSON page size.")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
):
    rows = indicator_rows(session, survey, level, full=bool(caller and caller.is_analyst))
    if f == "csv":
        page = rows[offset : offset + limit] if limit else rows[offset:]
        return StreamingResponse(
            _csv(page),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{survey.code}-{level}.csv"'},
        )
    limit = limit or 100
    out = IndicatorsOut(
        items=rows[offset : offset + limit], total=len(rows), limit=limit, offset=offset
    )
    if caller and caller.is_analyst:  # the rows carry the model's estimates: say which fit
        out.model = FitSummary(**fit_summary(*presence_fit(session, survey)))
    return out


NULL_IF_SILENT = " Null for a comune that did not respond, under nonresponse=missing."


class HotspotItem(BaseModel):
    code: str
    name: str
    value: float | None = Field(description="The indicator (unknown for non-respondents).")
    responded: bool = Field(
        description="False: the comune did not respond; under nonresponse=missing it takes no "
        "part in the statistic, under zero it counts 0."
    )
    z: float | None = Field(
        description="Gi* standardised by its permutation distribution." + NULL_IF_SILENT
    )
    p: float | None = Field(description="Two-sided p-value of z." + NULL_IF_SILENT)
    p_sim: float | None = Field(
        description="Pseudo p-value of the permutation test." + NULL_IF_SILENT
    )
    p_fdr: float | None = Field(
        description="p adjusted for false discoveries (Benjamini-Hochberg) over the comuni "
        "tested." + NULL_IF_SILENT
    )
    class_: str | None = Field(
        alias="class",
        description="hot_99, hot_95, hot_90, cold_99, cold_95, cold_90 or not_significant."
        + NULL_IF_SILENT,
    )
    neighbours: int | None = Field(
        description="Comuni in its weights: contiguous (responding ones, under missing), or "
        "the nearest for islands." + NULL_IF_SILENT
    )
    nearest_neighbour_borrowed: bool | None = Field(
        description="Its weights include a nearest comune borrowed for an island." + NULL_IF_SILENT
    )
    island: bool = Field(
        description="A respondent with no responding contiguous comune (an island made by "
        "silence), joined to its nearest responding comune."
    )


class GiSummary(BaseModel):
    nonresponse: str
    comuni: int = Field(description="Comuni of the wave's vintage.")
    respondents: int
    tested: int = Field(description="Comuni in the statistic: respondents, or all under zero.")
    islands: int = Field(description="Respondents left with no responding contiguous comune.")
    island_comuni: list[str]
    island_handling: str | None
    fdr_over: str


class HotspotsOut(Page[HotspotItem]):
    indicator: str
    permutations: int
    seed: int
    nonresponse: str = Field(description="missing (the default) or zero.")
    summary: GiSummary
    stored: bool = Field(description="Reused from a computation on the same data state.")


@router.get(
    "/hotspots",
    response_model=HotspotsOut,
    response_model_by_alias=True,
    summary="Getis-Ord Gi* hot spots of an indicator over comuni (analysts)",
)
def get_hotspots(
    session: SessionDep,
    _: AnalystDep,
    survey: SurveyDep,
    indicator: Annotated[str, Query(description="A comune-level indicator field (required).")],
    permutations: Annotated[int, Query(ge=0, le=MAX_PERMUTATIONS)] = DEFAULTS.permutations,
    seed: Annotated[int, Query(ge=0, le=MAX_SEED)] = DEFAULTS.seed,
    nonresponse: Annotated[
        Literal["missing", "zero"],
        Query(
            description="missing: the statistic over the responding comuni only (silent ones "
            "get no z, p or class); zero: silent comuni count 0, for comparison."
        ),
    ] = DEFAULTS.nonresponse,
    limit: Annotated[int, Query(ge=1, le=10000)] = 10000,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
):
    params = GiParameters(indicator, permutations, seed, nonresponse)
    run = hotspot_service.hotspot_run(session, survey, params)
    return {
        "items": run.items[offset : offset + limit], "total": len(run.items), "limit": limit,
        "offset": offset, "indicator": indicator, "permutations": permutations, "seed": seed,
        "nonresponse": nonresponse, "summary": run.summary, "stored": run.stored,
    }  # fmt: skip


class ClusterComune(BaseModel):
    code: str
    name: str
    province_code: str
    province_acronym: str | None
    region_code: str
    region_name: str


class ClusterMember(BaseModel):
    kind: str = Field(description="informal or formal.")
    id: int
    comune_code: str
    type: str
    persons_min: int | None
    persons_max: int | None
    lon: float
    lat: float


class Cluster(BaseModel):
    cluster: int = Field(description="Numbered by the cluster's first settlement.")
    settlements: int
    persons_min: int
    persons_max: int
    persons_mid: float
    comuni: list[ClusterComune]
    provinces: list[str]
    regions: list[str]
    members: list[ClusterMember]
    hull: dict = Field(description="GeoJSON Polygon around the members (250 m buffer).")


@router.get(
    "/clusters",
    response_model=Page[Cluster],
    summary="DBSCAN clusters of settlements, across comune borders (analysts)",
)
def get_clusters(
    session: SessionDep,
    _: AnalystDep,
    survey: SurveyDep,
    eps_km: Annotated[float, Query(gt=0, le=100, description="Neighbourhood radius (km).")] = 2,
    min_points: Annotated[int, Query(ge=1, le=1000)] = 3,
    include_formal: bool = False,
):
    items = cluster_service.clusters(session, survey, eps_km, min_points, include_formal)
    return Page(items=items, total=len(items), limit=len(items), offset=0)
