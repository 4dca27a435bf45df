"""The geography the presence model reads: centroids, distance bands and contiguity, per load.

Distances are between comune centroids in ETRS89-LAEA (EPSG:3035, equal-area, metres), computed
by PostGIS and paired with a KD-tree. For the 2021 comuni this takes about 0.5 s once per load
of a vintage (2.1 million pairs within 50 km), where storing those pairs and reading them back
from a table costs several seconds on every process start; so nothing is stored, and the result
is kept in memory, keyed by the vintage and the time of its load.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.cache import CACHE
from app.geo.reference.boundary_models import Comune
from app.geo.reference.models import ComuneNeighbour
from app.geo.reference.vintages import VintageKey, vintage_key

BANDS_KM = (10, 25, 50)
ATTRIBUTES = (
    "code", "name", "province_code", "province_name", "province_acronym", "region_code",
    "region_name", "ripartizione_code", "ripartizione", "population_2011", "area_km2",
)  # fmt: skip


@dataclass(frozen=True)
class Geography:
    """The comuni of one loaded vintage, in code order, with who lies near whom."""

    key: VintageKey
    comuni: pd.DataFrame  # ATTRIBUTES, one row per comune, in code order
    xy: np.ndarray  # centroids in EPSG:3035 (m)
    tree: cKDTree
    bands: dict[int, sparse.csr_matrix]  # km -> 1 where another comune's centroid is that near
    contiguous: sparse.csr_matrix  # 1 for stored queen neighbours (or an island's nearest)

    @property
    def codes(self) -> np.ndarray:
        return self.comuni["code"].to_numpy(dtype=str)

    def index(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.codes)}


def geography(session: Session, vintage: int) -> Geography:
    """Return the geography of a vintage as loaded, computed once per load."""
    key = vintage_key(session, vintage)
    return CACHE.get(("geography", key), lambda: _build(session, vintage, key))


def _build(session: Session, vintage: int, key: VintageKey) -> Geography:
    centroid = func.ST_Centroid(func.ST_Transform(Comune.geom, 3035))
    rows = session.execute(
        select(
            *(getattr(Comune, a) for a in ATTRIBUTES),
            func.ST_X(centroid).label("x"),
            func.ST_Y(centroid).label("y"),
        )
        .where(Comune.vintage == vintage)
        .order_by(Comune.code)
    ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=[*ATTRIBUTES, "x", "y"])
    xy = frame[["x", "y"]].to_numpy(dtype=float)
    n = len(frame)
    tree = cKDTree(xy)
    pairs = tree.sparse_distance_matrix(tree, max(BANDS_KM) * 1000.0, output_type="coo_matrix")
    others = pairs.row != pairs.col
    bands = {}
    for km in BANDS_KM:
        near = others & (pairs.data <= km * 1000.0)
        bands[km] = sparse.csr_matrix(
            (np.ones(near.sum()), (pairs.row[near], pairs.col[near])), shape=(n, n)
        )
    index = {code: i for i, code in enumerate(frame["code"])}
    links = session.execute(
        select(ComuneNeighbour.code, ComuneNeighbour.neighbour).where(
            ComuneNeighbour.vintage == vintage
        )
    ).all()
    rows_, cols = (
        [index[a] for a, b in links if a in index and b in index],
        [index[b] for a, b in links if a in index and b in index],
    )
    contiguous = sparse.csr_matrix((np.ones(len(rows_)), (rows_, cols)), shape=(n, n))
    return Geography(key, frame.drop(columns=["x", "y"]), xy, tree, bands, contiguous)
