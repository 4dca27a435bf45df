"""incas-census: the backend of a national spatial survey."""

__version__ = "0.1.0"
