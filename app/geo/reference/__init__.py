"""Reference geography: comuni by boundary vintage, ISTAT codes, contiguity, unit boundaries.

It imports nothing from the survey domain or from the other spatial packages.
"""
