"""The follow-up list: the comuni that have not answered, most likely to have workers first.

The ranking is the presence model's estimate (`presence`), highest first; ties go to the larger
comune, then to the code. `rank` is the place in the national list, also when the list is
narrowed to a region or province. Each row carries the facts behind its estimate and the ids of
the respondent tokens that can answer for the comune, never their secrets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app.census.models import Survey, Token
from app.geo.analysis.nonresponse.models import PresenceEstimate, PresenceFit
from app.geo.analysis.nonresponse.presence import presence_fit
from app.geo.reference.boundary_models import Comune
from app.geo.reference.comuni import in_province, in_region

CSV_COLUMNS = (
    "rank", "code", "name", "province_code", "province_acronym", "region_code", "region_name",
    "ripartizione", "population_2011", "p_workers_present", "reasons", "token_ids",
)  # fmt: skip


# What a row of the list says: its rank, the comune, and the estimate with its facts.
ITEM = (
    PresenceEstimate.rank, Comune.code, Comune.name, Comune.province_code,
    Comune.province_acronym, Comune.region_code, Comune.region_name, Comune.ripartizione,
    Comune.population_2011, PresenceEstimate.p_workers_present, PresenceEstimate.drivers,
)  # fmt: skip


@dataclass(frozen=True)
class FollowUpFilter:
    """Where the census team is looking: a region and a province, by code or name."""

    region: str | None = None
    province: str | None = None


@dataclass(frozen=True)
class FollowUp:
    """One page of the list, how many rows match, and the fit that ranked them."""

    items: list[dict]
    total: int
    fit: PresenceFit
    stored: bool


def fit_summary(fit: PresenceFit, stored: bool) -> dict:
    """Describe the fit a ranking rests on: what it is and how well it does."""
    return {
        "estimate": "model", "fit_id": fit.id, "method": fit.method, "kind": fit.model["kind"],
        "fingerprint": fit.fingerprint, "seed": fit.seed, "respondents": fit.respondents,
        "reporting": fit.reporting, "cv_auc": fit.cv_auc, "cv_blocks": "provinces",
        "baseline_auc": fit.cv.get("baseline_auc"), "computed_at": fit.computed_at,
        "stored": stored,
    }  # fmt: skip


def _listed(fit: PresenceFit, vintage: int, flt: FollowUpFilter, *columns) -> Select:
    stmt = (
        select(*columns)
        .select_from(PresenceEstimate)
        .join(Comune, (Comune.code == PresenceEstimate.code) & (Comune.vintage == vintage))
        .where(PresenceEstimate.fit_id == fit.id, PresenceEstimate.rank.is_not(None))
    )
    if flt.region:
        stmt = stmt.where(in_region(flt.region))
    if flt.province:
        stmt = stmt.where(in_province(flt.province))
    return stmt


def _token_ids(session: Session, survey: Survey, codes: list[str]) -> dict[str, list[int]]:
    """Return the usable respondent tokens of each comune: bound to this wave or to none."""
    code = func.unnest(Token.comuni).label("code")
    rows = session.execute(
        select(code, Token.id)
        .where(
            Token.role == "respondent",
            Token.comuni.overlap(codes),
            or_(Token.survey_id == survey.id, Token.survey_id.is_(None)),
            Token.revoked_at.is_(None),
            Token.expires_at > func.now(),
        )
        .order_by(Token.id)
    )
    out: dict[str, list[int]] = {}
    for comune, token_id in rows:
        out.setdefault(comune, []).append(token_id)
    return out


def follow_up(
    session: Session, survey: Survey, flt: FollowUpFilter, limit: int | None, offset: int,
    seed: int = 0,
) -> FollowUp:  # fmt: skip
    """Return one page of the silent comuni, ranked by the estimated presence of workers."""
    fit, stored = presence_fit(session, survey, seed)
    total = session.scalar(_listed(fit, survey.vintage, flt, func.count())) or 0
    page = _listed(fit, survey.vintage, flt, *ITEM).order_by(PresenceEstimate.rank).offset(offset)
    if limit is not None:
        page = page.limit(limit)
    rows = [dict(r._mapping) for r in session.execute(page)]
    tokens = _token_ids(session, survey, [r["code"] for r in rows]) if rows else {}
    items = []
    for row in rows:
        drivers = row.pop("drivers")
        row["reasons"] = [d["text"] for d in drivers]
        row["drivers"] = drivers
        row["token_ids"] = tokens.get(row["code"], [])
        items.append(row)
    return FollowUp(items, total, fit, stored)


def csv_row(item: dict) -> list:
    """Flatten one item for CSV: reasons joined by '; ', token ids by ';'."""
    return [
        "; ".join(item["reasons"]) if c == "reasons"
        else ";".join(str(t) for t in item["token_ids"]) if c == "token_ids"
        else item[c]
        for c in CSV_COLUMNS
    ]  # fmt: skip


def csv_rows(items: Iterable[dict]) -> Iterable[list]:
    """Yield the header, then one flattened row per item."""
    yield list(CSV_COLUMNS)
    for item in items:
        yield csv_row(item)
