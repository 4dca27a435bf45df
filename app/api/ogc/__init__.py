"""OGC API Features (Part 1 Core with GeoJSON and HTML, Part 2 CRS, Part 3 queryables and
simple property filters), for the reference layers (/ogc) and each wave's (/surveys/{code}/ogc).
"""

from app.api.ogc.routes import router

__all__ = ["router"]
