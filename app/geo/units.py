"""Boundaries of provinces, regions, ripartizioni and Italy, dissolved once per vintage."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

# Each level is dissolved from the one below it, so that no union starts again from the
# full-resolution comuni: provinces from comuni, regions from provinces, and so on.
DISSOLVE = "ST_Multi(ST_CollectionExtract(ST_Union(u.geom), 3))"
STATEMENTS = [
    "delete from unit_boundaries where vintage = :vintage",
    f"""
    insert into unit_boundaries (vintage, level, code, name, geom)
    select u.vintage, 'province', u.province_code, min(u.province_name), {DISSOLVE}
    from comuni u where u.vintage = :vintage group by u.vintage, u.province_code
    """,
    f"""
    insert into unit_boundaries (vintage, level, code, name, geom)
    select u.vintage, 'region', p.region_code, min(p.region_name), {DISSOLVE}
    from unit_boundaries u
    join (select distinct province_code, region_code, region_name from comuni
          where vintage = :vintage) p on p.province_code = u.code
    where u.vintage = :vintage and u.level = 'province'
    group by u.vintage, p.region_code
    """,
    f"""
    insert into unit_boundaries (vintage, level, code, name, geom)
    select u.vintage, 'ripartizione', r.ripartizione_code::text, min(r.ripartizione), {DISSOLVE}
    from unit_boundaries u
    join (select distinct region_code, ripartizione_code, ripartizione from comuni
          where vintage = :vintage) r on r.region_code = u.code
    where u.vintage = :vintage and u.level = 'region'
    group by u.vintage, r.ripartizione_code
    """,
    f"""
    insert into unit_boundaries (vintage, level, code, name, geom)
    select u.vintage, 'italy', 'IT', 'Italia', {DISSOLVE}
    from unit_boundaries u where u.vintage = :vintage and u.level = 'ripartizione'
    group by u.vintage
    """,
    "analyze unit_boundaries",
]


def build_unit_boundaries(session: Session, vintage: int) -> None:
    """(Re)build the boundaries of every level above the comune for a vintage."""
    for statement in STATEMENTS:
        session.execute(text(statement), {"vintage": vintage})
