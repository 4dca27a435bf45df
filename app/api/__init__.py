"""HTTP only: REST, OGC API Features, WFS and tiles."""
