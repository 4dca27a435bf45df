"""Settlement clusters: DBSCAN on settlement points in PostGIS, across comune borders.

DBSCAN runs in ETRS89-LAEA (EPSG:3035), a metric CRS that covers Italy with little distortion.
Points enter in a fixed order and clusters are numbered by their first member, so the same data
always gives the same clusters. A polygon location takes part through its point on surface (the
`point` column). Every window is partitioned by wave, so one statement serves any wave and a
filter on `survey_id` reaches the settlements' index.
"""

from __future__ import annotations

import json

from sqlalchemy import (
    ColumnElement,
    Numeric,
    Subquery,
    and_,
    cast,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from app.census.models import Survey
from app.census.settlement_models import FormalSettlementRow, InformalSettlementRow
from app.errors import Problem, ValidationFailed
from app.geo.reference.boundary_models import Comune

# The hull is buffered so that it is always a polygon, even around two points.
HULL_BUFFER_M = 250
LAEA = 3035


def numbered(eps_km: float, min_points: int, include_formal: bool = False) -> Subquery:
    """Settlements labelled with their cluster (noise left out), for every wave."""
    i, f = InformalSettlementRow, FormalSettlementRow
    informal = select(
        i.survey_id, literal("informal").label("kind"), i.id, i.comune_code, i.type,
        i.persons_min.label("low"), i.persons_max.label("high"), i.point,
    ).where(i.point.is_not(None))  # fmt: skip
    formal = select(
        f.survey_id, literal("formal").label("kind"), f.id, f.comune_code, f.type,
        f.occupants.label("low"), f.occupants.label("high"), f.point,
    ).where(f.point.is_not(None))  # fmt: skip
    pts = (union_all(informal, formal) if include_formal else informal).subquery("pts")
    dbscan = func.ST_ClusterDBSCAN(func.ST_Transform(pts.c.point, LAEA), eps_km * 1000, min_points)
    labelled = select(
        *pts.c, dbscan.over(partition_by=pts.c.survey_id, order_by=(pts.c.kind, pts.c.id))
        .label("raw_cluster"),
    ).subquery("labelled")  # fmt: skip
    group = (labelled.c.survey_id, labelled.c.raw_cluster)
    order = (labelled.c.kind, labelled.c.id)
    firsts = (
        select(
            *labelled.c,
            func.first_value(labelled.c.kind)
            .over(partition_by=group, order_by=order)
            .label("first_kind"),
            func.first_value(labelled.c.id)
            .over(partition_by=group, order_by=order)
            .label("first_id"),
        )  # fmt: skip
        .where(labelled.c.raw_cluster.is_not(None))
        .subquery("firsts")
    )
    cluster = func.dense_rank().over(
        partition_by=firsts.c.survey_id, order_by=(firsts.c.first_kind, firsts.c.first_id)
    )
    return select(*firsts.c, cluster.label("cluster")).subquery("numbered")


def hull(point: ColumnElement) -> ColumnElement:
    """The convex hull of a cluster's points, buffered by HULL_BUFFER_M, in EPSG:4326."""
    collected = func.ST_Collect(func.ST_Transform(point, LAEA))
    return func.ST_Transform(func.ST_Buffer(func.ST_ConvexHull(collected), HULL_BUFFER_M), 4326)


def _check(eps_km: float, min_points: int) -> None:
    problems = []
    if not 0 < eps_km <= 100:
        problems.append(Problem("eps_km", "must be more than 0 and at most 100"))
    if not 1 <= min_points <= 1000:
        problems.append(Problem("min_points", "must be between 1 and 1000"))
    if problems:
        raise ValidationFailed(problems)


def clusters(
    session: Session, survey: Survey, eps_km: float = 2.0, min_points: int = 3,
    include_formal: bool = False,
) -> list[dict]:  # fmt: skip
    """Return the settlement clusters of a wave, each with members, comuni, people and hull."""
    _check(eps_km, min_points)
    n = numbered(eps_km, min_points, include_formal)
    member = _member(n)
    stmt = (
        select(
            n.c.cluster,
            func.count().label("settlements"),
            func.sum(func.coalesce(n.c.low, 0)).label("persons_min"),
            func.sum(func.coalesce(n.c.high, 0)).label("persons_max"),
            func.json_agg(aggregate_order_by(member, n.c.kind, n.c.id)).label("members"),
            func.array_agg(aggregate_order_by(n.c.comune_code.distinct(), n.c.comune_code)).label(
                "codes"
            ),
            func.ST_AsGeoJSON(hull(n.c.point), 6).label("hull"),
        )
        .where(n.c.survey_id == survey.id)
        .group_by(n.c.cluster)
        .order_by(n.c.cluster)
    )
    rows = session.execute(stmt).mappings().all()
    comuni = _comuni(session, survey.vintage, {c for r in rows for c in r["codes"]})
    out = []
    for row in rows:
        members = [comuni[c] for c in row["codes"] if c in comuni]
        out.append(
            {
                "cluster": row["cluster"],
                "settlements": row["settlements"],
                "persons_min": row["persons_min"],
                "persons_max": row["persons_max"],
                "persons_mid": (row["persons_min"] + row["persons_max"]) / 2,
                "comuni": members,
                "provinces": sorted({c["province_code"] for c in members}),
                "regions": sorted({c["region_code"] for c in members}),
                "members": row["members"],
                "hull": json.loads(row["hull"]),
            }
        )
    return out


def _member(n: Subquery) -> ColumnElement:
    def coordinate(value: ColumnElement) -> ColumnElement:
        return func.round(cast(value, Numeric), 6)

    return func.json_build_object(
        "kind", n.c.kind, "id", n.c.id, "comune_code", n.c.comune_code, "type", n.c.type,
        "persons_min", n.c.low, "persons_max", n.c.high,
        "lon", coordinate(func.ST_X(n.c.point)), "lat", coordinate(func.ST_Y(n.c.point)),
    )  # fmt: skip


def _comuni(session: Session, vintage: int, codes: set[str]) -> dict[str, dict]:
    """Return the attributes of these comuni a cluster lists, by code."""
    c = Comune
    rows = session.execute(
        select(
            c.code, c.name, c.province_code, c.province_acronym, c.region_code, c.region_name
        ).where(and_(c.vintage == vintage, c.code.in_(sorted(codes))))
    ).mappings()
    return {r["code"]: dict(r) for r in rows}
