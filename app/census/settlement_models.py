"""Tables of the settlements a response lists: they have geometry, the other tables do not.

They live apart from app.census.models so that commands which never touch geometry (listing
waves or tokens) do not import GeoAlchemy2, and with it shapely and numpy (issue 15).
"""

from __future__ import annotations

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Identity,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.census.models import Response  # noqa: F401  (the table their foreign key names)
from app.db import Base


class SettlementColumns:
    """What formal and informal settlements share: where, in which response, and which one."""

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    response_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("responses.id", ondelete="CASCADE"), index=True
    )
    survey_id: Mapped[int] = mapped_column(BigInteger, index=True)
    comune_code: Mapped[str] = mapped_column(String(6))
    position: Mapped[int] = mapped_column(SmallInteger)  # index in the document's list
    name: Mapped[str | None] = mapped_column(Text)
    # The location as given (point or polygon), and a point for maps and clustering: the point
    # itself, or a point on the polygon's surface.
    location: Mapped[WKBElement | None] = mapped_column(
        Geometry("GEOMETRY", srid=4326, spatial_index=True)
    )
    point: Mapped[WKBElement | None] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=True)
    )


class FormalSettlementRow(SettlementColumns, Base):
    """A formal settlement of a current revision."""

    __tablename__ = "formal_settlements"

    type: Mapped[str] = mapped_column(String(32))
    managed_by: Mapped[str | None] = mapped_column(String(32))
    capacity: Mapped[int | None] = mapped_column(Integer)
    occupants: Mapped[int | None] = mapped_column(Integer)
    seasonal: Mapped[bool | None] = mapped_column(Boolean)
    open_months: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), default=list)
    water: Mapped[bool | None] = mapped_column(Boolean)
    electricity: Mapped[bool | None] = mapped_column(Boolean)
    sanitation: Mapped[bool | None] = mapped_column(Boolean)
    heating: Mapped[bool | None] = mapped_column(Boolean)
    transport: Mapped[bool | None] = mapped_column(Boolean)


class InformalSettlementRow(SettlementColumns, Base):
    """An informal settlement of a current revision."""

    __tablename__ = "informal_settlements"

    type: Mapped[str] = mapped_column(String(32))
    persons_min: Mapped[int] = mapped_column(Integer)
    persons_max: Mapped[int] = mapped_column(Integer)
    peak_months: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), default=list)
    since_year: Mapped[int | None] = mapped_column(SmallInteger)
    water: Mapped[bool | None] = mapped_column(Boolean)
    electricity: Mapped[bool | None] = mapped_column(Boolean)
    toilets: Mapped[bool | None] = mapped_column(Boolean)
    waste_collection: Mapped[bool | None] = mapped_column(Boolean)
    distance_to_work_km: Mapped[float | None] = mapped_column(Float)
    public_transport: Mapped[bool | None] = mapped_column(Boolean)
