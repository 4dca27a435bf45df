"""Who read restricted layers: one row per read or export, no personal data beyond the token."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.census.tokens import Principal
from app.geo.layers.models import AccessLog


def record_access(
    session: Session,
    principal: Principal,
    layer: str,
    door: str,
    survey_code: str | None,
    bbox: tuple[float, float, float, float] | None,
    count: int | None,
    client: str | None,
) -> None:
    """Add one access-log row; `bbox` is in EPSG:4326, lon/lat."""
    session.add(
        AccessLog(
            token_id=principal.token_id,
            token_label=principal.label,
            role=principal.role,
            door=door,
            survey_code=survey_code,
            layer=layer,
            bbox=",".join(f"{v:.6f}" for v in bbox) if bbox else None,
            count=count,
            client=client,
        )
    )
    session.flush()
