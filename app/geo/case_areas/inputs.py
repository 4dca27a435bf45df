"""What a selection reads from the database, read once: one state of the data and its geography."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.census.models import Response, Revision, Survey
from app.errors import Conflict
from app.geo.case_areas.params import Parameters
from app.geo.clusters import clusters
from app.geo.contiguity import neighbours
from app.geo.disclosure import Pattern
from app.geo.hotspots import hotspots
from app.geo.indicators import IndicatorTables, data_fingerprint, tables
from app.geo.publication import public_pattern
from app.settings import disclosure_settings

HOT = {99: ("hot_99",), 95: ("hot_99", "hot_95"), 90: ("hot_99", "hot_95", "hot_90")}


@dataclass
class Inputs:
    """One state of a wave's data, with everything the selection derives from it."""

    survey: Survey
    fingerprint: str
    revision_ids: list[int]
    tables: IndicatorTables
    hot: dict[str, str]  # comune -> hot class, at the requested confidence
    hotspots_stored: bool
    clusters: list[dict]
    graph: dict[str, frozenset[str]]
    centroids: Centroids
    pattern: Pattern

    @property
    def comuni(self) -> pd.DataFrame:
        return self.tables.rows("comune")


# Contiguity and centroids change only when a vintage is reloaded: kept per load, like the
# hot-spot weights in app/geo/hotspots.py.
_graphs: dict[object, dict[str, frozenset[str]]] = {}
_centroids: dict[object, dict[str, tuple[float, float, float]]] = {}

CENTROIDS = text(
    """
    select code, ST_X(c) / 1000, ST_Y(c) / 1000, area_km2
    from (select code, area_km2, ST_Centroid(ST_Transform(geom, 3035)) as c
          from comuni where vintage = :vintage and code = any(:codes)) x
    """
)


class Centroids:
    """Centroids of comuni in ETRS89-LAEA (km) with their areas, fetched as they are needed."""

    def __init__(self, session: Session, vintage: int, key: object) -> None:
        self.session, self.vintage = session, vintage
        if key not in _centroids:
            _centroids.clear()
            _centroids[key] = {}
        self.known = _centroids[key]

    def of(self, codes: list[str]) -> dict[str, tuple[float, float, float]]:
        """Return (x_km, y_km, area_km2) of each code."""
        missing = sorted(set(codes) - self.known.keys())
        if missing:
            rows = self.session.execute(CENTROIDS, {"vintage": self.vintage, "codes": missing})
            for code, x, y, area in rows:
                self.known[code] = (float(x), float(y), float(area))
        return {c: self.known[c] for c in codes}


def _graph(session: Session, vintage: int, key: object) -> dict[str, frozenset[str]]:
    if key not in _graphs:
        graph = {c: frozenset(n for n, _ in ns) for c, ns in neighbours(session, vintage).items()}
        _graphs.clear()
        _graphs[key] = graph
    return _graphs[key]


_states: dict[tuple, tuple[IndicatorTables, Pattern]] = {}


def _derived(session: Session, survey: Survey, fingerprint: str):
    """The indicator tables and public suppression pattern of one data state, kept per state.

    The fingerprint names every current revision, so the same fingerprint means the same
    figures: a re-run on unchanged data (another weight, another quota) reuses them.
    """
    key = (survey.id, survey.opens_at, fingerprint, disclosure_settings().suppression_threshold)
    if key not in _states:
        current = tables(session, survey, fingerprint)
        if len(_states) >= 4:
            _states.pop(next(iter(_states)))
        _states[key] = (current, public_pattern(current))
    current, pattern = _states[key]
    if current.comuni_key != _comuni_key(session, survey):  # the vintage was reloaded
        _states.pop(key)
        return _derived(session, survey, fingerprint)
    return current, pattern


def _comuni_key(session: Session, survey: Survey) -> tuple[int, object]:
    loaded_at = session.scalar(
        text("select loaded_at from comuni_vintages where vintage = :v"), {"v": survey.vintage}
    )
    return survey.vintage, loaded_at


def revision_ids(session: Session, survey: Survey) -> list[int]:
    """Return the ids of the current revision of every response of a wave."""
    query = (
        select(Revision.id)
        .join(Response, Response.id == Revision.response_id)
        .where(Response.survey_id == survey.id, Revision.revision == Response.revision)
        .order_by(Revision.id)
    )
    return list(session.scalars(query))


def read_inputs(session: Session, survey: Survey, params: Parameters) -> Inputs:
    """Read one consistent state of a wave and what the selection derives from it."""
    fingerprint = data_fingerprint(session, survey)
    current, pattern = _derived(session, survey, fingerprint)
    items, stored = hotspots(
        session, survey, params.hotspot_indicator, params.permutations, params.seed
    )
    hot_classes = HOT[params.hotspot_confidence]
    hot = {i["code"]: i["class"] for i in items if i["class"] in hot_classes}
    found = clusters(session, survey, params.cluster_eps_km, params.cluster_min_points)
    ids = revision_ids(session, survey)
    # Each statement above saw the data committed when it started: if a response changed in
    # between, they describe different states, and the run would not be reproducible.
    if data_fingerprint(session, survey) != fingerprint:
        raise Conflict("data_changed", "responses changed during the selection; run it again")
    key = current.comuni_key
    return Inputs(
        survey=survey,
        fingerprint=fingerprint,
        revision_ids=ids,
        tables=current,
        hot=hot,
        hotspots_stored=stored,
        clusters=found,
        graph=_graph(session, survey.vintage, key),
        centroids=Centroids(session, survey.vintage, key),
        pattern=pattern,
    )
