"""Settlement clusters: DBSCAN on settlement points in PostGIS, across comune borders."""

from __future__ import annotations

import json

from sqlalchemy import Float, Integer, Select, String, column, select, text
from sqlalchemy.orm import Session

from app.census.models import Survey
from app.errors import Problem, ValidationFailed

# DBSCAN runs in ETRS89-LAEA (EPSG:3035), a metric CRS that covers Italy with little
# distortion. Points enter in a fixed order and clusters are numbered by their first member,
# so the same data always gives the same clusters. A polygon location takes part through its
# point on surface (the `point` column).
# Settlements labelled with their cluster; noise (no cluster) is left out.
NUMBERED = """
    with pts as (
        select 'informal' as kind, s.id, s.comune_code, s.type, s.persons_min as low,
               s.persons_max as high, s.point
        from informal_settlements s where s.survey_id = :survey_id and s.point is not null
        union all
        select 'formal', s.id, s.comune_code, s.type, s.occupants, s.occupants, s.point
        from formal_settlements s
        where :include_formal and s.survey_id = :survey_id and s.point is not null
    ), labelled as (
        select pts.*, ST_ClusterDBSCAN(ST_Transform(point, 3035), eps := :eps_m,
                                       minpoints := :min_points)
                      over (order by kind, id) as raw_cluster
        from pts
    ), numbered as (
        select l.*, dense_rank() over (order by first_kind, first_id) as cluster
        from (
            select labelled.*,
                   first_value(kind) over w as first_kind, first_value(id) over w as first_id
            from labelled where raw_cluster is not null
            window w as (partition by raw_cluster order by kind, id)
        ) l
    )
"""

HULL = (
    "ST_Transform(ST_Buffer(ST_ConvexHull(ST_Collect(ST_Transform(n.point, 3035))), "
    ":hull_buffer_m), 4326)"
)

CLUSTERS = text(
    NUMBERED
    + f"""
    select n.cluster,
           count(*) as settlements,
           sum(coalesce(n.low, 0)) as persons_min,
           sum(coalesce(n.high, 0)) as persons_max,
           json_agg(json_build_object(
               'kind', n.kind, 'id', n.id, 'comune_code', n.comune_code, 'type', n.type,
               'persons_min', n.low, 'persons_max', n.high,
               'lon', round(ST_X(n.point)::numeric, 6), 'lat', round(ST_Y(n.point)::numeric, 6)
           ) order by n.kind, n.id) as members,
           (select json_agg(json_build_object(
                'code', c.code, 'name', c.name, 'province_code', c.province_code,
                'province_acronym', c.province_acronym, 'region_code', c.region_code,
                'region_name', c.region_name) order by c.code)
            from comuni c
            where c.vintage = :vintage and c.code in (select distinct comune_code
                                                      from numbered m
                                                      where m.cluster = n.cluster)
           ) as comuni,
           ST_AsGeoJSON({HULL}, 6) as hull
    from numbered n
    group by n.cluster
    order by n.cluster
    """
)

# The same clusters as map features: one row per cluster, the hull as geometry.
CLUSTER_FEATURES = (
    NUMBERED
    + f"""
    select n.cluster, count(*) as settlements,
           sum(coalesce(n.low, 0)) as persons_min, sum(coalesce(n.high, 0)) as persons_max,
           (sum(coalesce(n.low, 0)) + sum(coalesce(n.high, 0))) / 2.0 as persons_mid,
           string_agg(distinct n.comune_code, ',') as comuni,
           string_agg(distinct c.province_code, ',') as provinces,
           string_agg(distinct c.region_code, ',') as regions,
           :eps_m / 1000.0 as eps_km, :min_points as min_points,
           {HULL} as geom
    from numbered n join comuni c on c.vintage = :vintage and c.code = n.comune_code
    group by n.cluster
    """
)

# The hull is buffered so that it is always a polygon, even around two points.
HULL_BUFFER_M = 250


def clusters(
    session: Session, survey: Survey, eps_km: float = 2.0, min_points: int = 3,
    include_formal: bool = False,
) -> list[dict]:  # fmt: skip
    """Return the settlement clusters of a wave, each with members, comuni, people and hull."""
    problems = []
    if not 0 < eps_km <= 100:
        problems.append(Problem("eps_km", "must be more than 0 and at most 100"))
    if not 1 <= min_points <= 1000:
        problems.append(Problem("min_points", "must be between 1 and 1000"))
    if problems:
        raise ValidationFailed(problems)
    rows = session.execute(
        CLUSTERS,
        {"survey_id": survey.id, "vintage": survey.vintage, "eps_m": eps_km * 1000,
         "min_points": min_points, "include_formal": include_formal,
         "hull_buffer_m": HULL_BUFFER_M},
    ).mappings()  # fmt: skip
    out = []
    for row in rows:
        comuni = row["comuni"]
        out.append(
            {
                "cluster": row["cluster"],
                "settlements": row["settlements"],
                "persons_min": row["persons_min"],
                "persons_max": row["persons_max"],
                "persons_mid": (row["persons_min"] + row["persons_max"]) / 2,
                "comuni": comuni,
                "provinces": sorted({c["province_code"] for c in comuni}),
                "regions": sorted({c["region_code"] for c in comuni}),
                "members": row["members"],
                "hull": json.loads(row["hull"]),
            }
        )
    return out


def cluster_features(
    survey_id: int, vintage: int, eps_km: float = 2.0, min_points: int = 3
) -> Select:
    """Select the informal-settlement clusters as features: attributes and hull polygon."""
    params = {"survey_id": survey_id, "vintage": vintage, "eps_m": eps_km * 1000,
              "min_points": min_points, "include_formal": False,
              "hull_buffer_m": HULL_BUFFER_M}  # fmt: skip
    columns = [
        column("cluster", Integer), column("settlements", Integer),
        column("persons_min", Integer), column("persons_max", Integer),
        column("persons_mid", Float), column("comuni", String), column("provinces", String),
        column("regions", String), column("eps_km", Float), column("min_points", Integer),
        column("geom"),
    ]  # fmt: skip
    sub = text(CLUSTER_FEATURES).bindparams(**params).columns(*columns).subquery("clusters")
    return select(*sub.c)
