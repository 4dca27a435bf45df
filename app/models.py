"""Every table, imported in one place so that Alembic and the tests see the whole schema."""

from app.census.models import (
    FormalSettlementRow,
    InformalSettlementRow,
    Response,
    Revision,
    Survey,
    Token,
)
from app.geo.analysis.nonresponse.models import PresenceEstimate, PresenceFit
from app.geo.case_areas.models import CaseArea, CaseAreaRun
from app.geo.models import AccessLog, Comune, ComuneNeighbour, ComuniVintage, HotspotRun

__all__ = [
    "AccessLog",
    "CaseArea",
    "CaseAreaRun",
    "Comune",
    "ComuneNeighbour",
    "ComuniVintage",
    "HotspotRun",
    "FormalSettlementRow",
    "InformalSettlementRow",
    "PresenceEstimate",
    "PresenceFit",
    "Response",
    "Revision",
    "Survey",
    "Token",
]
