"""Analysis of a wave's responses: indicators, disclosure control, hot spots, clusters."""
