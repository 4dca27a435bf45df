"""Every table, imported in one place so that Alembic and the tests see the whole schema."""

from app.census.models import Response, Revision, Survey, Token
from app.census.settlement_models import FormalSettlementRow, InformalSettlementRow
from app.geo.analysis.models import HotspotPin, HotspotRun, PublishedIndicators
from app.geo.analysis.nonresponse.models import PresenceEstimate, PresenceFit
from app.geo.case_areas.area_models import CaseArea
from app.geo.case_areas.models import CaseAreaRun
from app.geo.layers.models import AccessLog
from app.geo.reference.boundary_models import Comune, UnitBoundary
from app.geo.reference.models import ComuneNeighbour, ComuniVintage

__all__ = [
    "AccessLog",
    "CaseArea",
    "CaseAreaRun",
    "Comune",
    "ComuneNeighbour",
    "ComuniVintage",
    "FormalSettlementRow",
    "HotspotPin",
    "HotspotRun",
    "InformalSettlementRow",
    "PublishedIndicators",
    "PresenceEstimate",
    "PresenceFit",
    "Response",
    "Revision",
    "Survey",
    "Token",
    "UnitBoundary",
]
