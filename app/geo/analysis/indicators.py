"""Indicators of a survey wave, per comune and rolled up to province, region, ripartizione, Italy.

Figures are computed from the current revisions on every call, so an analyst who posts and then
reads sees the change. Rates use the population (2011 census) and area of the comuni that
responded, so that the numerator and the denominator cover the same territory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from sqlalchemy import Select, func, literal, select, text
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from app.cache import CACHE
from app.census.models import Response, Survey
from app.geo.analysis.nonresponse.coverage import coverage_shares
from app.geo.reference.vintages import VintageKey, vintage_key

Level = Literal["comune", "province", "region", "ripartizione", "italy"]
LEVELS: tuple[Level, ...] = ("comune", "province", "region", "ripartizione", "italy")
Kind = Literal["comuni", "people", "places", "settlements", "share", "rate"]


@dataclass(frozen=True)
class Indicator:
    """One published figure: its unit, what it counts, and what it is derived from."""

    name: str
    unit: str
    description: str
    kind: Kind
    base: str | None = None  # a rate's count

    @property
    def sensitive(self) -> bool:
        """Counts of people or settlements are small-count protected; counts of comuni are not."""
        return self.kind in ("people", "places", "settlements")


COUNTS = [
    Indicator("invited", "comuni", "Comuni of the wave's vintage, all invited.", "comuni"),
    Indicator("responded", "comuni", "Comuni that submitted a response.", "comuni"),
    Indicator("workers_present", "comuni", "Responding comuni reporting foreign agri-food "
              "workers.", "comuni"),
    Indicator("workers_stable", "persons", "Foreign agri-food workers living there all year "
              "(estimate).", "people"),
    Indicator("workers_seasonal", "persons", "Foreign agri-food workers present for the "
              "season (estimate).", "people"),
    Indicator("formal_settlements", "settlements", "Formal settlements (reception centres, "
              "dormitories, employer housing, ...).", "settlements"),
    Indicator("formal_capacity", "places", "Places in formal settlements.", "places"),
    Indicator("formal_occupants", "persons", "People housed in formal settlements.", "people"),
    Indicator("informal_settlements", "settlements", "Informal settlements (occupied "
              "buildings, shacks, tents, ...).", "settlements"),
    Indicator("informal_persons_min", "persons", "People in informal settlements, lowest "
              "estimate.", "people"),
    Indicator("informal_persons_max", "persons", "People in informal settlements, highest "
              "estimate.", "people"),
    Indicator("informal_persons_mid", "persons", "People in informal settlements, midpoint of "
              "each settlement's min and max (the one-number estimate).", "people"),
    Indicator("informal_without_water", "settlements", "Informal settlements without water "
              "(answer false).", "settlements"),
    Indicator("informal_water_unknown", "settlements", "Informal settlements whose water is "
              "unknown (answer null or absent).", "settlements"),
    Indicator("informal_without_electricity", "settlements", "Informal settlements without "
              "electricity.", "settlements"),
    Indicator("informal_electricity_unknown", "settlements", "Informal settlements whose "
              "electricity is unknown.", "settlements"),
    Indicator("informal_without_toilets", "settlements", "Informal settlements without "
              "toilets.", "settlements"),
    Indicator("informal_toilets_unknown", "settlements", "Informal settlements whose toilets "
              "are unknown.", "settlements"),
    Indicator("informal_active_7y", "settlements", "Informal settlements active for 7 or more "
              "years at the wave's reference year (the year it opened).", "settlements"),
]  # fmt: skip

RATE_BASES = [
    "workers_stable", "workers_seasonal", "formal_occupants", "informal_settlements",
    "informal_persons_mid",
]  # fmt: skip
RATES = [
    Indicator(
        f"{base}_{suffix}", unit, f"{base} {per}, over the comuni that responded.", "rate", base
    )
    for base in RATE_BASES
    for suffix, unit, per in (
        ("per_1000_residents", "per 1,000 residents", "per 1,000 residents (2011 census)"),
        ("per_km2", "per km²", "per km²"),
    )
]
SHARES = [
    Indicator("response_rate", "share 0-1", "responded / invited.", "share", "responded"),
]
INDICATORS: dict[str, Indicator] = {i.name: i for i in COUNTS + RATES + SHARES}
COUNT_NAMES = [i.name for i in COUNTS]

# Cells whose values are tied by an equation are withheld together: mid = (min + max) / 2.
LINKED = [("informal_persons_min", "informal_persons_max", "informal_persons_mid")]

# What the wave's answers add to each comune that has any (the rest are left joins of nothing).
ANSWERS = text(
    """
    with f as (
        select comune_code, count(*) as n, coalesce(sum(capacity), 0) as capacity,
               coalesce(sum(occupants), 0) as occupants
        from formal_settlements where survey_id = :survey_id group by comune_code
    ), i as (
        select comune_code, count(*) as n, sum(persons_min) as pmin, sum(persons_max) as pmax,
               count(*) filter (where water is false) as no_water,
               count(*) filter (where water is null) as water_unknown,
               count(*) filter (where electricity is false) as no_electricity,
               count(*) filter (where electricity is null) as electricity_unknown,
               count(*) filter (where toilets is false) as no_toilets,
               count(*) filter (where toilets is null) as toilets_unknown,
               count(*) filter (where since_year <= :reference_year - 7) as active_7y
        from informal_settlements where survey_id = :survey_id group by comune_code
    )
    select r.comune_code as code, 1 as responded, r.workers_present::int as workers_present,
           coalesce(r.workers_stable, 0) as workers_stable,
           coalesce(r.workers_seasonal, 0) as workers_seasonal,
           coalesce(f.n, 0) as formal_settlements, coalesce(f.capacity, 0) as formal_capacity,
           coalesce(f.occupants, 0) as formal_occupants,
           coalesce(i.n, 0) as informal_settlements,
           coalesce(i.pmin, 0) as informal_persons_min,
           coalesce(i.pmax, 0) as informal_persons_max,
           coalesce(i.no_water, 0) as informal_without_water,
           coalesce(i.water_unknown, 0) as informal_water_unknown,
           coalesce(i.no_electricity, 0) as informal_without_electricity,
           coalesce(i.electricity_unknown, 0) as informal_electricity_unknown,
           coalesce(i.no_toilets, 0) as informal_without_toilets,
           coalesce(i.toilets_unknown, 0) as informal_toilets_unknown,
           coalesce(i.active_7y, 0) as informal_active_7y
    from responses r
    left join f on f.comune_code = r.comune_code
    left join i on i.comune_code = r.comune_code
    where r.survey_id = :survey_id
    """
)

COMUNI = text(
    """
    select code, name, province_code, province_name, region_code, region_name,
           ripartizione_code, ripartizione, population_2011, area_km2
    from comuni where vintage = :vintage order by code
    """
)


def _comuni(session: Session, key: VintageKey) -> pd.DataFrame:
    """The attributes of a vintage's comuni, read once per load."""

    def read() -> pd.DataFrame:
        result = session.execute(COMUNI, {"vintage": key[0]})
        frame = pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()))
        return frame.set_index("code", drop=False)

    return CACHE.get(("comuni", key), read)


