"""Analysis of a wave's answers: indicators, disclosure, hot spots, clusters and non-response."""
