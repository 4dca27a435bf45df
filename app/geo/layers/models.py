"""Tables of the map-layer engine: who read restricted layers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    Identity,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class AccessLog(Base):
    """One read or export of a restricted layer, for the data protection officer."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
    token_id: Mapped[int | None] = mapped_column(BigInteger)
    token_label: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    door: Mapped[str] = mapped_column(String(16))  # wfs, ogc, tiles, export, rest
    survey_code: Mapped[str | None] = mapped_column(String(63))
    layer: Mapped[str] = mapped_column(Text, index=True)
    bbox: Mapped[str | None] = mapped_column(Text)  # minx,miny,maxx,maxy in EPSG:4326
    count: Mapped[int | None] = mapped_column(Integer)
    client: Mapped[str | None] = mapped_column(Text)
