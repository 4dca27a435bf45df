"""Every table, imported in one place so that Alembic and the tests see the whole schema."""

from app.census.models import Survey, Token
from app.geo.models import Comune, ComuniVintage

__all__ = ["Comune", "ComuniVintage", "Survey", "Token"]
