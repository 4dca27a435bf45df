"""Every table, imported in one place so that Alembic and the tests see the whole schema."""

from app.census.models import (
    FormalSettlementRow,
    InformalSettlementRow,
    Response,
    Revision,
    Survey,
    Token,
)
from app.geo.models import AccessLog, Comune, ComuniVintage

__all__ = [
    "AccessLog",
    "Comune",
    "ComuniVintage",
    "FormalSettlementRow",
    "InformalSettlementRow",
    "Response",
    "Revision",
    "Survey",
    "Token",
]