# How each level names its units, from the comune table's columns.
KEYS: dict[Level, tuple[str, str] | None] = {
    "comune": ("code", "name"),
    "province": ("province_code", "province_name"),
    "region": ("region_code", "region_name"),
    "ripartizione": ("ripartizione_code", "ripartizione"),
    "italy": None,
}


@dataclass
class IndicatorTables:
    """Every level's counts for one state of the data, with the tree that nests them."""

    levels: dict[Level, pd.DataFrame]  # indexed by code; counts, population, area, parent
    fingerprint: str
    vintage_key: VintageKey  # the vintage and when it was loaded: the units' identity
    patterns: dict = field(default_factory=dict)  # suppression patterns by threshold
    expected: dict = field(default_factory=dict)  # model estimates by level, once per state

    def rows(self, level: Level) -> pd.DataFrame:
        return self.levels[level]


def comune_table(session: Session, survey: Survey, key: VintageKey) -> pd.DataFrame:
    """Return one row per comune of the wave's vintage, with its counts."""
    result = session.execute(
        ANSWERS, {"survey_id": survey.id, "reference_year": survey.opens_at.year}
    )
    answers = pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()))
    df = _comuni(session, key).join(answers.set_index("code"), how="left")
    df["invited"] = 1
    df["responded"] = df["responded"].fillna(0).astype(int)
    # What a comune that did not answer would count is unknown, not zero.
    for name in COUNT_NAMES:
        if name not in ("invited", "responded", "informal_persons_mid"):
            df[name] = df[name].astype(float)
    df["informal_persons_mid"] = (df["informal_persons_min"] + df["informal_persons_max"]) / 2
    return df.reset_index(drop=True)


def _with_rates(df: pd.DataFrame) -> pd.DataFrame:
    population = df["responded_population"].to_numpy(dtype=float)
    area = df["responded_area_km2"].to_numpy(dtype=float)
    population = np.where(population > 0, population, np.nan)
    area = np.where(area > 0, area, np.nan)
    rates = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for base in RATE_BASES:
            counts = df[base].to_numpy(dtype=float)
            rates[f"{base}_per_1000_residents"] = counts / population * 1000
            rates[f"{base}_per_km2"] = counts / area
        rates["response_rate"] = df["responded"].to_numpy(dtype=float) / df["invited"].to_numpy(
            dtype=float
        )
    return pd.concat([df, pd.DataFrame(rates, index=df.index)], axis=1)


