"""The parameters of a case-area selection: weights, constraints and candidate rules.

Every field has a default, so `{}` is a complete request. The defaults and the reason for each
are in README.md ("Case areas"). A run stores its parameters in full, defaults included, so
that two runs can be compared field by field.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.errors import Problem, ValidationFailed
from app.geo.analysis.hotspots import DEFAULTS, MAX_PERMUTATIONS, MAX_SEED, check_indicator

LABELS = ("informal", "formal", "seasonal", "stable")


class Weights(BaseModel):
    """Weights of the normalised indicators in the score; only their proportions matter."""

    model_config = ConfigDict(extra="forbid")

    informal_people: float = Field(
        0.30, ge=0, le=100, description="People in informal settlements."
    )
    workers_rate: float = Field(0.15, ge=0, le=100, description="Workers per 1,000 residents.")
    service_deficit: float = Field(
        0.15, ge=0, le=100, description="Missing water, electricity, toilets in informal sites."
    )
    years_active: float = Field(
        0.10, ge=0, le=100, description="Informal settlements active for 7 years or more."
    )
    seasonal_intensity: float = Field(
        0.15, ge=0, le=100, description="Seasonal share of the foreign agri-food workers."
    )
    formal_occupancy: float = Field(
        0.15, ge=0, le=100, description="People housed in formal settlements."
    )

    @model_validator(mode="after")
    def _some_weight(self) -> Weights:
        if sum(self.model_dump().values()) <= 0:
            raise ValueError("at least one weight must be above 0")
        return self


class Quotas(BaseModel):
    """The least number of areas of each type; an area has at most one housing and one work type."""

    model_config = ConfigDict(extra="forbid")

    informal: int = Field(3, ge=0, le=100, description="Areas where informal housing dominates.")
    formal: int = Field(2, ge=0, le=100, description="Areas where formal housing dominates.")
    seasonal: int = Field(3, ge=0, le=100, description="Areas where seasonal work dominates.")
    stable: int = Field(2, ge=0, le=100, description="Areas where stable work dominates.")


class Parameters(BaseModel):
    """Everything a selection depends on besides the data."""

    model_config = ConfigDict(extra="forbid")

    n: int = Field(10, ge=1, le=30, description="How many areas to select.")
    weights: Weights = Field(default_factory=Weights)
    quotas: Quotas = Field(default_factory=Quotas)
    min_distance_km: float = Field(
        50.0, ge=0, le=1500, description="Least distance between the centroids of two areas (km)."
    )
    cover_ripartizioni: bool = Field(
        True, description="Every ripartizione that has a candidate gets at least one area."
    )
    dominance: float = Field(
        0.6,
        gt=0.5,
        le=1.0,
        description="Share of a pair (informal/formal people, seasonal/stable workers) at which "
        "one side dominates.",
    )
    exclude_comuni: list[str] = Field(
        default_factory=list, max_length=8000, description="Comuni no candidate may contain."
    )
    hotspot_indicator: str = Field(
        DEFAULTS.indicator, description="Indicator whose Gi* hot spots make candidates."
    )
    hotspot_confidence: Literal[90, 95, 99] = Field(
        95, description="Least confidence of a hot spot (on the FDR-adjusted p)."
    )
    hotspot_nonresponse: Literal["missing", "zero"] = Field(
        DEFAULTS.nonresponse,
        description="Gi* over the responding comuni only (missing, the default), or with silent "
        "comuni counted as 0 (zero, for comparison).",
    )
    permutations: int = Field(
        DEFAULTS.permutations, ge=0, le=MAX_PERMUTATIONS, description="Gi* permutations."
    )
    seed: int = Field(DEFAULTS.seed, ge=0, le=MAX_SEED, description="Gi* permutation seed.")
    cluster_eps_km: float = Field(5.0, gt=0, le=100, description="DBSCAN radius (km).")
    cluster_min_points: int = Field(3, ge=1, le=1000, description="DBSCAN core size.")
    min_coverage: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Least share of the comuni within 25 km of a candidate (centroid to "
        "centroid, its own comuni left out) that answered; a candidate below it is excluded. "
        "0, the default: no candidate is excluded for its surroundings.",
    )
    singles_national: int = Field(
        30, ge=0, le=1000, description="Best-scoring single comuni nationally that are candidates."
    )
    singles_per_ripartizione: int = Field(
        5, ge=0, le=1000, description="Best-scoring single comuni of each ripartizione."
    )
    singles_per_type: int = Field(
        5, ge=0, le=1000, description="Best-scoring single comuni of each type."
    )
    solver: Literal["auto", "greedy", "highs", "cbc"] = Field(
        "auto",
        description="auto: greedy with repair and the exact HiGHS solver both run, and the "
        "better selection is kept; or one of them (cbc: the exact CBC solver, through PuLP).",
    )

    @field_validator("exclude_comuni")
    @classmethod
    def _codes(cls, codes: list[str]) -> list[str]:
        bad = [c for c in codes if not (len(c) == 6 and c.isdigit())]
        if bad:
            raise ValueError(f"not 6-digit ISTAT codes: {', '.join(bad[:5])}")
        return sorted(set(codes))

    @field_validator("hotspot_indicator")
    @classmethod
    def _indicator(cls, name: str) -> str:
        try:
            check_indicator(name)
        except ValidationFailed as exc:
            raise ValueError(exc.details[0].message) from exc
        return name


def parse_parameters(data: dict | None) -> Parameters:
    """Validate a parameters document; every problem is reported with its path."""
    try:
        return Parameters.model_validate(data or {})
    except ValidationError as exc:
        problems = [
            Problem(".".join(str(p) for p in err["loc"]) or "$", err["msg"]) for err in exc.errors()
        ]
        raise ValidationFailed(problems, "invalid case-area parameters") from exc
