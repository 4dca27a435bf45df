"""What a selection reads from the database, read once: one state of the data and its geography."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.cache import CACHE
from app.census.models import Response, Revision, Survey
from app.errors import Conflict
from app.geo.analysis.clusters import clusters
from app.geo.analysis.disclosure import Pattern
from app.geo.analysis.hotspots import GiParameters, hotspot_run
from app.geo.analysis.indicators import IndicatorTables, data_fingerprint
from app.geo.analysis.nonresponse.geography import geography
from app.geo.analysis.nonresponse.presence import presence_fit, presence_probabilities
from app.geo.analysis.publication import current_tables, public_pattern
from app.geo.case_areas.params import Parameters
from app.geo.case_areas.surroundings import RADIUS_KM, Surroundings
from app.geo.reference.contiguity import neighbours
from app.geo.reference.vintages import VintageKey

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
    hotspot_summary: dict  # the Gi* run's respondents, islands and their handling
    clusters: list[dict]
    graph: dict[str, frozenset[str]]
    centroids: Centroids
    pattern: Pattern
    surroundings: Surroundings

    @property
    def comuni(self) -> pd.DataFrame:
        return self.tables.rows("comune")


CENTROIDS = text(
    """
    select code, ST_X(c) / 1000, ST_Y(c) / 1000, area_km2
    from (select code, area_km2, ST_Centroid(ST_Transform(geom, 3035)) as c
          from comuni where vintage = :vintage and code = any(:codes)) x
    """
)


class Centroids:
    """Centroids of comuni in ETRS89-LAEA (km) with their areas, fetched as they are needed."""

    def __init__(self, session: Session, key: VintageKey) -> None:
        self.session, self.vintage = session, key[0]
        # Filled as they are asked for, and kept per load of the vintage.
        self.known: dict[str, tuple[float, float, float]] = CACHE.get(("centroids", key), dict)

    def of(self, codes: list[str]) -> dict[str, tuple[float, float, float]]:
        """Return (x_km, y_km, area_km2) of each code."""
        missing = sorted(set(codes) - self.known.keys())
        if missing:
            rows = self.session.execute(CENTROIDS, {"vintage": self.vintage, "codes": missing})
            for code, x, y, area in rows:
                self.known[code] = (float(x), float(y), float(area))
        return {c: self.known[c] for c in codes}


def _graph(session: Session, key: VintageKey) -> dict[str, frozenset[str]]:
    """Queen contiguity of a vintage as sets, kept per load."""

    def build() -> dict[str, frozenset[str]]:
        return {c: frozenset(n for n, _ in ns) for c, ns in neighbours(session, key[0]).items()}

    return CACHE.get(("graph", key), build)


def revision_ids(session: Session, survey: Survey) -> list[int]:
    """Return the ids of the current revision of every response of a wave."""
    query = (
        select(Revision.id)
        .join(Response, Response.id == Revision.response_id)
        .where(Response.survey_id == survey.id, Revision.revision == Response.revision)
        .order_by(Revision.id)
    )
    return list(session.scalars(query))


def _surroundings(session: Session, survey: Survey, current: IndicatorTables) -> Surroundings:
    """Who lies within 25 km of whom, who answered, and the silent comuni's presence estimates."""
    fit, _ = presence_fit(session, survey)
    if fit.fingerprint != current.fingerprint:
        raise Conflict("data_changed", "responses changed during the selection; run it again")
    probability = presence_probabilities(session, survey)
    geo = geography(session, survey.vintage)
    comuni = current.rows("comune")
    codes = comuni.index.astype(str).tolist()
    near = geo.bands[RADIUS_KM]
    if codes != geo.codes.tolist():  # both are in code order; this only guards it
        where = geo.index()
        order = [where[c] for c in codes]
        near = near[order][:, order]
    responded = comuni["responded"].to_numpy() == 1
    reporting = responded & (np.nan_to_num(comuni["workers_present"].to_numpy(dtype=float)) > 0)
    return Surroundings(
        near=near.tocsr(),
        responded=responded,
        reporting=reporting,
        p=np.array([probability.get(c, np.nan) for c in codes], dtype=float),
        population=np.nan_to_num(comuni["population_2011"].to_numpy(dtype=float)),
        fit_id=fit.id,
    )


def read_inputs(session: Session, survey: Survey, params: Parameters) -> Inputs:
    """Read one consistent state of a wave and what the selection derives from it."""
    fingerprint = data_fingerprint(session, survey)
    # The fingerprint names every current revision, so the same fingerprint means the same
    # figures: a re-run on unchanged data (another weight, another quota) reuses them.
    current = current_tables(session, survey, fingerprint)
    pattern = public_pattern(current)
    gi = hotspot_run(
        session, survey,
        GiParameters(params.hotspot_indicator, params.permutations, params.seed,
                     params.hotspot_nonresponse),
    )  # fmt: skip
    hot_classes = HOT[params.hotspot_confidence]
    hot = {i["code"]: i["class"] for i in gi.items if i["class"] in hot_classes}
    found = clusters(session, survey, params.cluster_eps_km, params.cluster_min_points)
    around = _surroundings(session, survey, current)
    ids = revision_ids(session, survey)
    # Each statement above saw the data committed when it started: if a response changed in
    # between, they describe different states, and the run would not be reproducible.
    if data_fingerprint(session, survey) != fingerprint:
        raise Conflict("data_changed", "responses changed during the selection; run it again")
    key = current.vintage_key
    return Inputs(
        survey=survey,
        fingerprint=fingerprint,
        revision_ids=ids,
        tables=current,
        hot=hot,
        hotspots_stored=gi.stored,
        hotspot_summary=gi.summary,
        clusters=found,
        graph=_graph(session, key),
        centroids=Centroids(session, key),
        pattern=pattern,
        surroundings=around,
    )