@dataclass(frozen=True)
class Nesting:
    """How the comuni of a vintage group into each level: computed once per load."""

    group: dict[Level, np.ndarray]  # per comune, the index of its unit at each level
    units: dict[Level, pd.DataFrame]  # per level: key, label and parent key, in unit order


def _nesting(key: VintageKey, comuni: pd.DataFrame) -> Nesting:
    return CACHE.get(("nesting", key), lambda: _nest(comuni))


def _nest(comuni: pd.DataFrame) -> Nesting:
    frame = comuni.assign(
        italy_code="IT",
        italy_name="Italia",
        ripartizione_code=comuni["ripartizione_code"].astype(str),
    )
    parents = {"province": "region_code", "region": "ripartizione_code",
               "ripartizione": "italy_code", "italy": None}  # fmt: skip
    group, units = {}, {}
    for level in LEVELS[1:]:
        key_col, name_col = KEYS[level] or ("italy_code", "italy_name")
        codes, index = np.unique(frame[key_col].to_numpy(dtype=str), return_inverse=True)
        first = frame.drop_duplicates(key_col).set_index(key_col).loc[codes]
        parent = parents[level]
        units[level] = pd.DataFrame(
            {
                "key": codes,
                "label": first[name_col].to_numpy(),
                "parent": first[parent].to_numpy() if parent else None,
            }
        )
        group[level] = index
    return Nesting(group, units)


def tables(session: Session, survey: Survey, fingerprint: str = "") -> IndicatorTables:
    """Compute every level's indicators for the current state of a wave."""
    key = vintage_key(session, survey.vintage)
    comuni = comune_table(session, survey, key)
    nesting = _nesting(key, comuni)
    responded = comuni["responded"] == 1
    comuni["responded_population"] = comuni["population_2011"].where(responded).astype(float)
    comuni["responded_area_km2"] = comuni["area_km2"].where(responded)
    sums = [*COUNT_NAMES, "responded_population", "responded_area_km2"]
    values = comuni[sums].to_numpy(dtype=float)
    known = ~np.isnan(values)
    filled = np.where(known, values, 0.0)

    base = comuni.rename(columns={"code": "key", "name": "label"})
    base["parent"] = base["province_code"]
    levels: dict[Level, pd.DataFrame] = {"comune": base}
    for level in LEVELS[1:]:
        index = nesting.group[level]
        n = len(nesting.units[level])
        totals = np.column_stack(
            [np.bincount(index, weights=filled[:, j], minlength=n) for j in range(len(sums))]
        )
        # A unit where nobody answered has unknown totals, not zeros.
        seen = np.column_stack(
            [np.bincount(index, weights=known[:, j], minlength=n) for j in range(len(sums))]
        )
        totals[seen == 0] = np.nan
        df = nesting.units[level].copy()
        df[sums] = totals
        levels[level] = df
    # Coverage: residents (2011) and area in responding comuni, against the unit's. A comune
    # whose population is unknown counts on neither side, as in `coverage`.
    population = comuni["population_2011"].to_numpy(dtype=float)
    area = comuni["area_km2"].to_numpy(dtype=float)
    answered = responded.to_numpy()
    covered = np.column_stack([
        np.nan_to_num(population), np.nan_to_num(population) * answered, ~np.isnan(population),
        np.nan_to_num(area), np.nan_to_num(area) * answered,
    ])  # fmt: skip
    for level, df in levels.items():
        if level == "comune":
            parts = covered
        else:
            index, n = nesting.group[level], len(nesting.units[level])
            parts = np.column_stack(
                [np.bincount(index, weights=covered[:, j], minlength=n) for j in range(5)]
            )
        whole = np.where(parts[:, 2] > 0, parts[:, 0], np.nan)
        df["coverage_population"], df["coverage_area"], df["low_coverage"] = coverage_shares(
            parts[:, 1], whole, parts[:, 4], parts[:, 3]
        )
    for level, df in levels.items():
        df = _with_rates(df.set_index("key", drop=False))
        df["invited"] = df["invited"].fillna(0)
        df["responded"] = df["responded"].fillna(0)
        df["level"] = level
        levels[level] = df
    return IndicatorTables(levels, fingerprint, key)


def fingerprint_select(survey_id: int) -> Select:
    """Select the fingerprint of a wave's data: the current revision of every response."""
    label = Response.comune_code + ":" + Response.etag
    return select(
        func.md5(
            func.coalesce(
                func.string_agg(label, aggregate_order_by(literal(","), Response.comune_code)), ""
            )
        )
    ).where(Response.survey_id == survey_id)


def data_fingerprint(session: Session, survey: Survey) -> str:
    """Fingerprint the input data: the current revision of every response, in order."""
    return session.scalar(fingerprint_select(survey.id))
