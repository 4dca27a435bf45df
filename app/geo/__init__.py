"""Spatial work, in packages whose imports run one way (checked by import-linter):

- `reference`: the comuni of each boundary vintage, contiguity, unit boundaries, lookups;
- `analysis`: indicators, disclosure control, publication, hot spots, clusters, non-response;
- `case_areas`: the proposed case areas, their runs and reasons;
- `layers`: the map-layer engine (registry, features, filters, CRS, MVT, exports, access log)
  and its catalogue of layers.
"""
