"""The catalogue: every map layer the service publishes, registered here and nowhere else.

`REFERENCE` is served at /wfs, /ogc, /tiles and /exports (one comuni layer per loaded
vintage); `SURVEY` at /surveys/{code}/... in the wave's vintage. Each module of this package
declares one family of layers; this file puts them in the registries.
"""

from app.geo.layers.catalogue import (
    case_areas,
    clusters,
    comuni,
    follow_up,
    hotspots,
    indicators,
    settlements,
)
from app.geo.layers.registry import Registry

REFERENCE = Registry("reference")
SURVEY = Registry("survey")

REFERENCE.discover(comuni.vintage_layers)

for _layer in (
    comuni.WAVE_COMUNI,
    *indicators.INDICATOR_LAYERS,
    settlements.FORMAL,
    settlements.INFORMAL,
    settlements.INFORMAL_AREAS,
    clusters.CLUSTERS,
    hotspots.HOTSPOTS,
    follow_up.FOLLOW_UP,
):
    SURVEY.add(_layer)
SURVEY.discover(case_areas.case_area_layers)

__all__ = ["REFERENCE", "SURVEY"]
