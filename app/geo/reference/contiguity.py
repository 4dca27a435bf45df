"""Queen contiguity of a vintage's comuni, built once in PostGIS and stored."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

# Queen contiguity: any shared point, found through the GiST index. Comuni with no neighbour
# at all (small islands) are joined to their nearest comune, both ways, so that every comune
# takes part in spatial statistics and none is silently dropped.
STATEMENTS = [
    "delete from comune_neighbours where vintage = :vintage",
    """
    insert into comune_neighbours (vintage, code, neighbour, kind)
    select a.vintage, a.code, b.code, 'queen'
    from comuni a join comuni b
      on b.vintage = a.vintage and b.code <> a.code and a.geom && b.geom
         and ST_Intersects(a.geom, b.geom)
    where a.vintage = :vintage
    """,
    # Fresh statistics, or the planner loops over every pair in the next statement.
    "analyze comune_neighbours",
    """
    with islands as materialized (
        select i.vintage, i.code, i.geom from comuni i
        where i.vintage = :vintage and not exists (
            select 1 from comune_neighbours q where q.vintage = i.vintage and q.code = i.code
        )
    )
    insert into comune_neighbours (vintage, code, neighbour, kind)
    select i.vintage, i.code, n.code, 'nearest'
    from islands i
    cross join lateral (
        -- KNN through the GiST index: the distance must be the only sort key.
        select c.code from comuni c
        where c.vintage = i.vintage and c.code <> i.code
        order by c.geom <-> i.geom limit 1
    ) n
    """,
    """
    insert into comune_neighbours (vintage, code, neighbour, kind)
    select vintage, neighbour, code, 'nearest' from comune_neighbours
    where vintage = :vintage and kind = 'nearest'
    on conflict do nothing
    """,
]


def build_neighbours(session: Session, vintage: int) -> int:
    """(Re)build the contiguity of a vintage; return how many comuni borrowed a neighbour."""
    for statement in STATEMENTS:
        session.execute(text(statement), {"vintage": vintage})
    return session.scalar(
        text(
            "select count(distinct code) from comune_neighbours "
            "where vintage = :vintage and kind = 'nearest'"
        ),
        {"vintage": vintage},
    )


def neighbours(session: Session, vintage: int) -> dict[str, list[tuple[str, str]]]:
    """Return {code: [(neighbour, kind), ...]} for every comune of a vintage."""
    rows = session.execute(
        text(
            "select c.code, n.neighbour, n.kind from comuni c "
            "left join comune_neighbours n on n.vintage = c.vintage and n.code = c.code "
            "where c.vintage = :vintage order by c.code, n.neighbour"
        ),
        {"vintage": vintage},
    )
    out: dict[str, list[tuple[str, str]]] = {}
    for code, neighbour, kind in rows:
        out.setdefault(code, [])
        if neighbour is not None:
            out[code].append((neighbour, kind))
    return out
