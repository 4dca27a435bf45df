"""Spatial work: comuni, indicators, hot spots, clusters, case areas and map layers."""
